"""The HTTP/2 client against real servers (the tools env pins the probes' servers, and the observer's httpx and h2):
prior knowledge in cleartext, ALPN over TLS, a refusal, and the call that runs it in the observer's venv."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from contract.evidence import ROOT
from harness.observers import h2client, observerenv
from harness.observers.h2client import Exchange, exchange, main
from harness.processes.servers import READY_PATH, run_server
from harness.processes.tls import self_signed

APP = "tests.unit.harness.asgi_app:app"  # answers {"entrypoint_error": null} as JSON on every path
CLIENT = "httpx 0.28.1, h2 4.4.1, Python 3.11"  # requirements/tools.txt, as requirements/observer-h2.txt


def ask(capsys, *arguments: str) -> dict[str, object]:
    assert main(list(arguments)) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_prior_knowledge_in_cleartext_negotiates_http2(tmp_path, capsys):
    with run_server("hypercorn", tmp_path, app=APP) as server:
        seen = ask(capsys, server.url(READY_PATH), server.url("/protocol/sync/"))
    assert seen == {
        "client": CLIENT,
        "negotiated": "HTTP/2",
        "alpn": None,
        "refused": None,
        "ready_error": None,
        "status": 200,
        "body": {"entrypoint_error": None},
        "client_error": None,
    }


def test_over_tls_alpn_chooses_http2_with_only_the_servers_certificate_trusted(tmp_path, capsys):
    tls = self_signed(tmp_path)
    with run_server("daphne", tmp_path, app=APP, tls=tls) as server:
        seen = ask(capsys, server.url(READY_PATH), server.url("/"), "--cafile", str(tls.certificate))
        untrusted = ask(capsys, server.url(READY_PATH), server.url("/"))
    assert (seen["negotiated"], seen["alpn"], seen["status"]) == ("HTTP/2", "h2", 200)
    assert "CERTIFICATE_VERIFY_FAILED" in str(untrusted["refused"])


def test_a_server_without_h2c_refuses_prior_knowledge(tmp_path, capsys):
    with run_server("uvicorn", tmp_path, app=APP) as server:
        seen = ask(capsys, server.url(READY_PATH), server.url("/"))
    assert seen["negotiated"] is None and seen["status"] is None
    # uvicorn answers the preface's "PRI * HTTP/2.0" line with a 400 and closes; if the rest of the preface is still
    # unread then, the kernel resets the connection instead (seen under load): both are the refusal.
    assert str(seen["refused"]).startswith(("RemoteProtocolError: ", "ReadError: "))


HANGING_APP = """
import asyncio

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    if scope["http_version"] == "2":  # the harness's own readiness request comes over HTTP/1.1 and is answered
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        await asyncio.sleep(30)
    await send({"type": "http.response.body", "body": b"{}"})
"""


def test_an_http2_answer_that_starts_but_never_ends_is_told_from_a_refusal(tmp_path, capsys):
    # hypercorn 0.9.0 (Django 3.0 as shipped) sends the headers of an HTTP/2 answer, then never its body.
    (tmp_path / "hanging_app.py").write_text(HANGING_APP, encoding="utf-8")
    env = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    with run_server("hypercorn", tmp_path, app="hanging_app:app", env=env, timeout=5) as server:
        seen = ask(capsys, server.url(READY_PATH), server.url("/view/"), "--timeout", "0.5")
    assert (seen["negotiated"], seen["refused"]) == ("HTTP/2", None)
    assert seen["ready_error"] == "ReadTimeout: timed out"
    assert (seen["status"], seen["client_error"]) == (None, None)  # the view is not asked on a hung connection


def test_exchange_runs_the_client_in_the_observer_venv(monkeypatch, tmp_path):
    venvs: list[Path] = []

    def this_python(lock: Path, home: Path = observerenv.HOME) -> Path:
        venvs.append(lock)
        return Path(sys.executable)  # the tools env has the observer's pins

    monkeypatch.setattr(observerenv, "observer_python", this_python)
    with run_server("hypercorn", tmp_path, app=APP) as server:
        seen = exchange(server.url(READY_PATH), server.url("/"), cafile=None)
    assert venvs == [h2client.LOCK]
    assert seen == Exchange(CLIENT, "HTTP/2", None, None, None, 200, {"entrypoint_error": None}, None)


def test_bad_arguments_exit_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["http://127.0.0.1:1/"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith("the following arguments are required: view")
