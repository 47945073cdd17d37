"""run_audit: source register rules, outputs, resume after an interruption, and the CLI."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.corpus.audit import CorpusInputError, run_audit
from hegui.corpus.engine import LocalEngine
from hegui.corpus.sources import SourcesError, load_sources
from tests.corpus.pipeline_fixtures import BanStep, ExactDupPass, RedactStep, lines_of

ROBOTS = "User-agent: *\nDisallow: /pub/\n\nUser-agent: hegui-bot\nDisallow: /nobot/\nDisallow: /private/\n"  # the UA's own group applies


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _decisions(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "decisions.jsonl").read_text(encoding="utf-8").splitlines()]


def test_sources_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text("version: 1\nsources:\n  web:\n    type: scraped\n    paths: [a]\n", encoding="utf-8")
    with pytest.raises(SourcesError) as e:
        load_sources(bad)
    assert f"{bad}:4" in e.value.message("en") and "语料来源登记表无效" in e.value.message("zh")
    bad.write_text("version: 1\nsources:\n  web:\n    type: open_dataset\n    licence_evidence: {file: x, sha256: nothex}\n",
                   encoding="utf-8")
    with pytest.raises(SourcesError, match=r"sources.yaml:5.*sha256"):
        load_sources(bad)
    bad.write_text("sources: [\n", encoding="utf-8")
    with pytest.raises(SourcesError, match=r"sources.yaml:2"):
        load_sources(bad)
    bad.write_text("sources:\n  web:\n    type: self_collected\n    collection: {robots_txt: missing.txt}\n",
                   encoding="utf-8")
    with pytest.raises(SourcesError, match="unreadable"):
        load_sources(bad)


def test_register_rules_licence_consent_robots(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _jsonl(data / "wiki.jsonl", [{"text": "维基 1"}, {"text": "维基 2"}])
    _jsonl(data / "crawl.jsonl", [{"text": "公开页", "url": "https://a.example.cn/pub/1"},
                                  {"text": "私有页", "url": "https://a.example.cn/private/2"},
                                  {"text": "拒爬页", "url": "https://a.example.cn/nobot/3"},
                                  {"text": "保留页", "url": "https://b.example.cn/reserved/x"},
                                  {"text": "他站页", "url": "https://c.example.cn/private/4"}])
    _jsonl(data / "chats.jsonl", [{"prompt": "问", "response": "答"}])
    _jsonl(data / "bought.jsonl", [{"text": "商业数据"}])
    _jsonl(data / "loose.jsonl", [{"text": "未登记"}])
    (tmp_path / "lic.txt").write_text("CC BY-SA 4.0 licence text", encoding="utf-8")
    (tmp_path / "robots_a.txt").write_text(ROBOTS, encoding="utf-8")
    (tmp_path / "tdm_b.json").write_text(json.dumps([{"location": "/reserved/*", "tdm-reservation": 1}]),
                                         encoding="utf-8")
    sha = hashlib.sha256(b"CC BY-SA 4.0 licence text").hexdigest()
    reg = tmp_path / "sources.yaml"
    reg.write_text(f"""version: 1
sources:
  wiki:
    paths: [data/wiki.jsonl]
    type: open_dataset
    licence: CC-BY-SA-4.0
    licence_evidence: {{file: lic.txt, sha256: {sha}}}
  web:
    paths: [data/crawl.*]
    type: self_collected
    licence: CC-BY-4.0
    licence_evidence: {{file: lic.txt, sha256: '{'0' * 64}'}}
    collection:
      date_from: 2025-01-01
      date_to: 2025-02-01
      method: crawler
      user_agent: hegui-bot
      robots_txt: {{a.example.cn: robots_a.txt}}
      tdmrep: {{b.example.cn: tdm_b.json}}
  chats:
    paths: [data/chats.jsonl]
    type: user_inputs
  vendor:
    paths: [data/bought.jsonl]
    type: commercial
    licence: contract-2025-01
    licence_evidence: {{file: contract.pdf, sha256: '{'1' * 64}'}}
    base_model_origin: vendor X
""", encoding="utf-8")
    register = load_sources(reg)
    out = tmp_path / "out"
    result = run_audit([data], out, steps=[BanStep()], passes=[], engine=LocalEngine(workers=1), sources=register)
    by_id = {d["id"]: d for d in _decisions(out)}
    web = {d["url"].split("/", 3)[3]: d["reasons"] for d in by_id.values() if d["source"] == "web"}
    assert web == {"pub/1": [], "private/2": ["robots"], "nobot/3": ["robots"], "reserved/x": ["tdmrep"],
                   "private/4": []}  # no snapshot for c.example.cn: nothing to apply
    assert by_id["chats:data/chats.jsonl:1"]["reasons"] == ["no_consent"]
    s = result.sources
    assert (s["wiki"].licence, s["wiki"].type) == ("CC-BY-SA-4.0", "open_dataset")
    assert s["web"].licence == "unknown" and s["web"].info["licence_evidence"] == "hash_mismatch"
    assert s["vendor"].licence == "unknown" and s["vendor"].info["licence_evidence"] == "missing"
    assert (s["data"].type, s["data"].licence) == ("unregistered", "unknown")
    assert by_id["data:data/loose.jsonl:1"]["licence"] == "unknown"
    assert s["web"].excluded == {"robots": 2, "tdmrep": 1}
    kinds = [json.loads(x)["kind"] for x in (out / "problems.jsonl").read_text().splitlines()]
    assert kinds == ["licence_evidence_hash_mismatch", "licence_evidence_missing"]


def test_outputs_redaction_permissions_and_order(tmp_path: Path) -> None:
    b = _jsonl(tmp_path / "b.jsonl", [{"text": "电话 138"}, {"text": "禁"}, {"text": "电话 138"}])
    a = _jsonl(tmp_path / "a.jsonl", [{"text": "甲"}, {"text": "乙"}])
    dup = ExactDupPass()
    out = tmp_path / "out"
    result = run_audit([b, a], out, steps=[BanStep(), RedactStep()], passes=[dup], engine=LocalEngine(workers=1))
    assert dup.seen_order == sorted(dup.seen_order)  # passes see order_key order
    filtered = [json.loads(x) for x in (out / "filtered" / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert filtered == [{"id": "b:b.jsonl:1", "text": "电话 ***"}]
    assert [(i.file, i.records) for i in result.inputs] == [("b.jsonl", 3), ("a.jsonl", 2)]
    assert result.sources["b"].excluded == {"banned": 1, "duplicate": 1} and result.kept == 3
    for p in [out, out / "filtered", out / ".work"]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p
    for p in [out / "decisions.jsonl", out / "problems.jsonl", out / "audit.json", out / "filtered" / "a.jsonl"]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert json.loads((out / "audit.json").read_text())["records"] == 5
    with pytest.raises(CorpusInputError):
        run_audit([tmp_path / "nope.jsonl"], out, steps=[], passes=[])
    (tmp_path / "x").mkdir()
    _jsonl(tmp_path / "x" / "a.jsonl", [{"text": "同名"}])
    with pytest.raises(CorpusInputError, match="same name"):
        run_audit([a, tmp_path / "x" / "a.jsonl"], out, steps=[], passes=[])


def test_interrupted_run_resumes_without_redoing_shards(tmp_path: Path) -> None:
    rows = [{"text": f"记录 {i}" + (" BOOM" if i == 57 else "")} for i in range(1, 81)]
    src = _jsonl(tmp_path / "c.jsonl", rows)
    other = _jsonl(tmp_path / "d.jsonl", [{"text": "禁 d"}])
    out, log1, log2 = tmp_path / "out", tmp_path / "run1.log", tmp_path / "run2.log"
    with pytest.raises(RuntimeError, match="interrupted at c:c.jsonl:57"):
        run_audit([src, other], out, steps=[BanStep(str(log1), fail_on="BOOM")], passes=[],
                  engine=LocalEngine(workers=1, batch_size=5), shard_records=20)
    assert not (out / "decisions.jsonl").exists()
    first = lines_of(log1)
    assert len(first) == 60  # shards 1-2 finished, shard 3 failed in its 4th batch
    # same steps (name, version) without the failure trigger: resumes from shard 3
    result = run_audit([src, other], out, steps=[BanStep(str(log2))], passes=[],
                       engine=LocalEngine(workers=1, batch_size=5), shard_records=20)
    second = lines_of(log2)
    assert second == [f"c:c.jsonl:{i}" for i in range(41, 81)] + ["d:d.jsonl:1"]
    assert result.shards_resumed == 2 and result.shards_processed == 3
    assert [d["line"] for d in _decisions(out) if d["source"] == "c"] == list(range(1, 81))
    # a finished run reruns without processing; --no-resume starts over
    log2.unlink()
    again = run_audit([src, other], out, steps=[BanStep(str(log2))], passes=[], engine=LocalEngine(workers=1),
                      shard_records=20)
    assert lines_of(log2) == [] and again.shards_resumed == 5
    run_audit([src, other], out, steps=[BanStep(str(log2))], passes=[], engine=LocalEngine(workers=1),
              shard_records=20, resume=False)
    assert len(lines_of(log2)) == 81
    # a changed input file invalidates its own shards only
    _jsonl(tmp_path / "d.jsonl", [{"text": "新 d"}])
    log2.unlink()
    run_audit([src, other], out, steps=[BanStep(str(log2))], passes=[], engine=LocalEngine(workers=1),
              shard_records=20)
    assert lines_of(log2) == ["d:d.jsonl:1"]


def test_cli_audit_end_to_end(tmp_path: Path) -> None:
    """The real steps (fast moderation), passes and report: decisions, filtered corpus, report files,
    the manual-sample worksheet; exit 1 while the manual sample is not reviewed."""
    from hegui.cli.main import app

    body = "这是一段关于城市公园绿化养护的介绍文字，讲述了树木修剪、草坪浇灌和落叶清理的日常安排，以及市民参与志愿活动的方式。"
    data = _jsonl(tmp_path / "data.jsonl", [{"text": body}, {"text": body}, {"text": "联系我：13812345678。" + body[:30]}])
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["corpus", "audit", "--in", str(data), "--out", str(out), "--workers", "1",
                                 "--steps", "fast"], env={"COLUMNS": "200"})
    assert r.exit_code == 1, r.output  # three records: the manual sample is under size and unreviewed
    decisions = _decisions(out)
    assert [d["kept"] for d in decisions] == [True, False, True]
    assert decisions[1]["reasons"] == ["duplicate:data:data.jsonl:1"] and "duplicate: 1" in r.output
    filtered = (out / "filtered" / "data.jsonl").read_text(encoding="utf-8")
    assert "13812345678" not in filtered and "138****5678" in filtered  # PI redacted in the filtered corpus
    for name in ("report.json", "report.html", "report.pdf", "manual-sample.xlsx"):
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["conforms"] is False and report["sources"][0]["id"] == "data"
    r = CliRunner().invoke(app, ["corpus", "audit", "--in", str(data), "--out", str(out), "--steps", "slow"])
    assert r.exit_code != 0
