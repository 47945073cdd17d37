"""Shared plumbing of the demo media models (DS Provisions Art 14): bounded tool runs (ffmpeg,
sox, espeak-ng), audio decoding to mono PCM, 16-bit WAV encoding, and the errors they raise.
Every input is attacker-controlled: sizes and durations are capped, tools run with timeouts."""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from hegui.errors import HeguiError, ValidationFailed


class SynthesisFailed(HeguiError):
    """A demo media model (or a tool it runs) failed on this input."""

    code = "SYNTHESIS_FAILED"
    http_status = 422
    message_zh = "合成失败（{tool}）：{detail}"
    message_en = "synthesis failed ({tool}): {detail}"


class SynthesisToolMissing(HeguiError):
    code = "SYNTHESIS_TOOL_MISSING"
    http_status = 503
    message_zh = "缺少合成所需的程序 {tool}（请安装 Debian 软件包 {package}，见 scripts/setup.sh）"
    message_en = "the program {tool} needed for synthesis is missing (install the Debian package {package}, " \
                 "see scripts/setup.sh)"


MAX_SECONDS = 60.0  # reference audio is cut here; more says nothing more about a voice


def tool(name: str, package: str | None = None) -> str:
    path = shutil.which(name)
    if path is None:
        raise SynthesisToolMissing(tool=name, package=package or name)
    return path


def run(args: list[str], *, stdin: bytes | None = None, timeout: float = 60.0) -> bytes:
    """Run a tool; its stdout, or :class:`SynthesisFailed` with the last lines of stderr."""
    what = args[0].rsplit("/", 1)[-1]
    try:
        proc = subprocess.run(args, input=stdin, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SynthesisFailed(tool=what, detail=f"timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-2:]
        raise SynthesisFailed(tool=what, detail=" | ".join(tail) or f"exit status {proc.returncode}")
    return proc.stdout


def decode_audio(data: bytes, rate: int = 16_000, *, timeout: float = 60.0) -> np.ndarray:
    """Any audio ffmpeg reads → mono float32 at ``rate``, at most :data:`MAX_SECONDS` long."""
    if not data:
        raise ValidationFailed(message_en="the reference audio is empty", message_zh="参考音频为空")
    try:
        # pipe only: a playlist or concat script in the upload cannot make ffmpeg open files or URLs
        pcm = run([tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "pipe",
                   "-i", "pipe:0",
                   "-t", str(MAX_SECONDS), "-vn", "-ac", "1", "-ar", str(rate), "-f", "s16le", "pipe:1"],
                  stdin=data, timeout=timeout)
    except SynthesisFailed as exc:
        raise ValidationFailed(message_en=f"the reference audio could not be decoded: {exc.fields.get('detail')}",
                               message_zh=f"无法解码参考音频：{exc.fields.get('detail')}") from exc
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768
    if samples.size < rate // 2:
        raise ValidationFailed(message_en="the reference audio is shorter than 0.5 s",
                               message_zh="参考音频短于 0.5 秒")
    return samples


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Mono float samples in [-1, 1] → 16-bit PCM WAV."""
    pcm = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32767), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV bytes → (mono float32, rate)."""
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise SynthesisFailed(tool="wav", detail="expected 16-bit PCM")
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
        return frames.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()
