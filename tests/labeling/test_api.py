"""write_label / read_label / write_label_file: detection, one label per file, bad input."""

import errno
import os
import stat

import pytest

from hegui.errors import LabelError
from hegui.labeling import read_label, read_label_file, write_label, write_label_file
from hegui.labeling.carriers import default_registry
from hegui.labeling.errors import (
    LabelCarrierUnsupported,
    LabelDiskFull,
    LabelFileCorrupt,
    LabelInvalid,
    LabelPathNotWritable,
)
from tests.labeling.media import image, label


def test_registry_is_per_instance_and_rejects_duplicates():
    a, b = default_registry(), default_registry()
    assert a is not b and a.ids() == b.ids()
    with pytest.raises(ValueError):
        a.register(a.get("png"))
    assert a.by_extension("X.JPG").format_id == "jpeg" and a.by_mime("image/webp").format_id == "webp"


def test_every_error_is_a_bilingual_label_error():
    for exc in (LabelCarrierUnsupported(detail="x"), LabelFileCorrupt(format="png", detail="x"),
                LabelDiskFull(path="p"), LabelPathNotWritable(path="p"), LabelInvalid(detail="x")):
        assert isinstance(exc, LabelError) and exc.message("zh") != exc.message("en")


def test_unknown_format():
    with pytest.raises(LabelCarrierUnsupported):
        write_label(b"just some text", label(), filename="a.txt")
    assert read_label(b"\x00\x01garbage").verdict == "not_found"


def test_wrong_extension_with_garbage_content():
    with pytest.raises(LabelFileCorrupt) as ei:
        write_label(b"not a jpeg at all", label(), filename="photo.jpg")
    assert "扩展名" not in ei.value.message("en") and ei.value.message("zh").startswith("文件已损坏")


def test_invalid_label_refused_before_touching_data():
    with pytest.raises(LabelInvalid):
        write_label(image("PNG"), label().propagated("not a code", "x"))


def test_write_file_in_place_atomic(tmp_path):
    p = tmp_path / "a.png"
    p.write_bytes(image("PNG"))
    write_label_file(p, label())
    assert read_label_file(p).label == label()
    assert [f.name for f in tmp_path.iterdir()] == ["a.png"]  # no temp files left


def test_read_only_directory_leaves_original(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions; covered by the simulated EACCES test")
    d = tmp_path / "ro"
    d.mkdir()
    p = d / "a.png"
    p.write_bytes(image("PNG"))
    d.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(LabelPathNotWritable):
            write_label_file(p, label())
    finally:
        d.chmod(stat.S_IRWXU)


def _fail_with(monkeypatch, err):
    import hegui.labeling.atomic as atomic

    def boom(fd):
        raise OSError(err, os.strerror(err))
    monkeypatch.setattr(atomic.os, "fsync", boom)


@pytest.mark.parametrize("err,cls", [(errno.ENOSPC, LabelDiskFull), (errno.EROFS, LabelPathNotWritable),
                                     (errno.EACCES, LabelPathNotWritable)])
def test_disk_full_or_read_only_keeps_original_and_no_partial(tmp_path, monkeypatch, err, cls):
    p = tmp_path / "a.jpg"
    original = image("JPEG")
    p.write_bytes(original)
    _fail_with(monkeypatch, err)
    with pytest.raises(cls) as ei:
        write_label_file(p, label())
    assert p.read_bytes() == original
    assert [f.name for f in tmp_path.iterdir()] == ["a.jpg"]
    assert str(p) in ei.value.message("zh")


def test_real_read_only_target_file_dir(tmp_path):
    """/proc is read-only for everybody, root included: the error is precise and nothing is written."""
    src = tmp_path / "a.png"
    src.write_bytes(image("PNG"))
    with pytest.raises((LabelPathNotWritable, LabelError)):
        write_label_file(src, label(), dst="/proc/hegui-label-test.png")
    assert read_label_file(src).label is None


def test_readback_failure_writes_nothing(tmp_path, monkeypatch):
    from hegui.labeling.carriers.png import PngCarrier
    from hegui.labeling.errors import LabelReadBackFailed

    monkeypatch.setattr(PngCarrier, "read", lambda self, data: [])
    p = tmp_path / "a.png"
    p.write_bytes(image("PNG"))
    with pytest.raises(LabelReadBackFailed):
        write_label_file(p, label(), dst=tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()
    with pytest.raises(LabelReadBackFailed):
        write_label(image("PNG"), label())


def test_empty_file(tmp_path):
    p = tmp_path / "e.png"
    p.write_bytes(b"")
    with pytest.raises(LabelFileCorrupt):
        write_label_file(p, label())
    assert read_label_file(p).label is None


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "TIFF"])
def test_fuzzed_prefixes_never_crash(fmt):
    """Property-style: every truncation and a few byte flips give a label, a LabelError or nothing."""
    import random

    data = write_label(image(fmt), label())
    rnd = random.Random(4)
    cases = [data[:n] for n in range(0, len(data), max(1, len(data) // 60))]
    for _ in range(40):
        b = bytearray(data)
        for _ in range(3):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        cases.append(bytes(b))
    for c in cases:
        read_label(c)
        try:
            write_label(c, label("z"))
        except LabelError:
            pass


def test_wrapped_form_is_configurable():
    import json

    from hegui.labeling.policy import default_policy

    pol = default_policy().model_copy(update={"json_form": "wrapped"})
    out = write_label(image("PNG"), label(), policy=pol, registry=default_registry(pol))
    r = read_label(out)
    assert r.label == label() and r.found[0].parsed.form == "wrapped"
    assert list(json.loads(r.found[0].raw)) == ["AIGC"]


def test_policy_file_missing_is_an_error(tmp_path):
    from hegui.errors import ConfigError
    from hegui.labeling.policy import load_policy

    with pytest.raises(ConfigError):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: x\nunknown_key: 1\n")
    with pytest.raises(ConfigError):
        load_policy(bad)


def _hand_mp4() -> bytes:
    import struct

    def box(t, b):
        return struct.pack(">I", len(b) + 8) + t + b
    stco = box(b"stco", b"\0" * 4 + struct.pack(">II", 1, 0))
    trak = box(b"trak", box(b"mdia", box(b"minf", box(b"stbl", stco))))
    return box(b"ftyp", b"isom\0\0\0\0isom") + box(b"moov", box(b"mvhd", b"\0" * 100) + trak) + box(b"mdat", b"x" * 64)


def _hand_docx() -> bytes:
    from tests.labeling.carriers.test_ooxml import docx

    return docx()


@pytest.mark.parametrize("make", [_hand_mp4, lambda: __import__("tests.labeling.carriers.test_wav",
                                                                  fromlist=["wav"]).wav(64),
                                  _hand_docx, lambda: __import__("tests.labeling.carriers.test_pdf",
                                                                 fromlist=["pdf"]).pdf()],
                         ids=["mp4", "wav", "docx", "pdf"])
def test_fuzzed_containers_never_crash(make):
    import random

    data = write_label(make(), label())
    rnd = random.Random(7)
    cases = [data[:n] for n in range(0, len(data), max(1, len(data) // 40))]
    for _ in range(30):
        b = bytearray(data)
        for _ in range(2):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        cases.append(bytes(b))
    for c in cases:
        read_label(c)
        try:
            write_label(c, label("z"))
        except LabelError:
            pass


@pytest.mark.parametrize("err,expect", [(errno.EXDEV, None), (errno.ENOSPC, LabelDiskFull)])
def test_kernel_copy_fallback_and_disk_full(tmp_path, monkeypatch, err, expect):
    import hegui.labeling.atomic as atomic

    def no_copy(*a, **k):
        raise OSError(err, os.strerror(err))
    monkeypatch.setattr(atomic.os, "copy_file_range", no_copy, raising=False)
    src = tmp_path / "a.jpg"
    src.write_bytes(image("JPEG"))
    before = src.read_bytes()
    if expect is None:
        write_label_file(src, label(), dst=tmp_path / "b.jpg")
        assert read_label_file(tmp_path / "b.jpg").label == label()
    else:
        with pytest.raises(expect):
            write_label_file(src, label())
        assert sorted(f.name for f in tmp_path.iterdir()) == ["a.jpg"]
    assert src.read_bytes() == before
