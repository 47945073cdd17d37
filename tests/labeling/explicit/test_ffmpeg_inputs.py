"""A playlist saved under a media name must not make ffmpeg read other files into the output
(every field is attacker-controlled: an upload to `hegui label add` or the gateway)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hegui.labeling.explicit.audio import label_audio
from hegui.labeling.explicit.errors import MediaUnreadable
from hegui.labeling.explicit.ffmpeg import probe
from hegui.labeling.explicit.video import label_video

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def _secret(tmp_path: Path, suffix: str, args: list[str]) -> Path:
    secret = tmp_path / f"secret{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(secret)], check=True)
    return secret


def _playlist(tmp_path: Path, name: str, target: Path) -> Path:
    evil = tmp_path / name
    evil.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{target}\n#EXT-X-ENDLIST\n")
    return evil


def test_an_hls_playlist_named_mp3_is_refused_not_followed(tmp_path):
    secret = _secret(tmp_path, ".mp3", ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"])
    evil = _playlist(tmp_path, "evil.mp3", secret)
    with pytest.raises(MediaUnreadable):
        label_audio(evil, tmp_path / "leak.mp3")
    assert not (tmp_path / "leak.mp3").exists()
    with pytest.raises(MediaUnreadable):
        probe(evil)


def test_a_concat_list_named_mp4_is_refused(tmp_path):
    secret = _secret(tmp_path, ".mp4", ["-f", "lavfi", "-i", "testsrc=size=64x64:duration=2:rate=10",
                                        "-pix_fmt", "yuv420p"])
    evil = tmp_path / "evil.mp4"
    evil.write_text(f"ffconcat version 1.0\nfile '{secret}'\n")
    with pytest.raises(MediaUnreadable):
        label_video(evil, tmp_path / "leak.mp4")
    assert not (tmp_path / "leak.mp4").exists()


def test_plain_media_still_labels(tmp_path):
    src = _secret(tmp_path, ".mp3", ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"])
    out = label_audio(src, tmp_path / "out.mp3")
    assert probe(out).duration > 1.0
