"""What several command groups share: the audit actor of a shell command, and the services."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from hegui.app import Services


def actor() -> str:
    """``cli:<login>`` for the audit log; ``cli`` when the uid has no user name (containers)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def services(config: Optional[Path]) -> Services:
    """The services of ``hegui.toml`` (migrated), as every command that touches the database uses them."""
    from hegui.cli.main import _services

    return _services(config)
