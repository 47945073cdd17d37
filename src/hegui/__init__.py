"""hegui 合规 — run a generative-AI service in China within the law.

The public Python API; everything the CLI does is reachable from here::

    from hegui import load_settings, build_services, create_app
    app = create_app(load_settings("hegui.toml"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module; imported lazily so `import hegui` stays cheap and side-effect free.
_EXPORTS = {
    "HeguiError": "hegui.errors",
    "ConfigError": "hegui.errors",
    "ValidationFailed": "hegui.errors",
    "HeguiSettings": "hegui.settings",
    "load_settings": "hegui.settings",
    "Database": "hegui.storage.db",
    "Services": "hegui.app",
    "build_services": "hegui.app",
    "create_app": "hegui.app",
    "bootstrap": "hegui.bootstrap",
    "Moderator": "hegui.moderation.base",
    "Verdict": "hegui.moderation.base",
    "Action": "hegui.moderation.base",
    "Direction": "hegui.moderation.base",
    "TextLabel": "hegui.labeling.text",
    "IdentityService": "hegui.identity.users",
    "evaluate_obligations": ("hegui.obligations.register", "evaluate"),
    "verify_audit_log": ("hegui.records.audit", "verify"),
    "purge_expired": ("hegui.records.retention", "purge"),
    "export_for_training": "hegui.records.training_export",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from hegui.errors import ConfigError, HeguiError, ValidationFailed  # noqa: F401
    from hegui.app import Services, build_services, create_app  # noqa: F401
    from hegui.settings import HeguiSettings, load_settings  # noqa: F401


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'hegui' has no attribute {name!r}")
    import importlib

    module, attr = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value
