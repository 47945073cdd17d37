"""Moderation errors, part of the single hierarchy rooted at :class:`hegui.errors.HeguiError`.

::

    ConfigError
    └── PackError            a policy pack or taxonomy file is invalid (with file:line)
        └── PackNotFound     a named pack directory or file does not exist
"""

from __future__ import annotations

from hegui.errors import ConfigError


class PackError(ConfigError):
    """A policy pack could not be loaded; ``location`` is ``file:line``."""

    code = "MODERATION_PACK_INVALID"
    http_status = 500
    message_zh = "策略包无效（{location}）：{detail}"
    message_en = "Invalid policy pack ({location}): {detail}"


class PackNotFound(PackError):
    code = "MODERATION_PACK_NOT_FOUND"
    http_status = 500
    message_zh = "未找到策略包（{location}）：{detail}"
    message_en = "Policy pack not found ({location}): {detail}"
