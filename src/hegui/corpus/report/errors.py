"""Errors of the corpus-audit report, part of the single :class:`hegui.errors.HeguiError` tree.

::

    ValidationFailed
    └── CorpusReportError    bad decisions or worksheet input (``location`` is ``file:line`` / ``sheet!row``)
    ConfigError
    └── CorpusProfileError   a corpus threshold profile is unknown or invalid
"""

from __future__ import annotations

from hegui.errors import ConfigError, ValidationFailed


class CorpusReportError(ValidationFailed):
    code = "CORPUS_REPORT_INVALID"
    http_status = 422
    message_zh = "语料审计报告的输入无效（{location}）：{detail}"
    message_en = "Invalid corpus-audit report input ({location}): {detail}"


class CorpusProfileError(ConfigError):
    code = "CORPUS_PROFILE_INVALID"
    http_status = 500
    message_zh = "语料审计阈值配置无效（{location}）：{detail}"
    message_en = "Invalid corpus-audit profile ({location}): {detail}"
