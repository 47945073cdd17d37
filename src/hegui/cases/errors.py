"""Errors of the cases duty; all subclass the single hierarchy in :mod:`hegui.errors`."""

from __future__ import annotations

from hegui.errors import (
    ConfigError,
    Forbidden,
    HeguiError,
    IdentityError,
    NotFound,
    ValidationFailed,
)


class CalendarNotCovered(ConfigError):
    code = "CALENDAR_NOT_COVERED"
    http_status = 500
    message_zh = ("工作日历未覆盖 {year} 年（已覆盖：{covered}）；请导入国务院办公厅公布的该年节假日安排："
                  "hegui cases calendar import 文件.yaml")
    message_en = ("the working-day calendar does not cover {year} (covered: {covered}); import the State "
                  "Council's holiday arrangement for that year: hegui cases calendar import FILE.yaml")


class CalendarFileInvalid(ConfigError):
    """A holiday-arrangement file with problems; the message lists them as ``file:line: …``."""

    code = "CALENDAR_FILE_INVALID"
    message_zh = "节假日安排文件无效：{detail}"
    message_en = "Invalid holiday-arrangement file: {detail}"


class CaseNotFound(NotFound):
    code = "CASE_NOT_FOUND"
    message_zh = "未找到案件：{detail}"
    message_en = "Case not found: {detail}"


class BadTransition(ValidationFailed):
    code = "CASE_BAD_TRANSITION"
    http_status = 409
    message_zh = "案件状态不能从 {src} 变为 {dst}"
    message_en = "a case cannot go from {src} to {dst}"


class UploadRejected(ValidationFailed):
    code = "UPLOAD_REJECTED"
    http_status = 413
    message_zh = "证据文件被拒绝：{detail}"
    message_en = "Evidence upload rejected: {detail}"


class ArchiveExpired(NotFound):
    code = "PI_ARCHIVE_EXPIRED"
    message_zh = "该个人信息副本已过期或已删除（生成后保留 {days} 天）；如仍需要，请重新提交查阅/复制请求"
    message_en = ("This personal-information archive has expired or was deleted (kept {days} days after it was "
                  "generated); submit a new access/copy request if you still need it")


class TooManyRequests(HeguiError):
    code = "RATE_LIMITED"
    http_status = 429
    message_zh = "提交过于频繁，请稍后再试"
    message_en = "Too many submissions, please try again later"


class SubjectNotFound(NotFound):
    code = "PI_SUBJECT_NOT_FOUND"
    message_zh = "未找到该个人信息主体（终端用户 {user}），请求未执行"
    message_en = "No end user {user} to act on; nothing was done"


class UserSanctioned(IdentityError):
    """A sanction stops this end user now (Interim Measures Art 14; DS Art 10)."""

    code = "USER_SANCTIONED"
    http_status = 403
    message_zh = "账号已被{kind_zh}：{reason}。{until_zh}如有异议可申诉：{appeal}"
    message_en = "Account {kind_en}: {reason}. {until_en}To appeal: {appeal}"


class CsrfFailed(Forbidden):
    code = "CSRF_FAILED"
    message_zh = "表单已失效或来源不可信（CSRF 校验失败），请刷新页面后重试"
    message_en = "The form expired or did not come from this console (CSRF check failed); reload and retry"
