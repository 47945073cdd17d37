"""Recognizer errors, part of the single hierarchy rooted at :class:`hegui.errors.HeguiError`.

::

    ConfigError
    └── RecognizerConflict   a custom recognizer would shadow a built-in or reuse a name
"""

from __future__ import annotations

from hegui.errors import ConfigError


class RecognizerConflict(ConfigError):
    code = "MODERATION_RECOGNIZER_CONFLICT"
    http_status = 500
    message_zh = "识别器名称冲突：{name}（{detail}）"
    message_en = "Recognizer name conflict: {name} ({detail})"
