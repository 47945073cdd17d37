"""Errors of the management records, in the single :class:`hegui.errors.HeguiError` tree."""

from __future__ import annotations

from hegui.errors import HeguiError, NotFound, ValidationFailed


class RecordNotFound(NotFound):
    code = "GOV_RECORD_NOT_FOUND"
    message_zh = "找不到{what_zh}：{id}"
    message_en = "no {what_en} with id {id}"


class IllegalTransition(ValidationFailed):
    code = "GOV_ILLEGAL_TRANSITION"
    http_status = 409
    message_zh = "事件 {id} 不能从“{state}”转为“{target}”（允许：{allowed}）"
    message_en = "incident {id} cannot move from '{state}' to '{target}' (allowed: {allowed})"


class ServiceSuspended(HeguiError):
    """Raised by the gateway while a regulator-ordered suspension is in force."""

    code = "SERVICE_SUSPENDED"
    http_status = 503
    message_zh = "根据监管部门的命令（{authority} {reference}），本服务暂停提供，恢复前不受理生成请求"
    message_en = ("the service is suspended by order of the regulator ({authority} {reference}); no generation "
                  "requests are served until it is lifted")
