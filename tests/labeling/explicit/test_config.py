"""The explicit-label policy is data (policy.yaml) and refuses values below the standard's floors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hegui.errors import ConfigError
from hegui.labeling.explicit import default_policy, load_policy
from hegui.labeling.explicit.config import ExplicitPolicy


def test_shipped_policy_meets_gb45438() -> None:
    p = default_policy()
    assert p.image.min_glyph_ratio == 0.05 and p.image.glyph_ratio >= 0.05
    assert p.video.min_seconds == 2.0 and p.video.opening_seconds >= 2.0


@pytest.mark.parametrize(("section", "key", "value"), [
    ("image", "glyph_ratio", 0.04), ("video", "opening_seconds", 1.0), ("audio", "dash_ms", 50),
    ("image", "unknown_key", 1),
])
def test_operator_file_below_the_floor_is_refused(tmp_path: Path, section: str, key: str, value: object) -> None:
    data = default_policy().model_dump()
    data[section][key] = value
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_policy(path)


def test_operator_file_is_loaded(tmp_path: Path) -> None:
    data = default_policy().model_dump()
    data["image"]["glyph_ratio"] = 0.08
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert isinstance(load_policy(path), ExplicitPolicy) and load_policy(path).image.glyph_ratio == 0.08


def test_missing_operator_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_policy(tmp_path / "nope.yaml")
