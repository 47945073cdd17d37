"""The single error hierarchy of hegui.

Every public error subclasses :class:`HeguiError`. Each class has a stable ``code``,
an ``http_status`` and bilingual message templates with named fields::

    HeguiError
    ├── ConfigError                 bad hegui.toml / environment
    ├── ValidationFailed            bad user input (ID card, phone, body...)
    ├── AuthError                   missing/invalid API key or admin login
    │   └── Forbidden               authenticated but not allowed
    ├── IdentityError               end user unknown, unverified, no agreement...
    │   ├── UnknownUser             the request names an unregistered end user
    │   └── MinorRestriction        minor-mode limit (quiet hours, daily quota, guardian)
    ├── ContentRefused              moderation refused the input
    ├── UpstreamError               model endpoint failed or timed out
    ├── NotFound                    unknown model / record / case
    ├── StorageError                database locked or down
    └── LabelError                  labeling failed (carriers raise subclasses)

``str(err)`` is English (for logs); the API picks the language from ``Accept-Language``.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HeguiError(Exception):
    """Root of every hegui error."""

    code: ClassVar[str] = "HEGUI_ERROR"
    http_status: ClassVar[int] = 500
    message_zh: ClassVar[str] = "内部错误"
    message_en: ClassVar[str] = "Internal error"

    def __init__(self, message_en: str | None = None, message_zh: str | None = None, **fields: Any) -> None:
        self.fields = fields
        self._en = message_en
        self._zh = message_zh
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        if lang.startswith("zh"):
            template = self._zh if self._zh is not None else self.message_zh
        else:
            template = self._en if self._en is not None else self.message_en
        try:
            return template.format(**self.fields)
        except (KeyError, IndexError, ValueError):
            return template

    def bilingual(self) -> str:
        return f"{self.message('zh')} / {self.message('en')}"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"code": self.code, "message": self.message(lang), "message_zh": self.message("zh"),
                "message_en": self.message("en")}


class ConfigError(HeguiError):
    code = "CONFIG_INVALID"
    http_status = 500
    message_zh = "配置无效：{detail}"
    message_en = "Invalid configuration: {detail}"


class ValidationFailed(HeguiError):
    code = "INVALID_INPUT"
    http_status = 400
    message_zh = "输入无效：{detail}"
    message_en = "Invalid input: {detail}"


class AuthError(HeguiError):
    code = "UNAUTHENTICATED"
    http_status = 401
    message_zh = "身份认证失败：{detail}"
    message_en = "Authentication failed: {detail}"


class Forbidden(AuthError):
    code = "FORBIDDEN"
    http_status = 403
    message_zh = "无权执行此操作：{detail}"
    message_en = "Not allowed: {detail}"


class IdentityError(HeguiError):
    code = "USER_NOT_ALLOWED"
    http_status = 403
    message_zh = "用户无法使用服务：{detail}"
    message_en = "User may not use the service: {detail}"


class UnknownUser(IdentityError):
    code = "USER_NOT_REGISTERED"
    http_status = 403
    message_zh = "终端用户 {user} 未注册"
    message_en = "End user {user} is not registered"


class MinorRestriction(IdentityError):
    code = "MINOR_MODE_RESTRICTED"
    http_status = 403
    message_zh = "未成年人模式限制：{detail}"
    message_en = "Minor mode restriction: {detail}"


class ContentRefused(HeguiError):
    code = "CONTENT_REFUSED"
    http_status = 400
    message_zh = "{detail}"
    message_en = "{detail}"


class UpstreamError(HeguiError):
    code = "UPSTREAM_ERROR"
    http_status = 502
    message_zh = "上游模型服务出错：{detail}"
    message_en = "Upstream model failed: {detail}"


class UpstreamTimeout(UpstreamError):
    code = "UPSTREAM_TIMEOUT"
    http_status = 504
    message_zh = "上游模型服务超时：{detail}"
    message_en = "Upstream model timed out: {detail}"


class NotFound(HeguiError):
    code = "NOT_FOUND"
    http_status = 404
    message_zh = "未找到：{detail}"
    message_en = "Not found: {detail}"


class StorageError(HeguiError):
    code = "STORAGE_UNAVAILABLE"
    http_status = 503
    message_zh = "存储暂不可用，请稍后重试：{detail}"
    message_en = "Storage unavailable, retry later: {detail}"


class SchemaMismatch(StorageError):
    code = "SCHEMA_MISMATCH"
    http_status = 500
    message_zh = "数据库结构版本与本版 hegui 不符，无法迁移（数据未改动）：{detail}"
    message_en = "The database schema version does not match this hegui version and cannot be migrated (no data was changed): {detail}"


class LabelError(HeguiError):
    code = "LABEL_ERROR"
    http_status = 422
    message_zh = "标识处理失败：{detail}"
    message_en = "Labeling failed: {detail}"


def all_error_classes() -> list[type[HeguiError]]:
    """Every HeguiError subclass (for the uniqueness test and docs)."""
    seen: list[type[HeguiError]] = [HeguiError]
    stack = [HeguiError]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                stack.append(sub)
    return seen
