"""Opt-out registry: every matching record is removed, near-duplicates included; storage, import
errors with file:line, and the CLI."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from hegui.cli.main import app
from hegui.corpus.fingerprint import content_hash
from hegui.corpus.optout import OptOutError, OptOutRegistry, OptOutRequest, counts, excluded_for, import_requests
from hegui.corpus.passes import default_passes
from hegui.corpus.record import CorpusRecord
from hegui.corpus.text_steps import FingerprintStep

ARTICLE = ("本报讯：今年秋季，城市图书馆新增了三万册藏书，并延长了周末的开放时间。馆长表示，"
           "图书馆将继续举办读书会和儿童绘本活动，欢迎市民前来参加。此外，馆内的自习室也进行了翻新，"
           "增加了两百个座位和新的照明设备，读者可以通过手机预约座位。明年，图书馆还计划开设数字阅读专区。")
HASHED = "这是一段被权利人按哈希登记的文字，内容关于一次社区运动会的报道，共有三百人参加。"
T = ["Heavy rain flooded the lower town and the council opened two shelters for families overnight.",
     "A local bakery won the regional prize for its sourdough after ten years of patient experiments.",
     "Engineers finished the new bridge three months early, cutting the commute across the river by half.",
     "The school orchestra travelled abroad for the first time and played to a full hall in the capital."]
PLAIN = "The committee met on Tuesday to review the annual budget and approved the new library plan."


def R(line: int, text: str, url: str = "", source: str = "web") -> CorpusRecord:
    return CorpusRecord(id=f"{source}:f:{line}", source=source, file="f", line=line, text=text, url=url)


def _registry() -> OptOutRegistry:
    reg = OptOutRegistry()
    reg.add(OptOutRequest(id="", requester="某报社", received="2026-11-01", url_patterns=["https://paper.example.cn/2026/*"]))
    reg.add(OptOutRequest(id="", requester="Blog Inc", received="2026-11-02", domains=["blog.example.com"]))
    reg.add(OptOutRequest(id="", requester="作者甲", received="2026-11-03", hashes=[content_hash(HASHED)]))
    sample = OptOutRequest(id="", requester="出版社乙", received="2026-11-04")
    sample.add_text(ARTICLE)
    reg.add(sample)
    return reg


def test_every_matching_record_is_removed_including_near_duplicates():
    reg = _registry()
    ids = [r.id for r in reg.requests]
    assert ids == ["OO-0001", "OO-0002", "OO-0003", "OO-0004"]
    near = ARTICLE.replace("三万册", "3万册").replace("欢迎", "热烈欢迎")
    records = FingerprintStep().process([
        R(1, T[0], "https://paper.example.cn/2026/10/01/a.html"),   # url
        R(2, T[1], "https://paper.example.cn/2025/a.html"),         # url outside the glob
        R(3, T[2], "https://www.blog.example.com/p/1"),             # subdomain
        R(4, T[3], "https://blog.example.com.evil.org/p/1"),        # not the domain
        R(5, "  " + HASHED + " ", "https://x.org/1"),               # exact hash (normalised)
        R(6, near, "https://mirror.org/a"),                         # near-duplicate of the sample
        R(7, PLAIN, "https://x.org/2"),                             # unrelated
        R(8, T[0] + " ", "https://copy.org/b"),                     # copy of an opted-out record
    ])
    out = {r.id: r for p in default_passes(optouts=reg) for r in p.run(records)}
    assert out["web:f:1"].reasons == ["optout:OO-0001"] and out["web:f:1"].findings["optout"] == {"OO-0001": "url"}
    assert out["web:f:2"].kept
    assert out["web:f:3"].reasons == ["optout:OO-0002"]
    assert "optout:OO-0002" not in out["web:f:4"].reasons
    assert out["web:f:5"].reasons == ["optout:OO-0003"]
    assert out["web:f:6"].reasons == ["optout:OO-0004"] and out["web:f:6"].findings["optout"] == {"OO-0004": "near"}
    assert out["web:f:7"].kept and out["web:f:4"].kept
    assert out["web:f:8"].reasons == ["optout:OO-0001"]
    assert out["web:f:8"].findings["optout"] == {"OO-0001": "copy:web:f:1"}
    assert counts(out.values()) == {"OO-0001": 2, "OO-0002": 1, "OO-0003": 1, "OO-0004": 1}


def test_registry_round_trip_private_file_and_no_contact(tmp_path):
    reg = _registry()
    reg.requests[0].contact_sha256 = "sha256:" + "0" * 64
    path = reg.save(tmp_path / "corpus" / "optouts.jsonl")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = OptOutRegistry.load(path)
    assert [r.id for r in again.requests] == [r.id for r in reg.requests]
    assert again.requests[3].fingerprints == reg.requests[3].fingerprints
    assert ARTICLE not in path.read_text(encoding="utf-8")  # sample texts are not kept
    assert OptOutRegistry.load(tmp_path / "missing.jsonl").requests == []


def test_bad_requests_and_files_name_file_and_line(tmp_path):
    with pytest.raises(OptOutError):
        OptOutRegistry().add(OptOutRequest(id="", requester="x", received="2026-01-01"))  # no scope
    bad = tmp_path / "req.jsonl"
    bad.write_text('{"requester": "ok", "domains": ["a.cn"]}\n{"requester": "x", "domains": ["not a domain"]}\n'
                   'not json\n{"requester": "y", "hashes": ["md5:abc"]}\n', encoding="utf-8")
    reg = OptOutRegistry()
    with pytest.raises(OptOutError) as exc:
        import_requests(reg, bad)
    msg = exc.value.message("en")
    assert f"{bad}:2" in msg and f"{bad}:3" in msg and f"{bad}:4" in msg and f"{bad}:1:" not in msg
    assert reg.requests == []  # all or nothing
    csv = tmp_path / "req.csv"
    csv.write_text("requester,received,domains,texts\n出版社,2026-11-01,a.cn;b.cn,\n出版社2,not-a-date,c.cn,\n",
                   encoding="utf-8")
    with pytest.raises(OptOutError) as exc:
        import_requests(reg, csv)
    assert f"{csv}:3" in exc.value.message("en")
    broken = tmp_path / "optouts.jsonl"
    broken.write_text('{"format": "hegui-optouts", "version": 1}\n{"id": "OO-1"}\n', encoding="utf-8")
    with pytest.raises(OptOutError) as exc:
        OptOutRegistry.load(broken)
    assert f"{broken}:2" in exc.value.message("en")


def test_cli_add_list_import_show(tmp_path):
    runner = CliRunner()
    reg = tmp_path / "optouts.jsonl"
    sample = tmp_path / "sample.txt"
    sample.write_text(ARTICLE, encoding="utf-8")
    res = runner.invoke(app, ["optout", "add", "--registry", str(reg), "--requester", "出版社乙", "--contact",
                              "legal@example.cn", "--domain", "Example.CN", "--text-file", str(sample)])
    assert res.exit_code == 0, res.output
    assert "legal@example.cn" not in reg.read_text(encoding="utf-8")
    imp = tmp_path / "more.jsonl"
    imp.write_text(json.dumps({"requester": "作者", "url_patterns": ["https://a.org/*"]}, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    assert runner.invoke(app, ["optout", "import", str(imp), "--registry", str(reg)]).exit_code == 0
    res = runner.invoke(app, ["optout", "list", "--json", "--registry", str(reg)])
    listed = json.loads(res.stdout)
    assert [r["id"] for r in listed] == ["OO-0001", "OO-0002"] and listed[0]["domains"] == ["example.cn"]
    assert listed[0]["fingerprints"] == 1
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("\n".join(json.dumps(d) for d in [
        {"id": "s:f:1", "source": "s", "kept": False, "reasons": ["optout:OO-0001"], "url": "https://example.cn/1"},
        {"id": "s:f:2", "source": "s", "kept": True, "reasons": []}]) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["optout", "show", "OO-0001", "--decisions", str(decisions), "--json", "--registry", str(reg)])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.stdout)
    assert [e["id"] for e in shown["excluded"]] == ["s:f:1"] and "text" not in shown["excluded"][0]
    assert excluded_for("OO-0002", decisions) == []
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"requester": ""}\n', encoding="utf-8")
    res = runner.invoke(app, ["optout", "import", str(bad), "--registry", str(reg)])
    assert res.exit_code == 2 and "bad.jsonl:1" in res.output.replace("\n", "")
    assert runner.invoke(app, ["optout", "show", "OO-9", "--registry", str(reg)]).exit_code == 1
