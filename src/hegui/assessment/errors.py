"""Assessment errors, part of the single hierarchy rooted at :class:`hegui.errors.HeguiError`.

::

    ValidationFailed
    └── BankError            a bank file is malformed (``location`` is ``file:line``)
    ConfigError
    └── ProfileError         a threshold profile is unknown or invalid
    HeguiError
    └── AssessmentError      a run cannot go on (endpoint unusable, state directory broken)
"""

from __future__ import annotations

from hegui.errors import ConfigError, HeguiError, ValidationFailed


class BankError(ValidationFailed):
    code = "ASSESSMENT_BANK_INVALID"
    http_status = 422
    message_zh = "测试题库无效（{location}）：{detail}"
    message_en = "Invalid test bank ({location}): {detail}"


class ProfileError(ConfigError):
    code = "ASSESSMENT_PROFILE_INVALID"
    http_status = 500
    message_zh = "评估阈值配置无效（{location}）：{detail}"
    message_en = "Invalid assessment profile ({location}): {detail}"


class AssessmentError(HeguiError):
    code = "ASSESSMENT_FAILED"
    http_status = 500
    message_zh = "安全评估无法继续：{detail}"
    message_en = "The security assessment cannot go on: {detail}"
