"""CheckParent and RecordProvenance — the creative process of each output, as evidence of the user's
intellectual input (Beijing Internet Court, *Li v. Liu*, 2023; issue 15; docs/provenance.md).

``RecordProvenance`` runs after Label, for answers that leave (``ok``) to a known user, and writes one
:class:`~hegui.provenance.records.ProvenanceEntry` per output — model, upstream, every prompt and
negative prompt, the parameters, the parent and the edit — sealed and hash-chained per user.

Failure to record:

- whole answers (chat, images, speech) fail **closed**: the record is written before the answer
  leaves, and a write that fails ends the request with :class:`ProvenanceNotRecorded` (503); the
  images already written for it are removed. An output that leaves without its record could not be
  shown to be the user's work later, and the user would not know.
- a stream has already left when it ends: the record is written then, from what was sent; a write
  that fails is logged and flagged on the usage record (``error_code`` PROVENANCE_NOT_RECORDED, status
  still ``ok``) — the answer cannot be taken back.

Iterations: a request may name ``hegui_parent`` (a content ID of the same user's earlier output) and
``hegui_edit`` (what changed). The parent is checked by :class:`CheckParent` right after Admit; the
edit text is moderated with the prompt (:func:`with_edit`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.concurrency import run_in_threadpool

from hegui.errors import HeguiError, NotFound, ValidationFailed
from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.gateway.pipeline.request import FORWARD_KEYS, invalid
from hegui.moderation.base import Action
from hegui.provenance.records import ProvenanceEntry, ProvenanceStore
from hegui.storage.base import utcnow

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.gateway")

CONTENT_ID = re.compile(r"^hgc-[0-9a-f]{32}(?:\.\d{1,2})?$")
MAX_EDIT_CHARS = 4000
CHAT_TEXT_KEYS = ("messages", "tools", "tool_choice", "response_format")
IMAGE_PARAMETERS = ("seed", "steps", "guidance", "size", "n", "quality", "style", "response_format")
SPEECH_PARAMETERS = ("voice", "speed", "response_format")


class ParentNotYours(ValidationFailed):
    """``hegui_parent`` names no recorded output of this user (another user's, or none)."""

    code = "PROVENANCE_PARENT_INVALID"
    http_status = 400
    message_zh = "输入无效：hegui_parent {content_id} 不是该用户此前生成并记录的内容"
    message_en = "Invalid input: hegui_parent {content_id} is not an earlier recorded output of this user"


class ProvenanceNotRecorded(HeguiError):
    """The creative-process record of an output could not be written: the output is withheld."""

    code = "PROVENANCE_NOT_RECORDED"
    http_status = 503
    message_zh = "创作过程记录写入失败，本次生成结果未予提供，请稍后重试"
    message_en = "the creative-process record could not be written, so this output is withheld; try again later"


def store(services: Services) -> ProvenanceStore:
    """The provenance store of these services (stateless: the database and the key ring)."""
    return ProvenanceStore(services.db, services.keys)


def check_lineage(body: dict[str, Any]) -> None:
    """``hegui_parent`` / ``hegui_edit``: their form (a 400 naming the field, zh/en)."""
    parent, edit = body.get("hegui_parent"), body.get("hegui_edit")
    if parent is not None and (not isinstance(parent, str) or not CONTENT_ID.match(parent)):
        raise invalid("hegui_parent", "must be a content ID such as hgc-<32 hex>[.N]", "须为内容编号，如 hgc-<32 位十六进制>[.N]")
    if edit is not None:
        if not isinstance(edit, str) or len(edit) > MAX_EDIT_CHARS:
            raise invalid("hegui_edit", f"must be a string of at most {MAX_EDIT_CHARS} characters",
                          f"须为不超过 {MAX_EDIT_CHARS} 个字符的字符串")
        if parent is None:
            raise invalid("hegui_edit", "needs hegui_parent (the output it changes)", "须与 hegui_parent（所修改的内容）一起提供")


def with_edit(collect: Callable[[dict[str, Any]], str]) -> Callable[[dict[str, Any]], str]:
    """``collect`` (the text a model reads) plus the edit description: every text field the user
    sends is moderated (GB/T 45654 §7.1), the edit too."""

    def collected(body: dict[str, Any]) -> str:
        text = collect(body)
        check_lineage(body)
        edit = body.get("hegui_edit")
        return text + (f"\n[hegui_edit] {edit}" if edit else "")

    return collected


class CheckParent(Step):
    """After Admit: a named parent must be this user's own recorded output (before any model runs)."""

    name: ClassVar[str] = "check_parent"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        check_lineage(ex.body)
        parent = ex.body.get("hegui_parent")
        if parent is None:
            return Flow.CONTINUE
        st = store(self.services)

        def owner() -> str | None:
            try:
                return st.get(parent).user_id
            except NotFound:
                return None

        if ex.user_id is None or await self.services.db.run(owner) != ex.user_id:
            raise ParentNotYours(content_id=parent)  # the same answer for "none" and "another user's"
        return Flow.CONTINUE


def _pick(body: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: body[k] for k in keys if body.get(k) is not None}


def inputs_of(ex: Exchange, index: int | None = None) -> dict[str, Any]:
    """What the user supplied that shaped the output: prompts, parameters, the edit."""
    body = ex.body
    if ex.endpoint == "images.generations":
        out: dict[str, Any] = {"prompt": body.get("prompt"), "negative_prompt": body.get("negative_prompt"),
                               "parameters": _pick(body, IMAGE_PARAMETERS)}
        if index is not None:
            out["index"] = index
    elif ex.endpoint == "audio.speech":
        out = {"input": body.get("input"), "instructions": body.get("instructions"),
               "parameters": _pick(body, SPEECH_PARAMETERS)}
    else:
        params = tuple(k for k in FORWARD_KEYS if k not in CHAT_TEXT_KEYS and k not in ("model", "user"))
        out = {k: body[k] for k in CHAT_TEXT_KEYS if body.get(k) is not None}
        out["parameters"] = _pick(body, params) | {"stream": ex.stream}
        verdict = ex.input_verdict
        if verdict is not None and verdict.action is Action.GUIDE and verdict.guidance:
            out["gateway_guidance"] = verdict.guidance_text(ex.lang)  # the model read it too
    if body.get("hegui_edit"):
        out["edit"] = body["hegui_edit"]
    return out


class RecordProvenance(Step):
    """One provenance record per output that leaves (images: ``content_id``, ``content_id.N``)."""

    name: ClassVar[str] = "record_provenance"

    def __init__(self, services: Services) -> None:
        self.services = services

    def _applies(self, ex: Exchange) -> bool:
        return self.services.settings.provenance.enabled and ex.status == "ok" and ex.user_id is not None

    def _entry(self, ex: Exchange, content_id: str, output: bytes, inputs: dict[str, Any]) -> ProvenanceEntry:
        days = self.services.settings.provenance.keep_days
        return ProvenanceEntry(
            content_id=content_id, user_id=ex.user_id or "", request_id=ex.request_id, endpoint=ex.endpoint,
            inputs=inputs, output_sha256=hashlib.sha256(output).hexdigest(), model=ex.record.model,
            upstream=getattr(ex.upstream, "name", None), app_id=ex.app_id,
            parent_content_id=ex.body.get("hegui_parent"),
            keep_until=utcnow() + dt.timedelta(days=days) if days else None)

    async def run(self, ex: Exchange) -> Flow:
        if not self._applies(ex):
            return Flow.CONTINUE
        if ex.pieces is not None:
            ex.pieces = self._at_end(ex, ex.pieces)
            return Flow.CONTINUE
        if ex.endpoint == "images.generations":
            await self._images(ex)
            return Flow.CONTINUE
        output = ex.audio if ex.endpoint == "audio.speech" else ex.record.output.encode("utf-8")
        await self._write([self._entry(ex, ex.record.content_id or "", output, inputs_of(ex))])
        return Flow.CONTINUE

    async def _write(self, entries: list[ProvenanceEntry]) -> None:
        st = store(self.services)
        try:
            for e in entries:
                await self.services.db.run(st.record, e)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the output does not leave (fail closed)
            log.error("provenance record of %s not written: %s", entries[0].content_id if entries else "?", exc)
            raise ProvenanceNotRecorded() from exc

    async def _images(self, ex: Exchange) -> None:
        """Each image as delivered: the labelled PNG written by Label (served by URL, or as b64)."""
        folder = self.services.outputs_dir
        ids = [o["hegui"]["content_id"] for o in ex.outputs]
        try:
            datas = [await run_in_threadpool((folder / f"{cid}.png").read_bytes) for cid in ids]
            await self._write([self._entry(ex, cid, data, inputs_of(ex, i))
                               for i, (cid, data) in enumerate(zip(ids, datas))])
        except (OSError, ProvenanceNotRecorded) as exc:
            for cid in ids:  # nothing of this answer stays servable
                with contextlib.suppress(OSError):
                    (folder / f"{cid}.png").unlink()
            ex.outputs.clear()
            if isinstance(exc, ProvenanceNotRecorded):
                raise
            raise ProvenanceNotRecorded() from exc

    async def _at_end(self, ex: Exchange, pieces: AsyncIterator[str]) -> AsyncIterator[str]:
        """The stream as released; at its end, if it ended ``ok``, the record of the text sent
        (label included). It has left already: a failure is logged and flagged, not raised."""
        async with contextlib.aclosing(pieces) as released:
            async for piece in released:
                yield piece
        if not self._applies(ex):
            return
        try:
            entry = self._entry(ex, ex.record.content_id or "", ex.record.output.encode("utf-8"), inputs_of(ex))
            await self.services.db.run(store(self.services).record, entry)
        except Exception as exc:  # noqa: BLE001 - logged and flagged on the usage record
            log.error("provenance record of streamed %s not written: %s", ex.record.content_id, exc)
            ex.record.error_code = ProvenanceNotRecorded.code
