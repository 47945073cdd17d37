"""CheckCopies and FingerprintOutputs — outputs must not reproduce others' protected works, and our
own labelled outputs are fingerprinted so copies of them can be found (issue 15; draft AIGC
Regulation Arts 4–5, 15; Labeling Measures Art 4).

``CheckCopies`` runs after the blocklist, before labels: a whole chat answer that copies a
registered work is replaced by a zh/en notice (finish ``content_filter``), the generated text kept
sealed as withheld evidence for review; an image that copies one is refused
(:class:`~hegui.errors.ContentRefused` in :func:`~.images.generate`). A stream cannot be unsent: its
released text is checked once at its end, the answer is *flagged* (a review item, and a notice joins
the final event) rather than blocked — checking every holdback window would repeat the n-gram work
per release for a rare event. Each match leaves a :class:`~hegui.provenance.models.CopyFinding` row
(no content). With an empty register the step costs one cached lookup.

``FingerprintOutputs`` runs after ``Label``: the pHash of each labelled PNG and the MinHash of a
text answer (without its label boilerplate) go to ``output_fingerprints``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, ClassVar

from starlette.concurrency import run_in_threadpool

from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.provenance import works
from hegui.provenance.models import CopyFinding
from hegui.provenance.search import fingerprint_output
from hegui.records.usage import new_content_id

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.gateway")

COPY_ZH = "该回答与受保护作品高度重合，未予提供。"
COPY_EN = "This answer closely reproduces a protected work and is not provided."
FLAG_ZH = "提示：以上回答可能与受保护作品重合，已提交人工复核。"
FLAG_EN = "Note: the answer above may reproduce a protected work and has been sent for review."
IMAGE_ZH = "该图片与受保护作品高度相似，未予提供"
IMAGE_EN = "this image closely resembles a protected work and is not provided"


def bilingual(zh: str, en: str, lang: str) -> str:
    return f"{zh}\n{en}" if lang.startswith("zh") else f"{en}\n{zh}"


def _finding(ex: Exchange, match: works.CopyMatch, action: str) -> CopyFinding:
    ex.record.risks.append({"id": "copy:" + match.method, "score": match.score, "work": match.work_id,
                            "action": action})
    return CopyFinding(content_id=ex.record.content_id, request_id=ex.request_id, work_id=match.work_id,
                       kind=match.kind, method=match.method, score=match.score, action=action, detail=match.detail)


class CheckCopies(Step):
    name: ClassVar[str] = "check_copies"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def _save(self, row: CopyFinding) -> None:
        def write() -> None:
            with self.services.db.session() as s:
                s.add(row)

        await self.services.db.run(write)

    async def run(self, ex: Exchange) -> Flow:
        if ex.status != "ok":  # refused, cut or taken down: nothing of the model's leaves
            return Flow.CONTINUE
        db = self.services.db
        if ex.pieces is not None:
            if not works.known_empty(db, "text"):
                ex.pieces = self._watched(ex, ex.pieces)
            return Flow.CONTINUE
        if ex.images:
            if works.known_empty(db, "image"):
                return Flow.CONTINUE
            pw = works.ProtectedWorks(db)
            for raw in ex.images:
                if (match := await run_in_threadpool(pw.check_image, raw)) is not None:
                    ex.copy_match = match
                    ex.cut()
                    ex.record.content_id = ex.record.content_id or new_content_id()
                    ex.record.output_action = "block"
                    await self._save(_finding(ex, match, "blocked"))
                    return Flow.STOP
            return Flow.CONTINUE
        if ex.result is None or works.known_empty(db, "text"):
            return Flow.CONTINUE
        match = await run_in_threadpool(works.ProtectedWorks(db).check_text, ex.answer)
        if match is not None:
            ex.copy_match = match
            ex.cut()
            ex.record.content_id = ex.record.content_id or new_content_id()
            ex.record.output_action = "block"
            ex.record.withheld = ex.answer  # sealed evidence for the reviewer (Interim Measures Art 14)
            ex.answer = bilingual(COPY_ZH, COPY_EN, ex.lang)
            await self._save(_finding(ex, match, "blocked"))
        return Flow.CONTINUE

    async def _watched(self, ex: Exchange, released: AsyncIterator[str]) -> AsyncIterator[str]:
        async with contextlib.aclosing(released) as pieces:
            async for piece in pieces:
                yield piece
        if ex.status != "ok" or not ex.answer:
            return
        match = await run_in_threadpool(works.ProtectedWorks(self.services.db).check_text, ex.answer)
        if match is not None:
            ex.copy_match = match
            ex.record.content_id = ex.record.content_id or new_content_id()
            ex.record.review.append(("output", [{"id": "copy:" + match.method, "score": match.score}], ex.answer))
            ex.tail.append("\n" + bilingual(FLAG_ZH, FLAG_EN, ex.lang))
            await self._save(_finding(ex, match, "flagged"))


class FingerprintOutputs(Step):
    """After ``Label``: fingerprints of what left, for :func:`hegui.provenance.search.search`."""

    name: ClassVar[str] = "fingerprint_outputs"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        if ex.status != "ok" or not ex.record.content_id:
            return Flow.CONTINUE
        if ex.pieces is not None:
            ex.pieces = self._at_end(ex, ex.pieces)
        elif ex.outputs:
            for entry in ex.outputs:
                item_id = entry["hegui"]["content_id"]
                path = self.services.outputs_dir / f"{item_id}.png"
                await self._store(item_id, "image", path)
        elif ex.result is not None:
            tl = self.services.text_label
            text = ex.answer.removeprefix(tl.head).removesuffix(tl.tail) if tl.head or tl.tail else ex.answer
            await self._store(ex.record.content_id, "text", text)
        return Flow.CONTINUE

    async def _at_end(self, ex: Exchange, released: AsyncIterator[str]) -> AsyncIterator[str]:
        async with contextlib.aclosing(released) as pieces:
            async for piece in pieces:
                yield piece
        if ex.status == "ok" and ex.answer:
            await self._store(ex.record.content_id or "", "text", ex.answer)

    async def _store(self, content_id: str, kind: str, data: object) -> None:
        def work() -> None:
            payload = data.read_bytes() if hasattr(data, "read_bytes") else data
            fingerprint_output(self.services.db, content_id, kind, payload)  # type: ignore[arg-type]

        try:
            await run_in_threadpool(work)
        except Exception as exc:  # noqa: BLE001 - the answer is labelled and goes; a missing print is logged
            log.error("fingerprint of %s not stored: %s", content_id, exc)
