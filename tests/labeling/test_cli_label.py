"""`hegui label` CLI: add / inspect / propagate; inputs untouched unless --in-place."""

import json

from typer.testing import CliRunner

from hegui.cli.label import app
from hegui.labeling import read_label_file
from tests.labeling.media import PLATFORM, PRODUCER, image

runner = CliRunner()


def test_add_default_output_keeps_input(tmp_path):
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG"))
    before = src.read_bytes()
    r = runner.invoke(app, ["add", str(src), "--producer", PRODUCER, "--id", "c-1"])
    assert r.exit_code == 0, r.output
    assert src.read_bytes() == before
    out = tmp_path / "a.labeled.png"
    assert read_label_file(out).label.ProduceID == "c-1"


def test_add_in_place_and_out(tmp_path):
    src = tmp_path / "a.jpg"
    src.write_bytes(image("JPEG"))
    assert runner.invoke(app, ["add", str(src), "--producer", PRODUCER, "--id", "x", "--in-place"]).exit_code == 0
    assert read_label_file(src).label.ProduceID == "x"
    r = runner.invoke(app, ["add", str(src), "--producer", PRODUCER, "--id", "y", "--out", str(tmp_path / "o.jpg")])
    assert r.exit_code == 0 and read_label_file(tmp_path / "o.jpg").label.ProduceID == "y"


def test_add_bad_code_is_bilingual_error(tmp_path):
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG"))
    r = runner.invoke(app, ["add", str(src), "--producer", "MiniMax", "--id", "x"])
    assert r.exit_code == 1 and "LABEL_INVALID" in r.output and "附录E" in r.output
    assert not (tmp_path / "a.labeled.png").exists()


def test_add_text_writes_sidecar(tmp_path):
    src = tmp_path / "n.txt"
    src.write_text("hello")
    r = runner.invoke(app, ["add", str(src), "--producer", PRODUCER, "--id", "t", "--in-place"])
    assert r.exit_code == 0 and (tmp_path / "n.txt.aigc.json").exists() and src.read_text() == "hello"


def test_add_explicit_and_watermark(tmp_path):
    """--explicit burns the §5 mark in, --watermark embeds the payload, the implicit label comes last."""
    from PIL import Image, ImageChops

    from hegui.labeling.watermark import detect, payload_for_content_id

    import numpy as np

    rng = np.random.default_rng(3)  # photo-like: smooth colour fields plus sensor noise
    low = Image.fromarray((rng.random((7, 9, 3)) * 255).astype(np.uint8)).resize((512, 384), Image.Resampling.BICUBIC)
    photo = np.clip(np.asarray(low, dtype=np.float32) + rng.normal(0, 10, (384, 512, 1)), 0, 255).astype(np.uint8)
    src = tmp_path / "a.png"
    Image.fromarray(photo).save(src)
    before = src.read_bytes()
    r = runner.invoke(app, ["add", str(src), "--producer", PRODUCER, "--id", "c-7", "--explicit", "--watermark"])
    assert r.exit_code == 0, r.output
    out = tmp_path / "a.labeled.png"
    assert src.read_bytes() == before
    assert read_label_file(out).label.ProduceID == "c-7"
    found = detect(out.read_bytes())
    assert found.found and found.payload == payload_for_content_id("c-7")
    diff = ImageChops.difference(Image.open(src).convert("RGB"), Image.open(out).convert("RGB")).getbbox()
    assert diff is not None  # the mark changed pixels


def test_propagate_keeps_producer(tmp_path):
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG"))
    runner.invoke(app, ["add", str(src), "--producer", PRODUCER, "--id", "c-1", "--in-place"])
    r = runner.invoke(app, ["propagate", str(src), "--propagator", PLATFORM, "--id", "p-9", "--in-place"])
    assert r.exit_code == 0, r.output
    lab = read_label_file(src).label
    assert (lab.Label, lab.ContentProducer, lab.ProduceID, lab.ContentPropagator, lab.PropagateID) == (
        "1", PRODUCER, "c-1", PLATFORM, "p-9")


def test_propagate_unlabelled_needs_class(tmp_path):
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG"))
    assert runner.invoke(app, ["propagate", str(src), "--propagator", PLATFORM, "--id", "p"]).exit_code == 1
    r = runner.invoke(app, ["propagate", str(src), "--propagator", PLATFORM, "--id", "p", "--label", "2"])
    assert r.exit_code == 0 and read_label_file(tmp_path / "a.labeled.png").label.Label == "2"


def test_inspect_json_recurses(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.png").write_bytes(image("PNG"))
    runner.invoke(app, ["add", str(tmp_path / "d" / "a.png"), "--producer", PRODUCER, "--id", "c", "--in-place"])
    (tmp_path / "d" / "b.jpg").write_bytes(image("JPEG"))
    r = runner.invoke(app, ["inspect", str(tmp_path / "d"), "--json", "--declared", "ai", "--no-watermark"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    assert {Path_(x["file"]): x["class"] for x in rows} == {"a.png": "confirmed", "b.jpg": "possible"}
    for x in rows:
        assert {"file", "class", "implicit", "carrier", "c2pa", "watermark", "errors"} <= set(x)


def Path_(p: str) -> str:  # noqa: N802
    return p.rsplit("/", 1)[-1]


def test_no_removal_command():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert names == {"add", "inspect", "propagate"}
