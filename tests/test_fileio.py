"""One atomic-write implementation: old file or new file, never a partial one; modes kept or set."""

import os
import stat

import pytest

from hegui.fileio import atomic_open, atomic_path, write_atomic


def test_write_replaces_and_keeps_mode(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"old")
    p.chmod(0o640)
    write_atomic(p, "新")
    assert p.read_text(encoding="utf-8") == "新" and stat.S_IMODE(p.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["a.txt"]


def test_secret_mode_and_new_dirs(tmp_path):
    p = write_atomic(tmp_path / "sub" / "secret.key", b"k", mode=0o600)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE(write_atomic(tmp_path / "new.bin", [b"a", b"b"]).stat().st_mode) == 0o644


def test_failure_leaves_the_original_and_no_temp(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b"original")
    with pytest.raises(RuntimeError):
        with atomic_open(p, text=True) as f:
            f.write("half")
            raise RuntimeError("crash mid-write")
    assert p.read_bytes() == b"original" and os.listdir(tmp_path) == ["a.jsonl"]
    with pytest.raises(OSError):
        with atomic_path(p) as tmp:
            tmp.write_bytes(b"x")
            raise OSError("disk full")
    assert p.read_bytes() == b"original" and os.listdir(tmp_path) == ["a.jsonl"]


def test_new_files_follow_the_process_umask(tmp_path):
    """Under hegui's umask 077 (set at start) a new file is 0600, as open() would make it."""
    old = os.umask(0o077)
    try:
        p = write_atomic(tmp_path / "new.bin", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_private_dir_tightens_an_existing_folder(tmp_path):
    from hegui.fileio import private_dir

    d = tmp_path / "var"
    d.mkdir(mode=0o755)
    assert stat.S_IMODE(private_dir(d).stat().st_mode) == 0o700
