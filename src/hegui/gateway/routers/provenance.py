"""The end user's provenance records, through their app (app key + user id, as in ``routers/users.py``):
list them, read one with its inputs and lineage, mark the output they selected, erase the inputs,
and choose how long they are kept (issue 15; *Li v. Liu*, 2023; PIPL Art 47 erasure).

The user is named by ``user`` (query or JSON body) or the ``X-Hegui-User`` header; a record of
another user — or of another app's user — is a 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from hegui.errors import ValidationFailed
from hegui.gateway.deps import app_id_of, json_body, services_of
from hegui.gateway.pipeline.provenance import store
from hegui.provenance.models import ProvenanceRecord
from hegui.provenance.records import ProvenanceStore
from hegui.records import audit
from hegui.storage.base import utcnow

router = APIRouter(prefix="/v1/hegui/provenance", tags=["provenance 创作过程记录"])
MAX_KEEP_DAYS = 36_500


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.replace(tzinfo=t.tzinfo or dt.timezone.utc).isoformat()


def record_view(row: ProvenanceRecord, st: ProvenanceStore | None = None) -> dict[str, Any]:
    """A record as its user sees it; with ``st``, its unsealed inputs (``null`` once erased)."""
    out: dict[str, Any] = {
        "content_id": row.content_id, "endpoint": row.endpoint, "model": row.model, "upstream": row.upstream,
        "request_id": row.request_id, "parent_content_id": row.parent_content_id, "seq": row.seq,
        "output_sha256": row.output_sha256, "inputs_sha256": row.inputs_sha256, "entry_hash": row.entry_hash,
        "created_at": _iso(row.created_at), "selected_at": _iso(row.selected_at),
        "keep_until": _iso(row.keep_until), "erased_at": _iso(row.deleted_at)}
    if st is not None:
        out["inputs"] = st.inputs(row)
    return out


def _user_name(request: Request, body: dict[str, Any] | None = None) -> str:
    name = (body or {}).get("user") or request.query_params.get("user") or request.headers.get("x-hegui-user")
    if not isinstance(name, str) or not name:
        raise ValidationFailed(message_en="name the end user by 'user' (query or body) or the X-Hegui-User header",
                               message_zh="请通过 user 参数（查询串或请求体）或 X-Hegui-User 头标明终端用户")
    return name


async def _as_user(request: Request, name: str, action: str | None, fn, detail: dict[str, Any] | None = None):  # noqa: ANN001, ANN202
    """Run ``fn(store, user_id)`` for the app's user ``name``; audit ``action`` when given."""
    services = services_of(request)
    app_id = await app_id_of(request)
    st = store(services)

    def run() -> Any:
        with services.db.session() as s:
            user_id = services.identity.get(s, app_id, name).id
        result = fn(st, user_id)
        if action is not None:
            with services.db.session() as s:
                audit.append(s, f"app:{app_id}", action, audit.user_ref(services.keys, user_id), detail or {})
                s.commit()
        return result

    return await run_in_threadpool(run)


def _own(st: ProvenanceStore, content_id: str, user_id: str) -> ProvenanceRecord:
    from hegui.errors import NotFound

    row = st.get(content_id)
    if row.user_id != user_id:
        raise NotFound(message_en=f"no provenance record for {content_id} of this user",
                       message_zh=f"该用户没有 {content_id} 的创作过程记录")
    return row


@router.get("")
async def list_records(request: Request):
    """The user's records, oldest first (their chain), without the inputs."""
    name = _user_name(request)
    rows = await _as_user(request, name, None, lambda st, uid: st.chain(uid))
    return {"user": name, "records": [record_view(r) for r in rows]}


@router.get("/{content_id}")
async def get_record(request: Request, content_id: str):
    """One record with its inputs and its iteration chain (the oldest ancestor first)."""
    name = _user_name(request)

    def one(st: ProvenanceStore, uid: str) -> dict[str, Any]:
        row = _own(st, content_id, uid)
        lineage = [r for r in st.lineage(content_id) if r.user_id == uid]
        return {**record_view(row, st), "lineage": [record_view(r, st) for r in lineage]}

    return await _as_user(request, name, None, one)


@router.post("/{content_id}/select")
async def select_record(request: Request, content_id: str):
    """The user chose this output (the selection step of the creative process)."""
    name = _user_name(request, await _body(request))
    row = await _as_user(request, name, "provenance.selected", lambda st, uid: st.select(content_id, uid),
                         {"content_id": content_id})
    return record_view(row)


@router.delete("/{content_id}")
async def erase_record(request: Request, content_id: str):
    """Erase the record's inputs (PIPL Art 47); its chain entry and hashes stay."""
    name = _user_name(request)
    row = await _as_user(request, name, "provenance.erased", lambda st, uid: st.erase(content_id, uid),
                         {"content_id": content_id})
    return record_view(row)


@router.put("/keep")
async def keep(request: Request):
    """The user's keep choice: ``{"user", "days": N | null, "content_id"?}`` — ``null`` keeps the
    records until the user erases them; ``days`` from now, for one record or all of theirs."""
    body = await json_body(request)
    name = _user_name(request, body)
    days, cid = body.get("days"), body.get("content_id")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_KEEP_DAYS):
        raise ValidationFailed(message_en=f"Invalid input: days must be null or an integer from 1 to {MAX_KEEP_DAYS}",
                               message_zh=f"输入无效：days 须为 null 或 1 至 {MAX_KEEP_DAYS} 之间的整数")
    if cid is not None and not isinstance(cid, str):
        raise ValidationFailed(message_en="Invalid input: content_id must be a string",
                               message_zh="输入无效：content_id 须为字符串")
    until = utcnow() + dt.timedelta(days=days) if days else None
    n = await _as_user(request, name, "provenance.keep", lambda st, uid: st.set_keep(uid, until, cid),
                       {"days": days, "content_id": cid})
    return {"user": name, "keep_until": _iso(until), "records": n}


async def _body(request: Request) -> dict[str, Any]:
    return await json_body(request) if await request.body() else {}
