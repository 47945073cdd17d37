"""Implicit-label policy loaded from a versioned data file (GB 45438-2025 §6, Annex E).

Every number and every uncertain [U] choice of the reference lives in
``hegui/data/labeling/implicit.yaml``; operators may pass their own file.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hegui.errors import ConfigError

Severity = Literal["warn", "error", "off"]
InspectClass = Literal["none", "suspected", "possible", "confirmed"]


class LabelPolicy(BaseModel):
    """Validated policy; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    json_form: Literal["bare", "wrapped"] = "bare"
    charset_on_read: Literal["warn", "error"] = "warn"
    charset_on_write: Severity = "error"
    provider_code_on_write: Severity = "error"
    provider_code_on_read: Severity = "warn"
    png_text_chunk: bool = False
    id3_version: Literal[3, 4] = 4
    pdf_xmp: bool = True
    max_label_bytes: int = Field(65536, gt=0)
    max_xmp_bytes: int = Field(4 << 20, gt=0)
    max_meta_box_bytes: int = Field(256 << 20, gt=0)
    max_in_memory_bytes: int = Field(1 << 30, gt=0)
    max_zip_uncompressed_bytes: int = Field(512 << 20, gt=0)
    # hostile-input bounds (security-labels.md): structural items walked per file (chunks, boxes,
    # segments, elements, pages); one tag block handed to a library parser (ID3v2, FLAC metadata,
    # Ogg header packets, zip directory); whole file decoded for the inspector's watermark check;
    # head of a text file searched for a label.
    max_container_items: int = Field(1_000_000, gt=0)
    max_tag_bytes: int = Field(64 << 20, gt=0)
    max_watermark_bytes: int = Field(64 << 20, gt=0)
    max_text_head_bytes: int = Field(16 << 20, gt=0)
    max_zip_ratio: int = Field(200, gt=0)
    c2pa_ai_class: InspectClass = "suspected"
    watermark_class: InspectClass = "suspected"
    c2pa_remote_timeout_s: float = Field(2.0, gt=0)
    ai_digital_source_types: tuple[str, ...] = ()
    key_aliases: dict[str, str] = {}
    explicit_text_patterns: tuple[str, ...] = ()
    explicit_text_scan_bytes: int = Field(4096, gt=0)


def load_policy(path: str | Path | None = None) -> LabelPolicy:
    """Load a policy file; ``None`` loads the shipped default. A named file that is missing raises."""
    try:
        if path is None:
            text = resources.files("hegui.data").joinpath("labeling/implicit.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        raw = yaml.safe_load(text)
        return LabelPolicy.model_validate(raw)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(detail=f"labeling policy {path or 'default'}: {exc}") from exc


@lru_cache(maxsize=1)
def default_policy() -> LabelPolicy:
    """The shipped policy (immutable, cached)."""
    return load_policy(None)
