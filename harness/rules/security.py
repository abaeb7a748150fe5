"""Verdict rules for the ASGI security fixes of Django 4.2.28-6.0.5: is each flaw observed under this server?

Each probe sends the request its CVE describes through a real server. Protected reads as the state the request
handling has anyway (views.loop_thread on the probe's control request: threaded for its sync views); vulnerable is
broken, the reason naming the CVE and what was observed. A server that refuses or drops the request protects: the
reason then starts "protected by the server", and the fact `protected_by` says "server" or "django". The request
the server refused tells nothing of Django's own handling, so the evidence adds what Django alone was seen to do
where the probe could observe it. No rule looks at a version number; tests/unit/harness/rules/test_security.py
drives every state. https://docs.djangoproject.com/en/stable/releases/security/
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contract.states import State, Verdict
from harness.rules.response import HttpObservation, failed
from harness.rules.views import loop_thread

REPEATED_HEADERS = "CVE-2025-14550"
UNDERSCORE_HEADERS = "CVE-2026-3902"
BODY_LIMIT = "CVE-2026-33034"
UPLOAD_LIMIT = "CVE-2026-5766"

# Building a request with 4n copies of one header instead of n: linear work grows about x4, Django's old repeated
# string concatenation about x16. At most LINEAR_GROWTH reads linear; at least QUADRATIC_GROWTH, with the 4n build
# taking at least QUADRATIC_FLOOR_MS (a real cost, not a timer's jitter on a few ms), reads quadratic. Measured
# here (n = 4000): 5.2.0 x15-x22 and 150-230 ms, 4.1.13 x42 and 370 ms, 3.0 x10 and 95 ms; 5.2.19 x4.1 and 10 ms.
LINEAR_GROWTH = 6.0
QUADRATIC_GROWTH = 8.0
QUADRATIC_FLOOR_MS = 40.0

# What Django's request.FILES holds an upload in: memory, or a temporary file on disk.
IN_MEMORY, TEMPORARY = "InMemoryUploadedFile", "TemporaryUploadedFile"
# The header the underscore probe sends, and the META key Django would spoof from it (X-Auth-User's).
UNDERSCORE_HEADER, SPOOFED_KEY = "X_Auth_User", "HTTP_X_AUTH_USER"
# The ordinary header sent beside it, which must reach META: the request's headers reached Django at all.
CONTROL_HEADER, CONTROL_KEY = "X-Probe-Control", "HTTP_X_PROBE_CONTROL"


def refused_by_server(obs: HttpObservation) -> str | None:
    """How the server turned the request away before any view answered, or None when a view answered or it failed
    some other way: a 4xx without the view's JSON answer, or a connection closed without an answer."""
    if obs.status is None and obs.client_error:
        return "closed the connection without an answer"  # the client's error (a reset, a broken pipe) is a race
    if obs.status is not None and 400 <= obs.status < 500 and obs.body is None:
        return f"answered HTTP {obs.status}"
    return None


def _turned_away(
    server: str, obs: HttpObservation, handled: Verdict, facts: dict[str, Any], cve: str, what: str
) -> Verdict | None:
    """Protected by the server when it turned `obs` (a request carrying `what`) away, else None. Which error the
    client saw of a closed connection is a race, so it is a measurement, not a fact."""
    refusal = refused_by_server(obs)
    if refusal is None:
        return None
    facts.update(server_refused=refusal, protected_by="server")
    measurements = {**handled.measurements, **({"client_error": obs.client_error} if obs.client_error else {})}
    return Verdict(handled.state, f"protected by the server ({cve}): {server} {refusal} to {what}", facts, measurements)


def repeated_headers(server: str, scaling: HttpObservation, through: HttpObservation, copies: int) -> Verdict:
    """CVE-2025-14550: how Django combines repeated headers, and whether `server` lets `copies` of one through.

    `scaling` is the view's timing of Django's ASGIRequest with n and 4n copies (its JSON `ms`, keyed by count);
    `through` is a request carrying `copies` (4n) copies through the server. broken: the server passed them all
    on and Django's cost grew quadratically; undecided (measured again) when the growth is between the bounds.
    """
    handled = loop_thread(scaling)
    if handled.state not in (State.NATIVE, State.THREADED):
        return handled
    timings = {int(count): float(ms) for count, ms in (scaling.body or {}).get("ms", {}).items()}
    if len(timings) != 2:
        return Verdict(
            State.UNDECIDED, f"the view timed {len(timings)} sizes, not 2", {"server": server}, handled.measurements
        )
    n, most = min(timings), max(timings)
    growth = timings[most] / timings[n] if timings[n] > 0 else float("inf")
    measurements = {**handled.measurements, "build_ms": timings, "growth": round(growth, 2)}
    if growth <= LINEAR_GROWTH:
        complexity = "linear"
    elif growth >= QUADRATIC_GROWTH and timings[most] >= QUADRATIC_FLOOR_MS:
        complexity = "quadratic"
    else:
        reason = (
            f"building a request with {most} copies of one header took x{growth:.1f} the time of {n} copies "
            f"({timings[most]:.0f} ms): neither linear (<= x{LINEAR_GROWTH:g}) nor quadratic (>= "
            f"x{QUADRATIC_GROWTH:g} and {QUADRATIC_FLOOR_MS:g} ms)"
        )
        return Verdict(State.UNDECIDED, reason, {"server": server}, measurements, retry=True)
    django_alone = (
        f"Django alone combines repeated headers in {complexity} time (x{growth:.1f} from {n} to {most} copies, "
        f"{timings[most]:.0f} ms)"
    )
    facts: dict[str, Any] = {"server": server, "django_combines": complexity, "copies_sent": copies}
    turned_away = _turned_away(server, through, handled, facts, REPEATED_HEADERS, f"{copies} repeated headers")
    if turned_away:
        return replace(
            turned_away,
            reason=f"{turned_away.reason}; {django_alone}",
            measurements={**measurements, **turned_away.measurements},
        )
    if through.status != 200 or not through.body:
        return failed(through, facts)
    delivered = int(through.body.get("delivered", 0))
    facts["copies_delivered"] = delivered
    if delivered < copies:
        facts["protected_by"] = "server"
        reason = f"protected by the server ({REPEATED_HEADERS}): {server} passed on {delivered} of {copies} copies"
        return Verdict(handled.state, f"{reason}; {django_alone}", facts, measurements)
    if complexity == "quadratic":
        reason = f"{REPEATED_HEADERS}: {server} passed on {copies} repeated headers and {django_alone}"
        return Verdict(State.BROKEN, reason, facts, measurements)
    facts["protected_by"] = "django"
    reason = f"{server} passed on {copies} repeated headers, and {django_alone} ({REPEATED_HEADERS} fixed)"
    return Verdict(handled.state, reason, facts, measurements)


def underscore_headers(server: str, obs: HttpObservation) -> Verdict:
    """CVE-2026-3902: a header named X_Auth_User must not reach request.META as HTTP_X_AUTH_USER.

    The view answers with the x- headers of the ASGI scope (what the server handed over), request.META's HTTP_X_*
    keys, and (`django_alone`) whether Django's own ASGIRequest keeps such a header when handed it directly.
    """
    handled = loop_thread(obs)
    if handled.state not in (State.NATIVE, State.THREADED):
        return handled
    body = obs.body or {}
    in_scope = UNDERSCORE_HEADER.lower() in body.get("scope", [])
    in_meta = SPOOFED_KEY in body.get("meta", {})
    facts: dict[str, Any] = {"server": server, "in_scope": in_scope, "in_meta": in_meta}
    django_keeps = body.get("django_alone")
    if django_keeps is not None:
        facts["django_alone_keeps_it"] = django_keeps
    if CONTROL_KEY not in body.get("meta", {}):
        reason = f"the ordinary header {CONTROL_HEADER} sent beside {UNDERSCORE_HEADER} did not reach request.META"
        return Verdict(State.UNDECIDED, reason, facts, handled.measurements)
    if in_meta:
        reason = f"{UNDERSCORE_HEADER}: spoof reached request.META as {SPOOFED_KEY}, the key of X-Auth-User"
        return Verdict(State.BROKEN, f"{UNDERSCORE_HEADERS}: {server} passed on {reason}", facts, handled.measurements)
    if in_scope:
        facts["protected_by"] = "django"
        reason = f"{server} passed on {UNDERSCORE_HEADER} and Django left it out of request.META ({UNDERSCORE_HEADERS} fixed)"
        return Verdict(handled.state, reason, facts, handled.measurements)
    facts["protected_by"] = "server"
    alone = (
        "" if django_keeps is None else "; Django alone " + ("would have kept it" if django_keeps else "drops it too")
    )
    reason = (
        f"protected by the server ({UNDERSCORE_HEADERS}): {server} dropped {UNDERSCORE_HEADER} before Django{alone}"
    )
    return Verdict(handled.state, reason, facts, handled.measurements)


def body_limit(server: str, control: HttpObservation, chunked: HttpObservation) -> Verdict:
    """CVE-2026-33034: request.body of a chunked request (no Content-Length) past DATA_UPLOAD_MAX_MEMORY_SIZE.

    `control` sends as many bytes with a Content-Length, which every release refuses (the limit took); the views
    answer `outcome` "refused" (RequestDataTooBig) or "read", and the Content-Length Django saw.
    """
    handled = loop_thread(control)
    if handled.state not in (State.NATIVE, State.THREADED):
        return handled
    facts: dict[str, Any] = {"server": server}
    if (control.body or {}).get("outcome") != "refused":
        reason = (
            "the control request, with a Content-Length past the lowered limit, was not refused: the limit did not take"
        )
        return Verdict(State.UNDECIDED, reason, facts, handled.measurements)
    turned_away = _turned_away(server, chunked, handled, facts, BODY_LIMIT, "a chunked body")
    if turned_away:
        return turned_away
    if chunked.status != 200 or not chunked.body:
        return failed(chunked, facts)
    body = chunked.body
    facts.update(outcome=body.get("outcome"), content_length_seen=body.get("content_length"))
    limit = f"DATA_UPLOAD_MAX_MEMORY_SIZE ({body.get('limit')} bytes)"
    if body.get("outcome") == "read":
        reason = f"{BODY_LIMIT}: request.body read all {body.get('bytes')} bytes of a chunked body past {limit}"
        return Verdict(State.BROKEN, reason, facts, handled.measurements)
    if body.get("content_length") is not None:
        facts["protected_by"] = "server"
        reason = f"protected by the server ({BODY_LIMIT}): {server} gave Django a Content-Length for the chunked body"
        return Verdict(handled.state, reason, facts, handled.measurements)
    facts["protected_by"] = "django"
    reason = f"request.body refused a chunked body past {limit} with RequestDataTooBig ({BODY_LIMIT} fixed)"
    return Verdict(handled.state, reason, facts, handled.measurements)


def upload_limit(server: str, control: HttpObservation, understated: HttpObservation, declared: int) -> Verdict:
    """CVE-2026-5766: a multipart upload past FILE_UPLOAD_MAX_MEMORY_SIZE, sent chunked under a Content-Length of
    `declared` bytes that understates it, must go to a temporary file, not stay in memory.

    `control` sends the same upload with its true Content-Length (a temporary file on every release: the limit
    took); the views answer the class request.FILES holds the file in, and its size.
    """
    handled = loop_thread(control)
    if handled.state not in (State.NATIVE, State.THREADED):
        return handled
    facts: dict[str, Any] = {"server": server, "declared_length": declared}
    if (control.body or {}).get("file_class") != TEMPORARY:
        reason = (
            f"the control upload, with its true Content-Length past the lowered limit, was held in "
            f"{(control.body or {}).get('file_class')}, not a {TEMPORARY}: the limit did not take"
        )
        return Verdict(State.UNDECIDED, reason, facts, handled.measurements)
    what = f"a chunked body under a Content-Length of {declared}"
    turned_away = _turned_away(server, understated, handled, facts, UPLOAD_LIMIT, what)
    if turned_away:
        return turned_away
    if understated.status != 200 or not understated.body:
        return failed(understated, facts)
    body = understated.body
    held = body.get("file_class")
    facts.update(file_class=held, content_length_seen=body.get("content_length"))
    upload = f"a {body.get('size')}-byte upload declared as {body.get('content_length')} bytes"
    limit = f"FILE_UPLOAD_MAX_MEMORY_SIZE ({body.get('limit')} bytes)"
    if held == IN_MEMORY:
        reason = f"{UPLOAD_LIMIT}: {server} passed on {upload}, and Django held it in memory ({IN_MEMORY}) past {limit}"
        return Verdict(State.BROKEN, reason, facts, handled.measurements)
    if held == TEMPORARY:
        facts["protected_by"] = "django"
        reason = (
            f"{server} passed on {upload}, and Django wrote it to a {TEMPORARY} past {limit} ({UPLOAD_LIMIT} fixed)"
        )
        return Verdict(handled.state, reason, facts, handled.measurements)
    received = body.get("received")
    facts["bytes_received"] = received
    if received is not None and received <= declared:
        facts["protected_by"] = "server"
        reason = (
            f"protected by the server ({UPLOAD_LIMIT}): {server} handed Django only the {received} bytes the "
            "Content-Length declared, not the chunked body: request.FILES held no file"
        )
        return Verdict(handled.state, reason, facts, handled.measurements)
    reason = f"request.FILES held no file ({held}) for a chunked upload; Django saw Content-Length {body.get('content_length')}"
    return Verdict(State.UNDECIDED, reason, facts, handled.measurements)
