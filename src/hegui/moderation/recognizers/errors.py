"""Recognizer errors, part of the single hierarchy rooted at :class:`hegui.errors.HeguiError`.

::

    ConfigError
    ├── RecognizerConflict   a custom recognizer would shadow a built-in or reuse a name
    └── NameModelInvalid     the person-name model file is missing, tampered with or malformed
"""

from __future__ import annotations

from hegui.errors import ConfigError


class RecognizerConflict(ConfigError):
    code = "MODERATION_RECOGNIZER_CONFLICT"
    http_status = 500
    message_zh = "识别器名称冲突：{name}（{detail}）"
    message_en = "Recognizer name conflict: {name} ({detail})"


class NameModelInvalid(ConfigError):
    """The person-name model file or its JSON header failed validation (never loaded half-way)."""

    code = "MODERATION_NAME_MODEL_INVALID"
    http_status = 500
    message_zh = "人名识别模型文件无效（{path}）：{detail}"
    message_en = "Invalid person-name model file ({path}): {detail}"
