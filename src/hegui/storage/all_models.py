"""Import every duty's table modules so the metadata (and Alembic) sees all tables."""

from __future__ import annotations

import importlib

from hegui.storage.base import Base

MODEL_MODULES = (
    "hegui.storage.models",
    "hegui.labeling.models",
    "hegui.cases.models",
    "hegui.governance.models",
    "hegui.annotation.models",
    "hegui.likeness.models",
    "hegui.provenance.models",
)


def load_all() -> type[Base]:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return Base
