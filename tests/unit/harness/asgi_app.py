"""A tiny ASGI app for the server harness's own tests: it answers the readiness path, and raises on /raise/."""

from __future__ import annotations


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/raise/":
        raise RuntimeError("the app raised on purpose")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"entrypoint_error": null}'})
