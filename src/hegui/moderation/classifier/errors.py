"""Classifier errors, part of the single hierarchy rooted at :class:`hegui.errors.HeguiError`.

::

    ConfigError
    └── ModelFileInvalid     a classifier weights file is missing, tampered with or malformed
    ValidationFailed
    └── TrainingDataInvalid  an operator training file has a bad line (with file:line)
"""

from __future__ import annotations

from hegui.errors import ConfigError, ValidationFailed


class ModelFileInvalid(ConfigError):
    """The weights file or its JSON header failed validation (never loaded half-way)."""

    code = "MODERATION_MODEL_INVALID"
    http_status = 500
    message_zh = "分类模型文件无效（{path}）：{detail}"
    message_en = "Invalid classifier model file ({path}): {detail}"


class TrainingDataInvalid(ValidationFailed):
    """A training data file could not be read; ``location`` is ``file:line``."""

    code = "MODERATION_TRAINING_DATA_INVALID"
    http_status = 400
    message_zh = "训练数据无效（{location}）：{detail}"
    message_en = "Invalid training data ({location}): {detail}"
