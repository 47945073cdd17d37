"""The explicit-label policy (GB 45438-2025 §5), loaded from a replaceable YAML file."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from hegui.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImagePolicy(_Strict):
    min_glyph_ratio: float = Field(gt=0, lt=1)
    glyph_ratio: float = Field(gt=0, lt=1)
    margin_ratio: float = Field(ge=0, lt=0.5)
    box_opacity: float = Field(ge=0, le=1)
    jpeg_quality: int = Field(ge=1, le=100)
    max_pixels: int = Field(gt=0)
    max_bytes: int = Field(320 << 20, gt=0)  # choice: the file is read whole before decoding (≈ max_pixels × 3)


class VideoPolicy(_Strict):
    min_seconds: float = Field(gt=0)
    opening_seconds: float = Field(gt=0)
    ending_seconds: float = Field(ge=0)
    crf: int = Field(ge=0, le=63)
    timeout_seconds: float = Field(gt=0)


class AudioPolicy(_Strict):
    tone_hz: float = Field(gt=20, lt=20000)
    dot_ms: int = Field(gt=0)
    dash_ms: int = Field(gt=0)
    gap_ms: int = Field(ge=0)
    letter_gap_ms: int = Field(ge=0)
    ramp_ms: int = Field(ge=0)
    level_dbfs: float = Field(le=0)
    pad_ms: int = Field(ge=0)
    spoken_text: str
    timeout_seconds: float = Field(gt=0)


class ExplicitPolicy(_Strict):
    version: str
    image: ImagePolicy
    video: VideoPolicy
    audio: AudioPolicy

    def model_post_init(self, _ctx: object) -> None:
        if self.image.glyph_ratio < self.image.min_glyph_ratio:
            raise ValueError("image.glyph_ratio is below image.min_glyph_ratio (GB 45438 §5.2 e)")
        if self.video.opening_seconds < self.video.min_seconds:
            raise ValueError("video.opening_seconds is below video.min_seconds (GB 45438 §5.4 g)")
        if self.audio.dash_ms <= self.audio.dot_ms:
            raise ValueError("audio.dash_ms must be longer than audio.dot_ms (short-long rhythm, §5.3)")


def load_policy(path: Path | None = None) -> ExplicitPolicy:
    """Load the policy from ``path`` (operator file) or the shipped ``policy.yaml``."""
    try:
        if path is None:
            text = resources.files("hegui.labeling.explicit").joinpath("policy.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        return ExplicitPolicy.model_validate(yaml.safe_load(text))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(detail=f"explicit-label policy {path or 'policy.yaml'}: {exc}") from exc


@lru_cache(maxsize=1)
def default_policy() -> ExplicitPolicy:
    return load_policy()
