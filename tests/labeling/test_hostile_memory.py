"""Bounded memory on hostile input (issue 9 item 8): every carrier refuses a file whose headers claim
huge chunks/boxes/tags, or that holds more structural items than ``max_container_items``, with a
clear zh/en LABEL_FILE_TOO_LARGE instead of allocating; files that are merely big are read with
memory that does not grow with them. Peak Python allocations are measured with tracemalloc; the CLI
test measures the whole process (ru_maxrss). No timing is asserted."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from hegui.labeling.api import read_label_file, write_label_file
from hegui.labeling.carriers import default_registry
from hegui.labeling.errors import LabelFileTooLarge
from hegui.labeling.inspector import inspect
from hegui.labeling.policy import default_policy
from tests.labeling import hostile
from tests.labeling.media import label

LIMIT = "exceeds a processing limit"
PEAK = 48 << 20  # far below the hundreds of MB the files claim
POLICY = default_policy().model_copy(update={"max_container_items": 20_000})

REFUSED = {
    "png_big_label": hostile.png_big_label, "png_big_xmp": hostile.png_big_xmp, "png_many": hostile.png_many,
    "jpeg_many": hostile.jpeg_many, "webp_big_xmp": hostile.webp_big_xmp, "wav_many": hostile.wav_many,
    "avi_big_info": hostile.avi_big_info, "gif_big_xmp": hostile.gif_big_xmp, "gif_many": hostile.gif_many,
    "tiff_big_xmp": hostile.tiff_big_xmp, "heif_many_items": hostile.heif_many_items, "mp4_many": hostile.mp4_many,
    "mp4_big_value": hostile.mp4_big_value, "mkv_big_tagname": hostile.mkv_big_tagname,
    "mkv_many": hostile.mkv_many, "flv_many": hostile.flv_many, "mp3_big_id3": hostile.mp3_big_id3,
    "flac_big_meta": hostile.flac_big_meta, "ogg_big_comment": hostile.ogg_big_comment,
    "ooxml_big_directory": hostile.ooxml_big_directory,
}
READABLE = {"png_big_comment": hostile.png_big_comment, "webp_big_vp8": hostile.webp_big_vp8,
            "pdf_big": hostile.pdf_big, "html_big": hostile.html_big}


def _peak(fn):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_without_allocating(tmp_path: Path, case: str) -> None:
    src = REFUSED[case](tmp_path)
    size = src.stat().st_size

    r, peak = _peak(lambda: read_label_file(src, policy=POLICY))
    assert r.label is None and any(LIMIT in e for e in r.errors), r.to_dict()
    assert peak < PEAK, f"read of a {size}-byte file peaked at {peak} bytes"

    dst = tmp_path / f"out{src.suffix}"

    def write() -> LabelFileTooLarge:
        with pytest.raises(LabelFileTooLarge) as ei:
            write_label_file(src, label(), dst=dst, policy=POLICY)
        return ei.value

    err, peak = _peak(write)
    assert peak < PEAK, f"write peaked at {peak} bytes"
    assert err.code == "LABEL_FILE_TOO_LARGE" and "处理上限" in err.message("zh") and LIMIT in err.message("en")
    assert not dst.exists()

    res, peak = _peak(lambda: inspect(src, policy=POLICY))
    assert peak < PEAK, f"inspect peaked at {peak} bytes"
    assert res.verdict == "inconclusive" and any(LIMIT in e for e in res.errors), res.to_dict()


@pytest.mark.parametrize("case", sorted(READABLE))
def test_big_file_is_read_with_bounded_memory(tmp_path: Path, case: str) -> None:
    src = READABLE[case](tmp_path)
    r, peak = _peak(lambda: read_label_file(src))
    assert r.label is None and not any(LIMIT in e for e in r.errors) and r.verdict == "not_found", r.to_dict()
    assert peak < PEAK, f"read peaked at {peak} bytes"
    res, peak = _peak(lambda: inspect(src))
    assert peak < PEAK, f"inspect peaked at {peak} bytes"
    assert res.klass == "none"
    with open(src, "rb") as f:
        carrier = default_registry().detect(f.read(4096))[0]
    plan = getattr(carrier, "plan", None)
    if plan is not None:  # the write plan holds only the new metadata, never the media (no disk write here)
        with open(src, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            edits, peak = _peak(lambda: plan(mm, '{"Label":"1"}'))
            assert peak < PEAK and sum(len(e.data) for e in edits) < 1 << 20
            del edits


def test_default_item_cap_refuses_a_million_tiny_chunks(tmp_path: Path) -> None:
    src = hostile.png_many(tmp_path, n=default_policy().max_container_items + 1)
    r, peak = _peak(lambda: read_label_file(src))
    assert any(LIMIT in e and "max_container_items" in e for e in r.errors), r.to_dict()
    assert peak < PEAK


@pytest.mark.parametrize("command", ["inspect", "add", "add --explicit", "add --watermark"])
def test_cli_on_a_500_mb_png_signature_file_stays_small(tmp_path: Path, command: str) -> None:
    """The reported case: `hegui label add|inspect` on a 512 MB file with a PNG signature used 7 GB."""
    src = hostile.png_big_label(tmp_path)
    args = ["inspect", str(src)] if command == "inspect" else \
        ["add", str(src), "--producer", "001191110102MACQD9K64010000", "--id", "x1", "--out", str(tmp_path / "o.png"),
         *command.split()[1:]]
    # VmHWM (this process image's own peak), not ru_maxrss: that one keeps the parent's RSS across exec
    code = ("import re\nfrom typer.testing import CliRunner\nfrom hegui.cli.label import app\n"
            f"r = CliRunner().invoke(app, {args!r})\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
            "print(r.exit_code, hwm)\nprint(r.output)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    first, _, rest = out.stdout.partition("\n")
    exit_code, rss_kb = (int(x) for x in first.split())
    assert rss_kb < 400 * 1024, f"peak RSS {rss_kb} KiB\n{out.stdout}{out.stderr}"
    if command.startswith("add"):
        assert exit_code == 1 and "LABEL_FILE_TOO_LARGE" in rest and "处理上限" in rest
        assert not (tmp_path / "o.png").exists()
    else:
        assert LIMIT in rest.replace("\n", " ") or "processing" in rest, rest
