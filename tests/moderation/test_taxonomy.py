from pathlib import Path

import pytest

from hegui.moderation.errors import PackError
from hegui.moderation.taxonomy import RiskClass, default_taxonomy, load_taxonomy


def test_annex_a_shape() -> None:
    t = default_taxonomy()
    assert len(t.categories) == 5
    assert len(t.all_ids) == 31 and t.all_ids[0] == "A1a" and t.all_ids[-1] == "A5b"
    assert len(t.keyword_slice) == 17 and len(t.harmful_slice) == 29
    assert [r.id for r in t.risks if r.risk_class is RiskClass.POLITICAL] == ["A1a", "A1b", "A1c"]
    assert "侵害他人身心健康" in t.risk("A4a").labels_zh and "危害他人身心健康" in t.risk("A4a").labels_zh
    assert len(t.risk("A3d").labels_zh) == 2
    assert all(r.name_en and r.name_zh for r in t.risks)


def test_bad_taxonomy_rejected(tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text("version: '1'\ncategories:\n  - {id: A1, name_zh: x, name_en: y, risks: [{id: Q1, class: universal, name_zh: a, name_en: b}]}\n")
    with pytest.raises(PackError):
        load_taxonomy(p)
