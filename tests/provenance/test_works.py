"""The register of protected works, the copy check and the similar-copy search (issue 15; draft AIGC
Regulation Arts 4–5, 15)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import typer
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from hegui.errors import HeguiError, NotFound, ValidationFailed
from hegui.gateway.demo import render_demo_image
from hegui.identity.crypto import KeyRing
from hegui.labeling.gateway_image import label_generated_image
from hegui.provenance import works as works_mod
from hegui.provenance.models import ProtectedWork
from hegui.provenance.search import fingerprint_output, search
from hegui.provenance.works import ProtectedWorks
from hegui.records.audit import AuditEntry
from hegui.records.protection import protect
from hegui.storage.db import Database

POEM = ("床前明月光，疑是地上霜。举头望明月，低头思故乡。这首诗在本测试中扮演一件受保护的作品，"
        "其文本由权利人登记。It stands for a protected work whose text the rights holder registered.")
CODE = "001191110000MA0000000H1DEMO"  # the demo provider code
UNRELATED = ("明天上午有小雨，下午转多云，最高气温十八度。出门记得带伞，注意交通安全。"
             "The weather tomorrow brings light rain in the morning and clouds later on.")


@pytest.fixture()
def db(tmp_path):
    d = Database(f"sqlite:///{tmp_path}/w.db")
    d.upgrade()
    protect(d, KeyRing(b"k" * 32), tmp_path)
    yield d
    d.dispose()


def _jpeg(png: bytes, scale: float = 1.0, quality: int = 70, crop: float = 0.0) -> bytes:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    if crop:
        dx, dy = int(img.width * crop / 2), int(img.height * crop / 2)
        img = img.crop((dx, dy, img.width - dx, img.height - dy))
    img = img.resize((max(8, int(img.width * scale)), max(8, int(img.height * scale))))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_register_audits_and_keeps_no_content(db):
    pw = ProtectedWorks(db)
    row = pw.register("text", POEM, "静夜思", "权利人", "admin:t")
    with db.session() as s:
        stored = s.get(ProtectedWork, row.id)
        assert stored.ngrams and stored.minhash and len(stored.minhash) == 128 * 4
        assert "明月".encode() not in stored.ngrams + stored.minhash
        assert any(e.action == "provenance.work.register" for e in s.scalars(select(AuditEntry)))
    assert [w.id for w in pw.list()] == [row.id]
    pw.remove(row.id, "admin:t")
    assert pw.list() == [] and len(pw.list(include_removed=True)) == 1
    assert pw.check_text(POEM) is None  # a removed work no longer matches
    with pytest.raises(NotFound):
        pw.remove(row.id, "admin:t")


@pytest.mark.parametrize(("kind", "data", "title"), [("text", "太短", "t"), ("audio", b"x", "t"),
                                                     ("image", b"not an image", "t"), ("text", POEM, " ")])
def test_bad_works_are_refused_clearly(db, kind, data, title):
    with pytest.raises(HeguiError) as exc:
        ProtectedWorks(db).register(kind, data, title, "h", "admin:t")
    assert exc.value.bilingual()


def test_verbatim_excerpt_near_copy_and_unrelated(db):
    pw = ProtectedWorks(db)
    work = pw.register("text", POEM, "静夜思", "权利人", "admin:t")
    excerpt = pw.check_text("当然，以下是原文：" + POEM[10:80] + "。希望对你有帮助。")
    assert excerpt is not None and excerpt.work_id == work.id and excerpt.method == "ngram"
    near = POEM.replace("，", ",").replace("。", ".").replace("明月", "明日", 1).replace("registered", "registred")
    match = pw.check_text(near)
    assert match is not None and match.work_id == work.id
    assert "明月" not in match.detail and "床前" not in match.detail
    assert pw.check_text(UNRELATED) is None
    assert pw.check_text("短") is None


def test_images_resized_recompressed_labelled_copies_match_unrelated_do_not(db):
    pw = ProtectedWorks(db)
    original = render_demo_image("a protected painting", 512, 512)
    work = pw.register("image", original, "名画", "权利人", "admin:t")
    labelled = label_generated_image(original, content_id="hgc-x", producer_code=CODE)
    for copy in (_jpeg(original, 0.5, 60), _jpeg(original, 1.0, 85), labelled, _jpeg(original, 1.0, 80, crop=0.06)):
        m = pw.check_image(copy)
        assert m is not None and m.work_id == work.id and m.method == "phash"
    for prompt in ("a harbour at night", "a field of flowers", "城市的天际线"):
        assert pw.check_image(render_demo_image(prompt, 512, 512)) is None
    with pytest.raises(HeguiError):
        pw.check_image(b"\x89PNG broken")


def test_index_follows_changes_from_another_process(db, tmp_path, monkeypatch):
    checker = ProtectedWorks(db)
    assert checker.check_text(POEM) is None  # index built (empty) and cached
    other = Database(str(db.engine.url))  # a second process's connection
    protect(other, KeyRing(b"k" * 32), tmp_path)
    ProtectedWorks(other).register("text", POEM, "静夜思", "权利人", "admin:t")
    assert works_mod.known_empty(db, "text")  # still the cached view …
    monkeypatch.setattr(works_mod, "REFRESH_S", 0.0)
    assert checker.check_text(POEM) is not None  # … until the refresh interval has passed
    other.dispose()


def test_import_dir_registers_and_names_bad_files(db, tmp_path):
    folder = tmp_path / "works"
    (folder / "sub").mkdir(parents=True)
    (folder / "poem.txt").write_text(POEM, encoding="utf-8")
    (folder / "sub" / "pic.png").write_bytes(render_demo_image("pic", 128, 128))
    (folder / "broken.jpg").write_bytes(b"nope")
    (folder / "notes.bin").write_bytes(b"ignored")
    done, errors = ProtectedWorks(db).import_dir(folder, "权利人", "admin:t")
    assert sorted(w.title for w in done) == ["poem.txt", "sub/pic.png"]
    assert len(errors) == 1 and "broken.jpg" in errors[0]
    with pytest.raises(ValidationFailed):
        ProtectedWorks(db).import_dir(folder / "poem.txt", "h", "a")


def test_search_over_output_fingerprints(db):
    pngs = {f"hgc-{i}": label_generated_image(render_demo_image(p, 256, 256), content_id=f"hgc-{i}", producer_code=CODE)
            for i, p in enumerate(("mountain", "sea", "forest", "desert"))}
    for cid, png in pngs.items():
        fingerprint_output(db, cid, "image", png)
    fingerprint_output(db, "hgc-t", "text", POEM)
    hits = search(db, _jpeg(pngs["hgc-2"], 0.5, 60))
    assert [h.content_id for h in hits] == ["hgc-2"] and hits[0].distance <= 12
    assert search(db, render_demo_image("volcano", 256, 256), "image") == []
    text_hits = search(db, POEM.replace("，", ","), "text")
    assert [h.content_id for h in text_hits] == ["hgc-t"] and text_hits[0].score > 0.5
    assert search(db, UNRELATED, "text") == []
    with pytest.raises(ValidationFailed):
        search(db, POEM, "image")


def test_cli_works_and_search(tmp_path: Path):
    from hegui.cli.main import app
    from hegui.cli.provenance_search import register

    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/var/h.db"\n', encoding="utf-8")
    work = tmp_path / "poem.txt"
    work.write_text(POEM, encoding="utf-8")
    run, env = CliRunner().invoke, {"COLUMNS": "200"}
    r = run(app, ["works", "register", str(work), "--holder", "权利人", "-c", str(cfg)], env=env)
    assert r.exit_code == 0, r.output
    rows = json.loads(run(app, ["works", "list", "--json", "-c", str(cfg)], env=env).output)
    assert [x["title"] for x in rows] == ["poem.txt"]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00")
    r = run(app, ["works", "register", str(bad), "--holder", "h", "-c", str(cfg)], env=env)
    assert r.exit_code == 2 and "UTF-8" in r.output
    assert run(app, ["works", "remove", rows[0]["id"], "-c", str(cfg)], env=env).exit_code == 0

    prov = typer.Typer()
    prov.callback()(lambda: None)
    register(prov)
    png = render_demo_image("x", 128, 128)
    from hegui.cli.common import services

    fingerprint_output(services(cfg).db, "hgc-cli", "image", png)
    img = tmp_path / "copy.jpg"
    img.write_bytes(_jpeg(png, 0.5))
    r = run(prov, ["search", str(img), "--json", "-c", str(cfg)], env=env)
    assert r.exit_code == 0, r.output
    assert [h["content_id"] for h in json.loads(r.output)] == ["hgc-cli"]


def test_thresholds_are_checked_when_loaded(monkeypatch, tmp_path):
    from hegui.provenance import hashing

    hashing.thresholds.cache_clear()
    assert hashing.thresholds()["text"]["ngram"] == 13
    bad = tmp_path / "provenance"
    bad.mkdir()
    (bad / "thresholds.yaml").write_text("text: {ngram: x}\nimage: {}\nsearch: {}\n", encoding="utf-8")
    monkeypatch.setattr(hashing.resources, "files", lambda _pkg: tmp_path)
    hashing.thresholds.cache_clear()
    try:
        with pytest.raises(ValidationFailed) as exc:
            hashing.thresholds()
        assert "text.ngram" in exc.value.bilingual() and "thresholds.yaml" in exc.value.bilingual()
    finally:
        monkeypatch.undo()
        hashing.thresholds.cache_clear()
