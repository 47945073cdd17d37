"""Pure ASGI middleware: refuse request bodies over a byte limit (413) without buffering them.

One limit for the API; paths that take uploads (the complaint form with its evidence files) get
their own, registered by the package that owns the path in ``app.state.body_limits``.
"""

from __future__ import annotations

import json

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hegui.errors import HeguiError


class BodyTooLarge(HeguiError):
    code = "BODY_TOO_LARGE"
    http_status = 413
    message_zh = "请求体过大（上限 {limit} 字节）"
    message_en = "Request body too large (limit {limit} bytes)"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path if per_path is not None else {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._reject(scope, send, limit)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit=limit)
            return msg

        await self.app(scope, limited, send)

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        err = BodyTooLarge(limit=limit)
        lang = "en"
        for name, value in scope.get("headers", []):
            if name == b"accept-language" and value.lower().startswith(b"zh"):
                lang = "zh"
        request_id = (scope.get("state") or {}).get("request_id")
        body = json.dumps({"error": {"type": "invalid_request_error", "param": None, **err.to_dict(lang),
                                     "request_id": request_id}},
                          ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
