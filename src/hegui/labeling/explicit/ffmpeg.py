"""Thin, bounded wrappers around the ``ffmpeg``/``ffprobe`` programs (Debian package ``ffmpeg``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hegui.labeling.explicit.errors import MediaUnreadable, ToolFailed, ToolMissing

#: container → (ffmpeg muxer, video encoder args, audio encoder args when audio is re-encoded)
MUXERS = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
    ".mp3": "mp3", ".m4a": "ipod", ".aac": "adts", ".flac": "flac", ".ogg": "ogg", ".opus": "opus",
    ".wav": "wav",
}
AUDIO_CODECS = {
    "mp3": ["-c:a", "libmp3lame", "-q:a", "2"], "ipod": ["-c:a", "aac", "-b:a", "192k"],
    "adts": ["-c:a", "aac", "-b:a", "192k"], "flac": ["-c:a", "flac"], "ogg": ["-c:a", "libvorbis", "-q:a", "6"],
    "opus": ["-c:a", "libopus", "-b:a", "128k"], "wav": ["-c:a", "pcm_s16le"],
    "mp4": ["-c:a", "aac", "-b:a", "192k"], "mov": ["-c:a", "aac", "-b:a", "192k"],
    "matroska": ["-c:a", "flac"], "webm": ["-c:a", "libopus", "-b:a", "128k"],
}
#: source codec → encoder args, so a re-encode keeps the codec (Opus in .ogg stays Opus, FLAC stays lossless)
SOURCE_AUDIO_CODECS = {
    "flac": ["-c:a", "flac"], "vorbis": ["-c:a", "libvorbis", "-q:a", "6"], "opus": ["-c:a", "libopus", "-b:a", "128k"],
    "aac": ["-c:a", "aac", "-b:a", "192k"], "mp3": ["-c:a", "libmp3lame", "-q:a", "2"], "alac": ["-c:a", "alac"],
    "pcm_s16le": ["-c:a", "pcm_s16le"], "pcm_s24le": ["-c:a", "pcm_s24le"], "pcm_f32le": ["-c:a", "pcm_f32le"],
}
#: containers whose muxer drops custom tags unless asked (environment notes, gotcha 5)
MOV_FAMILY = ("mp4", "mov", "ipod")
#: ffmpeg's default layout per channel count (what a WAV without a channel mask is read as)
DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}
#: the only demuxers ffmpeg may use on a file given to it: plain media containers. A playlist (HLS,
#: concat, …) saved under a media name could otherwise make ffmpeg read other local files or URLs
#: into the output (an attacker-controlled upload leaking the server's files).
SAFE_DEMUXERS = ("mp3,wav,w64,aiff,flac,ogg,mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,aac,avi,flv,mpegts,"
                 "image2,png_pipe,jpeg_pipe")


@dataclass(frozen=True, slots=True)
class Probe:
    format_name: str
    duration: float
    width: int
    height: int
    has_video: bool
    has_audio: bool
    sample_rate: int
    channels: int
    codec: str = ""  # first audio stream's codec_name
    sample_fmt: str = ""  # its decoded sample format (s16, s32, fltp, ...)
    channel_layout: str = ""  # its named layout, "" when unknown


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(tool=name, package="ffmpeg" if name.startswith("ff") else name)
    return path


def input_args(path: Path | str) -> list[str]:
    """``-i`` for one local media file with the input restricted: local files only (no network, no
    nested protocols) and only :data:`SAFE_DEMUXERS`."""
    return ["-protocol_whitelist", "file", "-format_whitelist", SAFE_DEMUXERS, "-i", "file:" + str(Path(path).resolve())]


def run(args: list[str], *, timeout: float, what: str = "ffmpeg") -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(tool=what, detail=f"timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ToolFailed(tool=what, detail=" | ".join(tail) or f"exit status {proc.returncode}")
    return proc


def probe(path: Path, *, timeout: float = 60) -> Probe:
    args = [tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
            "-protocol_whitelist", "file", "-format_whitelist", SAFE_DEMUXERS, "file:" + str(Path(path).resolve())]
    try:
        info = json.loads(run(args, timeout=timeout, what="ffprobe").stdout or b"{}")
    except ToolFailed as exc:
        raise MediaUnreadable(detail=exc.fields.get("detail", "ffprobe failed")) from exc
    streams = info.get("streams", [])
    video = [s for s in streams if s.get("codec_type") == "video"
             and not s.get("disposition", {}).get("attached_pic")]
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not video and not audio:
        raise MediaUnreadable(detail="no audio or video stream")
    fmt = info.get("format", {})
    duration = float(fmt.get("duration") or (video or audio)[0].get("duration") or 0.0)
    v = video[0] if video else {}
    a = audio[0] if audio else {}
    return Probe(format_name=str(fmt.get("format_name", "")), duration=duration,
                 width=int(v.get("width", 0)), height=int(v.get("height", 0)), has_video=bool(video),
                 has_audio=bool(audio), sample_rate=int(a.get("sample_rate", 0) or 0),
                 channels=int(a.get("channels", 0) or 0), codec=str(a.get("codec_name", "") or ""),
                 sample_fmt=str(a.get("sample_fmt", "") or ""),
                 channel_layout=_layout_name(str(a.get("channel_layout", "") or "")))


def _layout_name(layout: str) -> str:
    """A layout name safe to pass to ``aformat`` (letters, digits, ``.``, ``(``, ``)``, ``+``)."""
    import re

    return layout if layout != "unknown" and re.fullmatch(r"[A-Za-z0-9.()+_-]{1,40}", layout) else ""


def muxer_for(path: Path, fallback: Path) -> str:
    for p in (path, fallback):
        if p.suffix.lower() in MUXERS:
            return MUXERS[p.suffix.lower()]
    raise MediaUnreadable(detail=f"unknown container for {path.name}")
