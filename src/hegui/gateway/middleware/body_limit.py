"""Pure ASGI middleware: refuse request bodies over a byte limit (413) without buffering them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hegui.errors import HeguiError


class BodyTooLarge(HeguiError):
    code = "BODY_TOO_LARGE"
    http_status = 413
    message_zh = "请求体过大（上限 {limit} 字节）"
    message_en = "Request body too large (limit {limit} bytes)"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(scope, send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(limit=self.max_bytes)
            return msg

        await self.app(scope, limited, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        err = BodyTooLarge(limit=self.max_bytes)
        lang = "en"
        for name, value in scope.get("headers", []):
            if name == b"accept-language" and value.lower().startswith(b"zh"):
                lang = "zh"
        body = json.dumps({"error": {"type": "invalid_request_error", "param": None, **err.to_dict(lang)}},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
