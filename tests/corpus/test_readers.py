"""Readers: every format keeps source and file:line; bad input becomes problems, never silence."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from hegui.corpus.readers import Problem, ReadOptions, html_to_text, read_file
from hegui.corpus.record import CorpusRecord


def _split(items):
    recs = [i for i in items if isinstance(i, CorpusRecord)]
    probs = [i for i in items if isinstance(i, Problem)]
    return recs, probs


def test_jsonl_fields_bad_lines_and_urls(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "一", "url": "https://a.cn/x"}\n{broken\n\n{"content": "二"}\n'
                 '{"prompt": "问", "response": "答"}\n{"other": 1}\n[1]\n', encoding="utf-8")
    recs, probs = _split(list(read_file(p, "src", "d.jsonl")))
    assert [(r.id, r.text) for r in recs] == [("src:d.jsonl:1", "一"), ("src:d.jsonl:4", "二"),
                                               ("src:d.jsonl:5", "问\n\n答")]
    assert recs[0].url == "https://a.cn/x"
    assert [(p.line, p.kind) for p in probs] == [(2, "malformed"), (6, "missing_text"), (7, "missing_text")]
    # a named field: only that field counts
    recs, probs = _split(list(read_file(p, "src", "d.jsonl", ReadOptions(text_field="content"))))
    assert [r.line for r in recs] == [4] and len(probs) == 5


def test_gb18030_file_and_mixed_lines(tmp_path: Path) -> None:
    p = tmp_path / "g.jsonl"
    p.write_bytes('{"text": "国标编码文本"}\n'.encode("gb18030") * 3)
    recs, probs = _split(list(read_file(p, "g", "g.jsonl")))
    assert [r.text for r in recs] == ["国标编码文本"] * 3
    assert [(p.line, p.kind, p.detail) for p in probs] == [(0, "encoding", "gb18030")]
    mixed = tmp_path / "m.jsonl"
    mixed.write_bytes('{"text": "好"}\n'.encode() + '{"text": "坏"}\n'.encode("gb18030") + b'{"text": "\xff\xfe"}\n')
    recs, probs = _split(list(read_file(mixed, "m", "m.jsonl")))
    assert [r.text for r in recs][:2] == ["好", "坏"]
    assert [(p.line, p.kind) for p in probs] == [(2, "invalid_bytes"), (3, "invalid_bytes")]
    assert "\ufffd" in recs[2].text


def test_enormous_records_truncated_and_excluded(tmp_path: Path) -> None:
    opts = ReadOptions(max_chars=100, max_line_bytes=1000)
    p = tmp_path / "big.jsonl"
    p.write_text(json.dumps({"text": "长" * 150}) + "\n" + json.dumps({"text": "x" * 5000}) + "\n"
                 + json.dumps({"text": "ok"}) + "\n", encoding="utf-8")
    recs, probs = _split(list(read_file(p, "b", "big.jsonl", opts)))
    assert [(r.line, r.reasons, len(r.text)) for r in recs] == [(1, ["too_large"], 100), (2, ["too_large"], 0),
                                                               (3, [], 2)]
    assert recs[0].meta["original_chars"] == 150
    assert [(p.line, p.kind) for p in probs] == [(1, "too_large"), (2, "too_large")]
    folder_file = tmp_path / "t.txt"
    folder_file.write_text("字" * 1000, encoding="utf-8")
    recs, _ = _split(list(read_file(folder_file, "t", "t.txt", opts)))
    assert recs[0].reasons == ["too_large"] and len(recs[0].text) == 100


def test_empty_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_bytes(b"")
    (tmp_path / "x.bin").write_bytes(b"\x00")
    (tmp_path / "blank.jsonl").write_text("\n\n", encoding="utf-8")
    assert [p.kind for p in read_file(tmp_path / "e.jsonl", "e", "e.jsonl")] == ["empty_file"]
    assert [p.kind for p in read_file(tmp_path / "x.bin", "x", "x.bin")] == ["unsupported"]
    assert [p.kind for p in read_file(tmp_path / "blank.jsonl", "b", "blank.jsonl")] == ["empty_file"]


def test_csv_rows_multiline_and_bad_rows(tmp_path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerows([["id", "text", "url"], ["1", "第一\n两行", "https://a.cn/1"], ["2", "第二", ""]])
    p = tmp_path / "c.csv"
    p.write_text(buf.getvalue() + "3,only-two\n4,第四,\n", encoding="utf-8")
    recs, probs = _split(list(read_file(p, "c", "c.csv")))
    assert [(r.line, r.text, r.url) for r in recs] == [(2, "第一\n两行", "https://a.cn/1"), (4, "第二", ""),
                                                       (6, "第四", "")]
    assert [(p.line, p.kind) for p in probs] == [(5, "malformed")]
    nocol = tmp_path / "n.csv"
    nocol.write_text("a,b\n1,2\n", encoding="utf-8")
    assert [p.kind for p in read_file(nocol, "n", "n.csv")] == ["missing_text"]


def test_parquet_batches(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    p = tmp_path / "p.parquet"
    pq.write_table(pa.table({"text": ["a", None, "c"] * 400, "url": ["u"] * 1200}), p)
    recs, probs = _split(list(read_file(p, "p", "p.parquet", ReadOptions(parquet_batch=100))))
    assert len(recs) == 800 and recs[1].line == 3 and recs[1].text == "c" and recs[0].url == "u"
    assert len(probs) == 400 and probs[0].line == 2 and probs[0].kind == "missing_text"


def test_text_files_whole_or_per_line(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_text("第一行\n\n第二行\n", encoding="utf-8")
    recs, _ = _split(list(read_file(p, "f", "f/a.txt")))
    assert [(r.id, r.text) for r in recs] == [("f:f/a.txt:1", "第一行\n\n第二行\n")]
    recs, _ = _split(list(read_file(p, "f", "f/a.txt", ReadOptions(lines=True))))
    assert [(r.line, r.text) for r in recs] == [(1, "第一行"), (3, "第二行")]


def test_warc_response_and_resource(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    p = tmp_path / "crawl.warc.gz"
    with open(p, "wb") as f:
        w = WARCWriter(f, gzip=True)
        html = "<html><head><title>t</title><script>var x=1</script></head><body><p>你好 &amp; 世界</p></body></html>"
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://news.example.cn/a", "response",
                                            payload=io.BytesIO(html.encode()), http_headers=headers))
        png = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://news.example.cn/i.png", "response",
                                            payload=io.BytesIO(b"\x89PNG"), http_headers=png))
        w.write_record(w.create_warc_record("https://news.example.cn/b.txt", "resource",
                                            payload=io.BytesIO("纯文本".encode("gb18030")),
                                            warc_content_type="text/plain; charset=gbk"))
    recs, probs = _split(list(read_file(p, "crawl", "crawl.warc.gz")))
    assert [(r.line, r.url, r.text) for r in recs] == [(1, "https://news.example.cn/a", "你好 & 世界"),
                                                       (3, "https://news.example.cn/b.txt", "纯文本")]
    assert [(p.kind, p.detail) for p in probs] == [("non_text", "image/png: 1")]


def test_html_to_text_skips_scripts() -> None:
    assert html_to_text("<div>a<style>x{}</style></div><p>b  c</p>") == "a\nb c"
