from pathlib import Path

import pytest

from hegui.moderation.errors import PackError, PackNotFound
from hegui.moderation.packs import load_pack, load_packs, shipped_pack_dirs

GOOD = """format: 1
id: test-pack
version: "1"
languages: [zh]
risks: [A1h, A2d]
templates:
  A1h: {zh: 不行, en: "No."}
profiles:
  default:
    rules:
      A1h: {input: block}
"""


def make(tmp_path: Path, manifest: str = GOOD, tsv: str = "赌博\tA1h\t2\n") -> Path:
    d = tmp_path / "pack"
    d.mkdir(exist_ok=True)
    (d / "pack.yaml").write_text(manifest, encoding="utf-8")
    (d / "terms.tsv").write_text(tsv, encoding="utf-8")
    return d


def test_good_pack_loads(tmp_path: Path) -> None:
    tsv = "# comment\nterm\trisk\tseverity\n赌博\tA1h\t3\n河南人\tA2d\t2\t骗子|小偷\t8\n杀\tA1h\t1\t\t\t杀毒|杀虫\tp\n"
    pack = load_pack(make(tmp_path, tsv=tsv))
    assert pack.label == "test-pack@1"
    assert [t.text for t in pack.terms] == ["赌博", "河南人", "杀"]
    assert pack.terms[1].near == ("骗子", "小偷") and pack.terms[1].within == 8
    assert pack.terms[2].exclude == ("杀毒", "杀虫")
    assert pack.terms[0].location.endswith("terms.tsv:3")


@pytest.mark.parametrize("tsv, line, words", [
    ("赌博\tA1h\n\n毒品\tA9z\n", 3, "unknown risk"),
    ("赌博\tA1h\n毒品\tA1f\n", 2, "not declared"),
    ("赌博\tA1h\t7\n", 1, "severity"),
    ("赌博\tA1h\tx\n", 1, "integers"),
    ("赌博\n", 1, "columns"),
    ("。。。\tA1h\n", 1, "empty after folding"),
    ("河南人\tA2d\t2\t骗子\t\n", 1, "within"),
    ("赌博\tA1h\t2\t\t\t\tzz\n", 1, "variants"),
])
def test_bad_terms_name_file_and_line(tmp_path: Path, tsv: str, line: int, words: str) -> None:
    with pytest.raises(PackError) as err:
        load_pack(make(tmp_path, tsv=tsv))
    assert f"terms.tsv:{line}" in err.value.fields["location"]
    assert words in err.value.fields["detail"]
    assert "策略包无效" in err.value.message("zh")


@pytest.mark.parametrize("manifest, line, words", [
    (GOOD.replace('version: "1"', 'version: "1"\ncolour: red'), 4, "colour"),  # unknown key
    (GOOD.replace("A1h: {input: block}", "A1h: {input: explode}"), 11, "input"),
    (GOOD.replace("risks: [A1h, A2d]", "risks: [A1h, B2]"), 5, "risks"),
    (GOOD.replace("risks: [A1h, A2d]", "risks: [A1h, A1z]"), 5, "unknown risk"),
    (GOOD.replace("languages: [zh]", "languages: [zh"), 5, ""),  # YAML syntax error
    (GOOD.replace("A1h: {zh: 不行, en: \"No.\"}", "A1h: {zh: 不行}"), 7, "en"),
    ("- just\n- a list\n", 1, "mapping"),
])
def test_bad_manifest_names_file_and_line(tmp_path: Path, manifest: str, line: int, words: str) -> None:
    with pytest.raises(PackError) as err:
        load_pack(make(tmp_path, manifest=manifest))
    loc = err.value.fields["location"]
    assert loc.endswith(f"pack.yaml:{line}"), loc
    assert words in err.value.fields["detail"]


def test_missing_pack_raises_not_found(tmp_path: Path) -> None:
    with pytest.raises(PackNotFound):
        load_pack(tmp_path / "nope")


def test_non_utf8_terms_rejected(tmp_path: Path) -> None:
    d = make(tmp_path)
    (d / "terms.tsv").write_bytes("赌博\tA1h\n".encode("gbk"))
    with pytest.raises(PackError, match="UTF-8"):
        load_pack(d)


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    d = make(tmp_path)
    with pytest.raises(PackError, match="duplicate"):
        load_packs([d, d])


def test_shipped_packs_load_and_have_no_political_terms() -> None:
    packs = load_packs(shipped_pack_dirs())
    ids = [p.id for p in packs]
    assert ids[0] == "core"
    assert {"starter-zh", "starter-en", "operator-a1a", "operator-a1b", "operator-a1c", "operator-a1g"} <= set(ids)
    risks = {t.risk for p in packs for t in p.terms}
    assert not risks & {"A1a", "A1b", "A1c", "A1g"}
    assert sum(len(p.terms) for p in packs) >= 1000
    for p in packs:
        if p.id.startswith("operator-"):
            assert p.terms == ()
