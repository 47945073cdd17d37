from pathlib import Path

import pytest

from hegui.moderation.base import Action, Direction
from hegui.moderation.errors import PackError
from hegui.moderation.packs import load_pack, load_packs, shipped_pack_dirs
from hegui.moderation.policy import Policy
from hegui.moderation.taxonomy import default_taxonomy


def _pack(tmp_path: Path, name: str, body: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "pack.yaml").write_text(f"id: {name}\nversion: '1'\nterms: []\n" + body, encoding="utf-8")
    return d


def test_shipped_core_policy() -> None:
    pol = Policy(load_packs(shipped_pack_dirs()), default_taxonomy())
    assert pol.profiles == ["default", "minor"]
    assert pol.rule("default", "A1d").input is Action.BLOCK
    assert pol.rule("minor", "A1d").input is Action.BLOCK  # inherited from default
    assert pol.rule("minor", "A2a").threshold < pol.rule("default", "A2a").threshold
    assert pol.rule("default", "A5a").action(Direction.OUTPUT, 0.95) is Action.FLAG
    assert pol.rule("default", "A2a").action(Direction.INPUT, 0.6) is Action.FLAG
    assert pol.rule("default", "A2a").action(Direction.INPUT, 0.1) is Action.ALLOW
    assert pol.pi_action("default", Direction.OUTPUT) is Action.MASK
    assert pol.pi_action("default", Direction.INPUT) is Action.ALLOW
    assert pol.pi_action("minor", Direction.INPUT) is Action.MASK
    assert pol.head_threshold("default", "unsafe") == 0.95 and pol.head_threshold("minor", "unsafe") == 0.8
    assert pol.head_threshold("unknown-profile", "illegal") == 0.0
    for rid in default_taxonomy().all_ids:
        zh, en = pol.template(rid)
        assert zh and en and "{" not in zh + en


def test_later_pack_overrides_field_by_field(tmp_path: Path) -> None:
    core = load_pack(shipped_pack_dirs()[0])
    ops = load_pack(_pack(tmp_path, "ops", "templates:\n  A1h: {zh: 不行, en: \"No\"}\nprofiles:\n  default:\n"
                                            "    rules:\n      A1h: {output: flag}\n"))
    pol = Policy([core, ops], default_taxonomy())
    rule = pol.rule("default", "A1h")
    assert rule.output is Action.FLAG and rule.input is Action.REFUSE and rule.threshold == 0.8
    assert rule.source == "ops@1"
    assert pol.template("A1h") == ("不行", "No")
    assert pol.rule("minor", "A1h").output is Action.FLAG  # minor extends default


def test_profile_cycle_rejected(tmp_path: Path) -> None:
    p = load_pack(_pack(tmp_path, "cyc", "profiles:\n  a: {extends: b}\n  b: {extends: a}\n"))
    with pytest.raises(PackError, match="cycle"):
        Policy([p], default_taxonomy())


def test_unknown_extends_rejected_at_load(tmp_path: Path) -> None:
    with pytest.raises(PackError) as err:
        load_pack(_pack(tmp_path, "bad", "profiles:\n  a: {extends: nowhere}\n"))
    assert err.value.fields["location"].endswith("pack.yaml:5")
