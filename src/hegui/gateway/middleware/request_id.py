"""Pure ASGI middleware: every request gets an id, and every response carries it.

The id is made here, before authentication, so a refused key (401), a bad body (400) or an unknown
route (404) answers with the same ``request_id`` in the error body as in the ``X-Request-Id`` header
— the id an operator looks up in the logs (the OpenAI SDK reads it from the header as
``err.request_id``). A client's own ``X-Request-Id`` is never trusted: the gateway makes its own.
"""

from __future__ import annotations

import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"


def new_request_id() -> str:
    """``req-`` and 24 random hex digits (the usage records' ``request_id``)."""
    return "req-" + uuid.uuid4().hex[:24]


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["request_id"] = new_request_id()

        async def stamped(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = list(msg.get("headers", []))
                if not any(name.lower() == HEADER for name, _ in headers):
                    headers.append((HEADER, state["request_id"].encode()))
                    msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, stamped)
