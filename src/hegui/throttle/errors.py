"""The throttle's error: HTTP 429 with a ``Retry-After`` in seconds, in Chinese and English."""

from __future__ import annotations

from typing import Any

from hegui.errors import HeguiError


class RateLimited(HeguiError):
    """Too many attempts or requests for one key, account, address or phone number."""

    code = "THROTTLED"
    http_status = 429
    message_zh = "{what_zh}过于频繁，已暂时限制，请在 {retry_after} 秒后重试"
    message_en = "Too many {what_en}; temporarily limited, retry after {retry_after} seconds"

    def __init__(self, message_en: str | None = None, message_zh: str | None = None, **fields: Any) -> None:
        super().__init__(message_en, message_zh, **fields)
        try:
            self.retry_after = max(1, int(fields.get("retry_after", 1)))
        except (TypeError, ValueError):
            self.retry_after = 1
