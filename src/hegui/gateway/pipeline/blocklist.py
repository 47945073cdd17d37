"""Blocklist — taken-down outputs are not generated again (Interim Measures Art 14; DS Art 10).

A whole answer is checked once; a streamed answer before each release (the text so far plus the
release, so a taken-down answer is cut near its start) and once more whole at its end; images one
by one. The enforcement duty answers through :class:`hegui.hooks.EnforcementHooks`. This step is
the last gate of a stream: what passes it is released (``ex.answer``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, ClassVar

from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.hooks import BlockHit
from hegui.moderation.base import Action

if TYPE_CHECKING:
    from hegui.app.services import Services


def blocklist_text(lang: str) -> str:
    zh = "该内容已因违法违规被下架，不再提供。"
    en = "This content was taken down as illegal and is no longer provided."
    return f"{zh}\n{en}" if lang.startswith("zh") else f"{en}\n{zh}"


def _blocked(ex: Exchange, hit: BlockHit) -> None:
    ex.block = hit
    ex.cut()
    ex.record.output_action = Action.BLOCK.value
    ex.record.risks.append({"id": "blocklist", "score": hit.similarity, "entry": hit.entry_id})


class Blocklist(Step):
    name: ClassVar[str] = "blocklist"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        hooks = self.services.enforcement
        if ex.pieces is not None:
            ex.pieces = self._gated(ex, ex.pieces)
        elif ex.images:
            for raw in ex.images:
                if hit := hooks.blocked_image(raw):
                    _blocked(ex, hit)
                    return Flow.STOP
        elif ex.result is not None and (hit := hooks.blocked_text(ex.result.content)):
            _blocked(ex, hit)
            ex.record.withheld = ex.result.content  # evidence, sealed (Interim Measures Art 14)
            ex.answer = blocklist_text(ex.lang)
        return Flow.CONTINUE

    async def _gated(self, ex: Exchange, released: AsyncIterator[str]) -> AsyncIterator[str]:
        hooks = self.services.enforcement
        hit: BlockHit | None = None
        async with contextlib.aclosing(released) as pieces:
            async for piece in pieces:
                if hit := hooks.blocked_partial(ex.answer + piece):
                    break
                ex.answer += piece
                yield piece
        # the moderation wrapper is closed now (its verdict noted); the block decides what follows
        if hit is None and ex.status == "ok":
            hit = hooks.blocked_text(ex.answer)
        if hit is not None:
            _blocked(ex, hit)
            ex.tail.append("\n" + blocklist_text(ex.lang))
        generated = "".join(ex.generated)
        if ex.status == "cut" and generated != ex.answer:
            ex.record.withheld = generated  # what was held back, sealed as evidence (Interim Measures Art 14)
