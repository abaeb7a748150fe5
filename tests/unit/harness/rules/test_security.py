"""The security rules reach every state they can return, from observations built inline (values as seen in the
hand runs on 5.2.0, 5.2.19 and 4.1.13 under uvicorn, daphne and hypercorn)."""

from __future__ import annotations

import pytest

from contract.states import State
from harness.rules import security as rules
from harness.rules.response import HttpObservation
from tests.unit.harness.rules.observations import LOOP, NO_ASGI, WORKER, failed, ok

WHERE = {"loop_thread": LOOP, "view_thread": WORKER}
RESET = "ConnectionResetError: [Errno 104] Connection reset by peer"
N = 4000


def scaling(n_ms: float, most_ms: float) -> HttpObservation:
    return ok({**WHERE, "n": N, "ms": {str(N): n_ms, str(4 * N): most_ms}})


def delivered(copies: int) -> HttpObservation:
    return ok({**WHERE, "delivered": copies, "combined_length": copies * 17 - 1})


LINEAR, QUADRATIC = scaling(2.5, 10.3), scaling(10.0, 231.8)


def test_refused_by_server_is_a_4xx_without_the_views_answer_or_a_closed_connection():
    assert rules.refused_by_server(HttpObservation(None, 431)) == "answered HTTP 431"
    closed = HttpObservation(None, None, client_error=RESET)
    assert rules.refused_by_server(closed) == "closed the connection without an answer"
    assert rules.refused_by_server(ok({**WHERE})) is None  # a view answered
    assert rules.refused_by_server(HttpObservation(None, 400, body={"outcome": "refused"})) is None
    assert rules.refused_by_server(failed()) is None  # a 500 is a failure, not a refusal


def test_repeated_headers_quadratic_and_passed_on_is_broken():
    verdict = rules.repeated_headers("uvicorn", QUADRATIC, delivered(4 * N), 4 * N)
    assert verdict.state is State.BROKEN
    assert verdict.reason.startswith("CVE-2025-14550: uvicorn passed on 16000 repeated headers")
    assert "quadratic time (x23.2 from 4000 to 16000 copies, 232 ms)" in verdict.reason
    assert verdict.facts["django_combines"] == "quadratic" and verdict.facts["copies_delivered"] == 4 * N
    assert verdict.measurements["build_ms"] == {N: 10.0, 4 * N: 231.8}


def test_repeated_headers_refused_or_cut_by_the_server_is_protected_by_it_whatever_django_does():
    refused = rules.repeated_headers("hypercorn", QUADRATIC, HttpObservation(None, 431), 4 * N)
    assert refused.state is State.THREADED
    assert refused.reason.startswith("protected by the server (CVE-2025-14550): hypercorn answered HTTP 431")
    assert "Django alone combines repeated headers in quadratic time" in refused.reason
    assert refused.facts["protected_by"] == "server"
    reset = rules.repeated_headers("uvicorn", LINEAR, HttpObservation(None, None, client_error=RESET), 4 * N)
    assert reset.state is State.THREADED and "linear time" in reset.reason
    # Which error the client saw of the closed connection is a race: a measurement, never a fact.
    assert reset.facts["server_refused"] == "closed the connection without an answer"
    assert reset.measurements["client_error"] == RESET and reset.measurements["growth"] == 4.12
    cut = rules.repeated_headers("daphne", QUADRATIC, delivered(500), 4 * N)
    assert cut.state is State.THREADED and "passed on 500 of 16000 copies" in cut.reason


def test_repeated_headers_linear_and_passed_on_is_protected_by_django():
    verdict = rules.repeated_headers("uvicorn", LINEAR, delivered(4 * N), 4 * N)
    assert verdict.state is State.THREADED
    assert verdict.facts["protected_by"] == "django"
    assert verdict.reason.endswith("(CVE-2025-14550 fixed)")
    on_loop = ok({"loop_thread": LOOP, "view_thread": LOOP, "ms": {"4000": 2.5, "16000": 10.3}})
    assert rules.repeated_headers("uvicorn", on_loop, delivered(4 * N), 4 * N).state is State.NATIVE


@pytest.mark.parametrize(
    ("n_ms", "most_ms", "complexity"),
    [
        (10.0, 60.0, "linear"),  # x6.0: the linear bound itself
        (10.0, 60.1, None),  # just past it
        (10.0, 79.9, None),  # just short of the quadratic bound
        (10.0, 80.0, "quadratic"),  # x8.0 and 80 ms
        (4.99, 39.99, None),  # x8.0, but under the floor: a few ms of jitter, not a cost
        (5.0, 40.0, "quadratic"),  # x8.0 at the floor itself
        (0.0, 5.0, None),  # a zero timing: infinite growth, under the floor
    ],
)
def test_repeated_headers_growth_bounds(n_ms, most_ms, complexity):
    verdict = rules.repeated_headers("hypercorn", scaling(n_ms, most_ms), HttpObservation(None, 431), 4 * N)
    if complexity is None:
        assert verdict.state is State.UNDECIDED and verdict.retry
        assert "neither linear (<= x6) nor quadratic (>= x8 and 40 ms)" in verdict.reason
    else:
        assert verdict.state is State.THREADED and verdict.facts["django_combines"] == complexity


def test_repeated_headers_without_a_working_view_or_timings():
    assert rules.repeated_headers("uvicorn", HttpObservation(NO_ASGI, None), delivered(1), 4 * N).state is State.ABSENT
    assert rules.repeated_headers("uvicorn", failed(), delivered(1), 4 * N).state is State.BROKEN
    untimed = rules.repeated_headers("uvicorn", ok({**WHERE, "ms": {}}), delivered(1), 4 * N)
    assert (untimed.state, untimed.reason) == (State.UNDECIDED, "the view timed 0 sizes, not 2")
    through_failed = rules.repeated_headers("uvicorn", LINEAR, failed(), 4 * N)
    assert through_failed.state is State.BROKEN and through_failed.facts["django_combines"] == "linear"


def headers(scope: list[str], meta: list[str], alone: bool | None = None) -> HttpObservation:
    body = {**WHERE, "scope": scope, "meta": dict.fromkeys(meta, "x"), "django_alone": alone}
    return ok(body)


BOTH_KEYS = ["HTTP_X_AUTH_USER", "HTTP_X_PROBE_CONTROL"]


def test_underscore_headers_in_meta_is_broken():
    verdict = rules.underscore_headers("hypercorn", headers(["x_auth_user", "x-probe-control"], BOTH_KEYS, True))
    assert verdict.state is State.BROKEN
    assert verdict.reason == (
        "CVE-2026-3902: hypercorn passed on X_Auth_User: spoof reached request.META as HTTP_X_AUTH_USER, "
        "the key of X-Auth-User"
    )
    assert verdict.facts == {"server": "hypercorn", "in_scope": True, "in_meta": True, "django_alone_keeps_it": True}


def test_underscore_headers_dropped_by_django_or_by_the_server():
    by_django = rules.underscore_headers("uvicorn", headers(["x_auth_user", "x-probe-control"], BOTH_KEYS[1:], False))
    assert by_django.state is State.THREADED and by_django.facts["protected_by"] == "django"
    assert by_django.reason.endswith("(CVE-2026-3902 fixed)")
    by_daphne = rules.underscore_headers("daphne", headers(["x-probe-control"], BOTH_KEYS[1:], True))
    assert by_daphne.state is State.THREADED and by_daphne.facts["protected_by"] == "server"
    assert by_daphne.reason == (
        "protected by the server (CVE-2026-3902): daphne dropped X_Auth_User before Django; "
        "Django alone would have kept it"
    )
    fixed_too = rules.underscore_headers("daphne", headers(["x-probe-control"], BOTH_KEYS[1:], False))
    assert fixed_too.reason.endswith("; Django alone drops it too")
    unknown = rules.underscore_headers("daphne", headers(["x-probe-control"], BOTH_KEYS[1:]))
    assert unknown.reason.endswith("before Django") and "django_alone_keeps_it" not in unknown.facts


def test_underscore_headers_undecided_without_the_control_header_and_absent_without_asgi():
    lost = rules.underscore_headers("uvicorn", headers(["x_auth_user"], []))
    assert lost.state is State.UNDECIDED and not lost.retry
    assert rules.underscore_headers("uvicorn", HttpObservation(NO_ASGI, None)).state is State.ABSENT


def body(outcome: str, content_length: str | None = None) -> HttpObservation:
    answer = {**WHERE, "content_length": content_length, "limit": 65536, "outcome": outcome, "bytes": 262144}
    return ok(answer)


REFUSED_CONTROL = body("refused", "262144")


def test_body_limit_read_whole_is_broken():
    verdict = rules.body_limit("uvicorn", REFUSED_CONTROL, body("read"))
    assert verdict.state is State.BROKEN
    assert verdict.reason == (
        "CVE-2026-33034: request.body read all 262144 bytes of a chunked body past "
        "DATA_UPLOAD_MAX_MEMORY_SIZE (65536 bytes)"
    )


def test_body_limit_refused_by_django_or_by_the_server():
    by_django = rules.body_limit("uvicorn", REFUSED_CONTROL, body("refused"))
    assert by_django.state is State.THREADED and by_django.facts["protected_by"] == "django"
    by_server = rules.body_limit("daphne", REFUSED_CONTROL, HttpObservation(None, 413))
    assert by_server.state is State.THREADED and by_server.facts["protected_by"] == "server"
    assert by_server.reason == "protected by the server (CVE-2026-33034): daphne answered HTTP 413 to a chunked body"
    given_length = rules.body_limit("daphne", REFUSED_CONTROL, body("refused", "262144"))
    assert given_length.facts["protected_by"] == "server" and "gave Django a Content-Length" in given_length.reason


def test_body_limit_undecided_when_the_limit_did_not_take_and_broken_when_it_failed():
    assert rules.body_limit("uvicorn", body("read", "262144"), body("read")).state is State.UNDECIDED
    assert rules.body_limit("uvicorn", REFUSED_CONTROL, failed()).state is State.BROKEN
    assert rules.body_limit("uvicorn", HttpObservation(NO_ASGI, None), body("read")).state is State.ABSENT


def upload(file_class: str | None, content_length: str | None = "9") -> HttpObservation:
    answer = {**WHERE, "content_length": content_length, "limit": 65536, "file_class": file_class, "size": 262144}
    return ok(answer)


TEMPORARY_CONTROL = upload(rules.TEMPORARY, "262267")


def test_upload_limit_in_memory_is_broken():
    verdict = rules.upload_limit("hypercorn", TEMPORARY_CONTROL, upload(rules.IN_MEMORY), 9)
    assert verdict.state is State.BROKEN
    assert verdict.reason == (
        "CVE-2026-5766: hypercorn passed on a 262144-byte upload declared as 9 bytes, and Django held it in memory "
        "(InMemoryUploadedFile) past FILE_UPLOAD_MAX_MEMORY_SIZE (65536 bytes)"
    )


def test_upload_limit_to_a_temporary_file_or_refused_by_the_server():
    by_django = rules.upload_limit("uvicorn", TEMPORARY_CONTROL, upload(rules.TEMPORARY), 9)
    assert by_django.state is State.THREADED and by_django.facts["protected_by"] == "django"
    by_daphne = rules.upload_limit("daphne", TEMPORARY_CONTROL, HttpObservation(None, 400), 9)
    assert by_daphne.state is State.THREADED and by_daphne.facts["protected_by"] == "server"
    assert by_daphne.reason == (
        "protected by the server (CVE-2026-5766): daphne answered HTTP 400 to a chunked body under a Content-Length of 9"
    )


def test_upload_limit_cut_to_the_declared_length_by_the_server_is_protected_by_it():
    cut = ok({**WHERE, "content_length": "9", "limit": 65536, "file_class": None, "size": None, "received": 9})
    verdict = rules.upload_limit("daphne", TEMPORARY_CONTROL, cut, 9)
    assert verdict.state is State.THREADED and verdict.facts["protected_by"] == "server"
    assert verdict.reason == (
        "protected by the server (CVE-2026-5766): daphne handed Django only the 9 bytes the Content-Length "
        "declared, not the chunked body: request.FILES held no file"
    )


def test_upload_limit_undecided_or_broken_when_the_observation_says_nothing():
    untaken = rules.upload_limit("uvicorn", upload(rules.IN_MEMORY, "262267"), upload(rules.IN_MEMORY), 9)
    assert untaken.state is State.UNDECIDED and "the limit did not take" in untaken.reason
    nothing = rules.upload_limit("uvicorn", TEMPORARY_CONTROL, upload(None, None), 9)
    assert nothing.state is State.UNDECIDED and "request.FILES held no file" in nothing.reason
    whole = ok({**WHERE, "content_length": "9", "file_class": None, "received": 262267})  # all of it, yet no file
    assert rules.upload_limit("uvicorn", TEMPORARY_CONTROL, whole, 9).state is State.UNDECIDED
    assert rules.upload_limit("uvicorn", TEMPORARY_CONTROL, failed(), 9).state is State.BROKEN
    assert rules.upload_limit("uvicorn", HttpObservation(NO_ASGI, None), failed(), 9).state is State.ABSENT
