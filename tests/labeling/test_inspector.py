"""Inspector (Labeling Measures Art 6): classes and evidence over a mixed directory."""

import json
from pathlib import Path

import pytest

from hegui.labeling import ImplicitLabel, inspect, write_label
from hegui.labeling.sidecar import sidecar_bytes, sidecar_path
from tests.labeling.media import PLATFORM, PRODUCER, image, label

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "c2pa"  # ../shared beside the checkout


def _c2pa_ai_jpeg() -> bytes:
    pytest.importorskip("c2pa")
    from tests.labeling.c2pa_sign import sign_ai_image

    return sign_ai_image(image("JPEG"))


@pytest.fixture
def mixed(tmp_path):
    d = tmp_path / "upload"
    (d / "sub").mkdir(parents=True)
    (d / "labelled.png").write_bytes(write_label(image("PNG"), label("a1")))
    (d / "sub" / "declared-by-platform.jpg").write_bytes(
        write_label(image("JPEG"), ImplicitLabel("2", "", "", "", PLATFORM, "p2", "")))
    (d / "sub" / "suspected.webp").write_bytes(write_label(image("WEBP"), label("a3").propagated(PLATFORM, "p3", label="3")))
    (d / "plain.gif").write_bytes(image("GIF"))
    (d / "c2pa.jpg").write_bytes(_c2pa_ai_jpeg())
    (d / "notes.txt").write_bytes("AI生成的文字".encode())
    (sidecar_path(d / "notes.txt")).write_bytes(sidecar_bytes(label("t1")))
    (d / "broken.png").write_bytes(image("PNG")[:30])
    from tests.labeling.carriers.test_ooxml import docx
    from tests.labeling.carriers.test_pdf import pdf
    from tests.labeling.carriers.test_wav import wav

    (d / "sub" / "voice.wav").write_bytes(write_label(wav(), label("w1")))
    (d / "report.pdf").write_bytes(write_label(pdf(), label("p1").propagated(PLATFORM, "pp", label="3")))
    (d / "doc.docx").write_bytes(docx())
    (d / "chat.txt").write_bytes("答案如下……\n\n（内容由AI生成，仅供参考）".encode())
    (d / "human.txt").write_bytes("我自己写的文章。".encode())
    (d / "post.md").write_bytes(write_label(b"# hi\n", ImplicitLabel("2", "", "", "", PLATFORM, "m2", ""),
                                            filename="post.md"))
    bad = image("PNG").replace(b"IEND", b"IEND")
    (d / "badlabel.png").write_bytes(write_label(bad, label()).replace(b'"Label":"1"', b'"Label":"9"'))
    return d


EXPECTED = {"labelled.png": "confirmed", "declared-by-platform.jpg": "possible", "suspected.webp": "suspected",
            "plain.gif": "none", "c2pa.jpg": "suspected", "notes.txt": "confirmed", "broken.png": "none",
            "badlabel.png": "suspected", "voice.wav": "confirmed", "report.pdf": "suspected", "doc.docx": "none",
            "post.md": "possible", "chat.txt": "suspected", "human.txt": "none"}


def test_mixed_directory_classes(mixed):
    got = {p.name: inspect(p).klass for p in mixed.rglob("*") if p.is_file() and not p.name.endswith(".aigc.json")}
    assert got == EXPECTED


def test_declaration_and_evidence(mixed):
    r = inspect(mixed / "plain.gif", "ai")
    assert r.klass == "possible" and any("declared" in e for e in r.evidence)
    r = inspect(mixed / "labelled.png", "human")
    assert r.klass == "confirmed" and any("declared human" in e for e in r.evidence)


def test_json_shape(mixed):
    d = inspect(mixed / "labelled.png").to_dict()
    assert {"file", "class", "implicit", "carrier", "c2pa", "watermark", "errors"} <= set(d)
    assert d["implicit"]["ContentProducer"] == PRODUCER and d["carrier"] == "png"
    json.dumps(d)


def test_broken_file_reports_error(mixed):
    r = inspect(mixed / "broken.png")
    assert r.verdict == "inconclusive" and r.errors


def test_c2pa_evidence_and_never_downgrade(mixed):
    r = inspect(mixed / "c2pa.jpg")
    assert r.c2pa["ai"] and r.c2pa["validation_state"] in ("Valid", "Trusted")
    both = write_label(image("JPEG"), label())
    from tests.labeling.c2pa_sign import sign_ai_image

    signed = sign_ai_image(both)  # label first, then sign: both survive
    r2 = inspect(signed, filename="x.jpg")
    assert r2.klass == "confirmed" and r2.c2pa["ai"] and r2.c2pa["validation_state"] == "Valid"


def test_remote_manifest_reported_fast_without_network():
    pytest.importorskip("c2pa")
    from tests.labeling.c2pa_sign import sign_ai_image

    data = sign_ai_image(image("JPEG"), remote_url="http://10.255.255.1/m.c2pa")  # unroutable: never fetched
    r = inspect(data, filename="r.jpg", check_watermark=False)
    assert r.c2pa["presence"] == "remote" and r.c2pa["remote_url"] == "http://10.255.255.1/m.c2pa"
    assert r.klass == "none"


def test_watermark_evidence():
    import io

    import numpy as np
    from PIL import Image

    from hegui.labeling import watermark as wm

    rng = np.random.default_rng(3)  # photo-like: smooth colour fields plus sensor noise
    low = Image.fromarray((rng.random((7, 9, 3)) * 255).astype(np.uint8)).resize((512, 384), Image.Resampling.BICUBIC)
    a = np.clip(np.asarray(low, dtype=np.float32) + rng.normal(0, 10, (384, 512, 1)), 0, 255).astype("uint8")
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    marked = wm.embed(buf.getvalue(), wm.payload_for_content_id("c1"))
    r = inspect(marked, filename="w.png")
    assert r.watermark.get("found"), r.watermark
    assert r.klass == "suspected" and any("watermark" in e for e in r.evidence)
    assert not inspect(buf.getvalue(), filename="plain.png").watermark.get("found")


def test_decompression_bomb_header_does_not_crash_inspector():
    import struct
    import zlib

    data = bytearray(image("PNG"))
    struct.pack_into(">II", data, 16, 200_000, 200_000)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    r = inspect(bytes(data), filename="bomb.png")
    assert r.klass == "none" and (r.watermark is None or r.watermark.get("checked") is False)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared C2PA samples not present")
def test_shared_c2pa_samples_match_their_labels():
    rows = [json.loads(l) for l in (SHARED / "labels.jsonl").read_text().splitlines() if l.strip()]
    for row in rows:
        r = inspect(SHARED / Path(row["file"]).name, check_watermark=False)
        assert r.c2pa["validation_state"] == row["validation_state"]
        assert r.c2pa["digital_source_types"] == sorted(row["digital_source_types"])
