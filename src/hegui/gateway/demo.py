"""The built-in demo model: text, images and speech made locally, no download, clearly named a demo
(speech: espeak-ng through :mod:`hegui.synthesis.tts`).

Deterministic: the same prompt gives the same output (so takedown and regeneration blocking
can be shown end to end). ``/echo TEXT`` as the last user message returns TEXT verbatim,
which lets operators and tests exercise output moderation.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import AsyncIterator
from typing import Any

from hegui.gateway.upstream import ChatResult, SpeechResult
from hegui.synthesis.tts import DEMO_TTS_MODEL

DEMO_TEXT_MODEL = "hegui-demo-chat"
DEMO_IMAGE_MODEL = "hegui-demo-image"

_TEMPLATES_ZH = [
    "这是 hegui 内置演示模型（并非真实的大语言模型）给出的示例回答。",
    "您的问题是：「{q}」。",
    "在正式部署中，hegui 网关会把请求转发给您配置的上游模型，并在转发前后完成实名核验、输入输出审核、内容标识和日志留存。",
    "演示模型的回答只用于检查合规流程是否工作，请勿当作事实。",
]
_TEMPLATES_EN = [
    "This is a sample answer from hegui's built-in demo model (not a real language model).",
    "You asked: \"{q}\".",
    "In production the hegui gateway forwards the request to your configured upstream model, with identity checks, input and output moderation, labels and records around it.",
    "Demo answers only show that the compliance pipeline works; do not rely on them as facts.",
]


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return " ".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


def demo_answer(messages: list[dict[str, Any]]) -> str:
    q = _last_user_text(messages).strip()
    if q.startswith("/echo "):
        return q[6:]
    short = q[:200]
    zh = bool(re.search(r"[\u4e00-\u9fff]", q))
    lines = _TEMPLATES_ZH if zh or not q else _TEMPLATES_EN
    return "\n".join(t.format(q=short) for t in lines)


class DemoModel:
    """An :class:`~hegui.gateway.upstream.Upstream` that runs in-process."""

    name = "demo"

    def __init__(self, *, chunk_chars: int = 8, chunk_delay: float = 0.0) -> None:
        self.models = [DEMO_TEXT_MODEL, DEMO_IMAGE_MODEL, DEMO_TTS_MODEL]
        self.chunk_chars = chunk_chars
        self.chunk_delay = chunk_delay

    async def chat(self, body: dict[str, Any]) -> ChatResult:
        text = demo_answer(body.get("messages") or [])
        return ChatResult(text, "stop", {"prompt_tokens": 0, "completion_tokens": len(text),
                                         "total_tokens": len(text)})

    async def chat_stream(self, body: dict[str, Any]) -> AsyncIterator[str]:
        text = demo_answer(body.get("messages") or [])
        for i in range(0, len(text), self.chunk_chars):
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
            yield text[i:i + self.chunk_chars]

    async def images(self, body: dict[str, Any]) -> list[bytes]:
        n = max(1, min(int(body.get("n") or 1), 4))
        w, h = _parse_size(body.get("size") or "512x512")
        prompt = str(body.get("prompt") or "")
        seed = body.get("seed")
        knobs = {"negative_prompt": str(body.get("negative_prompt") or ""), "steps": body.get("steps"),
                 "guidance": body.get("guidance")}
        return [render_demo_image(f"{prompt}#{i}", w, h, seed=None if seed is None else int(seed) + i, **knobs)
                for i in range(n)]

    async def speech(self, body: dict[str, Any]) -> SpeechResult:
        """espeak-ng in a worker thread; ``voice`` is accepted and ignored (one demo voice)."""
        from hegui.synthesis.tts import synthesize

        spoken = await asyncio.to_thread(synthesize, str(body.get("input") or ""),
                                         speed=float(body.get("speed") or 1.0))
        return SpeechResult(spoken.samples, spoken.sample_rate)

    async def aclose(self) -> None:
        return None


def _parse_size(size: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2,4})x(\d{2,4})", size)
    if not m:
        return 512, 512
    return max(64, min(int(m.group(1)), 1536)), max(64, min(int(m.group(2)), 1536))


def _colour(text: str) -> Any:
    import numpy as np

    return np.frombuffer(hashlib.sha256(text.encode()).digest()[:3], dtype=np.uint8).astype(float)


def render_demo_image(prompt: str, width: int, height: int, *, seed: int | None = None, negative_prompt: str = "",
                      steps: int | None = None, guidance: float | None = None) -> bytes:
    """A deterministic abstract picture (gradient and shapes) derived from the prompt — a demo that
    honours the parameters a court asks about (*Li v. Liu*), each visibly and deterministically:

    - ``seed``: the layout and colours come from ``(prompt, seed)``: same seed, same bytes;
    - ``negative_prompt``: its colour is avoided — every colour is pushed away from it;
    - ``steps``: fewer steps leave more (seeded) noise, as an unfinished denoising would;
    - ``guidance``: how strongly the prompt's colours apply (low guidance fades towards grey).

    Without them the picture is the one earlier versions made from the prompt alone."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    key = prompt.encode() if seed is None else prompt.encode() + b"\x00seed=" + str(seed).encode()
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
    avoid = _colour("neg:" + negative_prompt) if negative_prompt else None

    def paint(c: Any) -> Any:
        c = np.asarray(c, dtype=float)
        if avoid is not None:  # away from the negative prompt's colour
            c = c + (c - avoid) * 0.8 + np.sign(c - avoid + 0.5) * 48
        if guidance is not None:  # prompt strength: 7.5 (the usual default) keeps the colours
            w = min(1.0, float(guidance) / 7.5)
            c = 128 + (c - 128) * w
        return c.clip(0, 255)

    c0, c1 = paint(rng.integers(0, 256, 3)), paint(rng.integers(0, 256, 3))
    t = np.linspace(0.0, 1.0, width)[None, :, None]
    s = np.linspace(0.0, 1.0, height)[:, None, None]
    grad = (c0 * (1 - t) * (1 - s / 2) + c1 * t * (0.5 + s / 2)).clip(0, 255).astype("uint8")
    img = Image.fromarray(np.broadcast_to(grad, (height, width, 3)).copy(), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.integers(0, width), rng.integers(0, height)
        r = int(rng.integers(min(width, height) // 20, min(width, height) // 4))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(v) for v in paint(rng.integers(0, 256, 3))))
    img = img.filter(ImageFilter.GaussianBlur(radius=max(1, min(width, height) // 100)))
    if steps is not None:  # residual noise of an unfinished denoising: amplitude 96/steps
        arr = np.asarray(img, dtype=float)
        noise = rng.normal(0.0, 96.0 / max(1, int(steps)), arr.shape)
        img = Image.fromarray((arr + noise).clip(0, 255).astype("uint8"), "RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
