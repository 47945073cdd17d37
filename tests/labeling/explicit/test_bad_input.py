"""Hostile and broken inputs: precise bilingual errors, original byte-identical, no partial output."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest

from hegui.errors import LabelError
from hegui.labeling.explicit import (
    ImageTooLarge,
    MediaUnreadable,
    MediaUnsupported,
    OutputNotWritable,
    apply_explicit,
    label_image_bytes,
)

from .conftest import encode, photo


def _png_with_size(w: int, h: int) -> bytes:
    """A tiny valid-looking PNG whose header claims ``w``×``h`` (decompression bomb)."""
    data = encode(photo(8, 8), "PNG")
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return data[:8] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


def _assert_clean(tmp_path: Path, src: Path, before: bytes) -> None:
    assert src.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p != src] == []


@pytest.mark.parametrize(("data", "err"), [
    (encode(photo(), "PNG")[:300], MediaUnreadable),
    (encode(photo(), "JPEG")[:400], MediaUnreadable),
    (b"\x89PNG\r\n\x1a\n" + os.urandom(200), MediaUnreadable),
    (_png_with_size(60000, 60000), ImageTooLarge),
    (_png_with_size(200000, 1), ImageTooLarge.__mro__[1]),  # pixel cap or unreadable: always a LabelError
])
def test_broken_images_raise_precise_errors(tmp_path: Path, data: bytes, err: type[Exception]) -> None:
    src = tmp_path / "in.png"
    src.write_bytes(data)
    with pytest.raises(err) as exc:
        apply_explicit(src, tmp_path / "out.png")
    assert isinstance(exc.value, LabelError)
    assert exc.value.message("zh") and exc.value.message("en") and exc.value.message("zh") != exc.value.message("en")
    _assert_clean(tmp_path, src, data)


def test_bomb_error_names_the_size() -> None:
    with pytest.raises(ImageTooLarge) as exc:
        label_image_bytes(_png_with_size(60000, 60000))
    assert "3600000000" in exc.value.message("en") and "解压炸弹" in exc.value.message("zh")


def test_empty_and_unknown_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(MediaUnreadable):
        apply_explicit(empty, tmp_path / "o.jpg")
    with pytest.raises(LabelError):
        label_image_bytes(b"%PDF-1.7 not an image")


def test_wrong_extension_is_sniffed_from_content(tmp_path: Path) -> None:
    src = tmp_path / "really-a-png.jpg"
    src.write_bytes(encode(photo(), "PNG"))
    out = apply_explicit(src, tmp_path / "out.jpg")
    assert out.read_bytes().startswith(b"\x89PNG")


def test_read_only_destination(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target_dir = Path("/proc/self")  # not writable even for root
    else:
        target_dir = tmp_path / "ro"
        target_dir.mkdir()
        target_dir.chmod(0o500)
    src = tmp_path / "in.png"
    src.write_bytes(before := encode(photo(), "PNG"))
    with pytest.raises(OutputNotWritable) as exc:
        apply_explicit(src, target_dir / "out.png")
    assert "无法写入" in exc.value.message("zh")
    assert src.read_bytes() == before


def test_output_never_overwrites_the_original(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    src.write_bytes(before := encode(photo(), "PNG"))
    with pytest.raises(OutputNotWritable):
        apply_explicit(src, src)
    assert src.read_bytes() == before


def test_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.png"
    src.write_bytes(encode(photo(), "PNG"))
    dst = tmp_path / "out.png"
    dst.write_bytes(b"previous output")

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OutputNotWritable) as exc:
        apply_explicit(src, dst)
    assert "No space left" in exc.value.message("en")
    assert dst.read_bytes() == b"previous output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "out.png"]


def test_unsupported_image_format(tmp_path: Path) -> None:
    with pytest.raises(MediaUnsupported):
        label_image_bytes(encode(photo(64, 64), "ICO"))
