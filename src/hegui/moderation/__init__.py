"""Moderation: the contract (:mod:`.base`), the policy engine (:mod:`.engine`), packs and taxonomy.

Names are imported lazily so ``import hegui.moderation`` stays cheap for the gateway.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Action": "hegui.moderation.base",
    "CheckContext": "hegui.moderation.base",
    "Direction": "hegui.moderation.base",
    "Evidence": "hegui.moderation.base",
    "Moderator": "hegui.moderation.base",
    "RiskFinding": "hegui.moderation.base",
    "StreamChecker": "hegui.moderation.base",
    "StreamDecision": "hegui.moderation.base",
    "Verdict": "hegui.moderation.base",
    "PolicyModerator": "hegui.moderation.engine",
    "PackError": "hegui.moderation.errors",
    "PackNotFound": "hegui.moderation.errors",
    "Lexicon": "hegui.moderation.lexicon",
    "Taxonomy": "hegui.moderation.taxonomy",
    "Risk": "hegui.moderation.taxonomy",
    "RiskCategory": "hegui.moderation.taxonomy",
    "default_taxonomy": "hegui.moderation.taxonomy",
    "coverage": "hegui.moderation.coverage",
}

__all__ = [
    "Action",
    "CheckContext",
    "Direction",
    "Evidence",
    "Lexicon",
    "Moderator",
    "PackError",
    "PackNotFound",
    "PolicyModerator",
    "Risk",
    "RiskCategory",
    "RiskFinding",
    "StreamChecker",
    "StreamDecision",
    "Taxonomy",
    "Verdict",
    "coverage",
    "default_taxonomy",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'hegui.moderation' has no attribute {name!r}")
