"""Labeling of generated content (GB 45438-2025; Labeling Measures Arts 4–6, 9–10).

Imports are lazy so that ``import hegui.labeling`` stays light (the gateway imports ``text``).
Public implicit-label API: :func:`write_label`, :func:`read_label`, :class:`ImplicitLabel`,
:class:`ReadResult`, :func:`write_label_file`, :func:`read_label_file`, :func:`inspect`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.labeling.api import ReadResult, read_label, read_label_file, write_label, write_label_file
    from hegui.labeling.inspector import InspectionResult, inspect
    from hegui.labeling.label import ImplicitLabel

__all__ = ["ImplicitLabel", "InspectionResult", "ReadResult", "inspect", "read_label", "read_label_file",
           "write_label", "write_label_file"]

_LAZY = {
    "ImplicitLabel": "hegui.labeling.label",
    "ReadResult": "hegui.labeling.api",
    "read_label": "hegui.labeling.api",
    "read_label_file": "hegui.labeling.api",
    "write_label": "hegui.labeling.api",
    "write_label_file": "hegui.labeling.api",
    "inspect": "hegui.labeling.inspector",
    "InspectionResult": "hegui.labeling.inspector",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hegui.labeling' has no attribute {name!r}")
    return getattr(import_module(module), name)
