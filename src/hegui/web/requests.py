"""JSON request bodies, strictly parsed (every field is attacker-controlled)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from hegui.errors import ValidationFailed


def parse_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from a request body: invalid UTF-8 (lone surrogates too), invalid JSON and
    anything but an object are a 400."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        bad_utf8 = "utf-8" in str(exc).lower() or "surrogate" in str(exc).lower()
        if bad_utf8:
            raise ValidationFailed(message_en="request body is not valid UTF-8",
                                   message_zh="请求体不是有效的 UTF-8 编码") from exc
        raise ValidationFailed(message_en=f"request body is not valid JSON: {exc}",
                               message_zh=f"请求体不是有效的 JSON：{exc}") from exc
    if not isinstance(data, dict):
        raise ValidationFailed(detail="request body must be a JSON object")
    return data


async def json_body(request: Request) -> dict[str, Any]:
    return parse_object(await request.body())
