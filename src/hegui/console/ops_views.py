"""Console pages for the review queue, end users and sanctions, records search and policy packs."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy import select

from hegui.cases import sanctions, takedown
from hegui.cases.models import Sanction
from hegui.console.auth import ADMIN, ALL, WORK, action, actor, page, services_of
from hegui.console.packs import PackStore
from hegui.console.user_state import user_state
from hegui.errors import NotFound, ValidationFailed
from hegui.records import audit
from hegui.storage.base import utcnow
from hegui.storage.models import EndUser, ReviewItem, UsageContent, UsageRecord
from hegui.web.render import render

router = APIRouter(prefix="/console")


def _desk(request: Request):
    return request.app.state.case_desk


# -- review queue ------------------------------------------------------------------------------
@router.get("/review")
def review_queue(request: Request):
    sv = services_of(request)
    show_all = request.query_params.get("all") == "1"

    def show(sess):
        with sv.db.session() as s:
            q = select(ReviewItem).order_by(ReviewItem.created_at.desc()).limit(100)
            if not show_all:
                q = q.where(ReviewItem.status == "pending")
            items = list(s.scalars(q))
            texts = {i.id: sv.keys.unseal(i.text_enc, b"review").decode() if i.text_enc else "" for i in items}
            content_ids = dict(s.execute(select(UsageRecord.id, UsageRecord.content_id).where(
                UsageRecord.id.in_([i.record_id for i in items if i.record_id]))).all())
            if items:
                audit.append(s, actor(sess), "review.viewed", "review_queue", {"items": len(items)})
        return render(request, "review.html", sess=sess, items=items, texts=texts, show_all=show_all,
                      content_ids=content_ids)

    return page(request, ALL, show)


@router.post("/review/{item_id}")
async def review_decide(request: Request, item_id: str):
    sv, desk = services_of(request), _desk(request)

    def run(sess, form):
        decision = form.get("decision")
        if decision not in ("approve", "block", "blocklist", "confirm"):
            raise ValidationFailed(detail="decision must be approve, block, blocklist or confirm")
        with sv.db.session() as s:
            item = s.get(ReviewItem, item_id)
            if item is None:
                raise NotFound(detail=f"review item {item_id}")
            if item.status != "pending":
                raise ValidationFailed(message_en="this item was already decided", message_zh="该条目已处理")
            if decision == "confirm" and item.reason == "flag":
                raise ValidationFailed(message_en="only a refusal or a cut can be confirmed",
                                       message_zh="只有拒答或截断的条目可以确认")
            item.status = {"approve": "approved", "confirm": "confirmed"}.get(decision, "blocked")
            item.decided_by, item.decided_at = sess.username, utcnow()
            item.note = form.get("note")[:2000] or None
            detail = {"decision": decision, "direction": item.direction, "reason": item.reason,
                      "record": item.record_id}
            if decision == "block" and item.direction == "output" and item.record_id:
                rec = s.get(UsageRecord, item.record_id)
                if rec is not None and rec.content_id and rec.taken_down_at is None:
                    td = takedown.take_down(s, sv.keys, desk.blocklist, sv.outputs_dir, rec.content_id,
                                            item.note or "blocked in review / 审核拦截", actor(sess))
                    detail["takedown"] = td.id
            if decision == "blocklist":
                text = sv.keys.unseal(item.text_enc, b"review").decode() if item.text_enc else ""
                if not text.strip():
                    raise ValidationFailed(message_en="the item has no text to blocklist", message_zh="该条目没有可加入名单的文本")
                s.add(desk.blocklist.text_entry(text, "review"))
            audit.append(s, actor(sess), "review.decided", f"review:{item.id}", detail)
        desk.blocklist.invalidate()
        return "/console/review"

    return await action(request, WORK, run)


@router.post("/review/{item_id}/lexicon")
async def review_lexicon(request: Request, item_id: str):
    sv = services_of(request)
    store = PackStore(sv.settings)

    def run(sess, form):
        with sv.db.session() as s:
            if s.get(ReviewItem, item_id) is None:
                raise NotFound(detail=f"review item {item_id}")
            version = store.add_term(form.get("term"), form.get("risk"), actor(sess))
            audit.append(s, actor(sess), "lexicon.term_added", "pack:console-lexicon",
                         {"version": version, "risk": form.get("risk"), "review": item_id})
        return "/console/review"

    return await action(request, WORK, run)


# -- users and sanctions -----------------------------------------------------------------------
@router.get("/users")
def users(request: Request):
    sv = services_of(request)
    q = request.query_params.get("q", "").strip()

    def show(sess):
        today = dt.date.today()
        with sv.db.session() as s:
            stmt = select(EndUser).order_by(EndUser.created_at.desc()).limit(200)
            if q:
                stmt = stmt.where(EndUser.external_id == q)
            rows = list(s.scalars(stmt))
            active = {u.id: sanctions.active(s, u.id) for u in rows}
        return render(request, "users.html", sess=sess, users=rows, active=active, today=today, q=q)

    return page(request, ALL, show)


@router.get("/users/{user_id}")
def user_detail(request: Request, user_id: str):
    sv = services_of(request)

    def show(sess):
        with sv.db.session() as s:
            user = s.get(EndUser, user_id)
            if user is None:
                raise NotFound(detail=f"end user {user_id}")
            rows = list(s.scalars(select(Sanction).where(Sanction.user_id == user_id).order_by(Sanction.starts_at.desc())))
            act = {x.id for x in sanctions.active(s, user_id)}
            st = user_state(s, user, sv.agreement)
        return render(request, "user.html", sess=sess, user=user, sanctions=rows, active=act, today=dt.date.today(),
                      kinds=sanctions.KINDS, functions=sanctions.FUNCTIONS, st=st)

    return page(request, ALL, show)


@router.post("/users/{user_id}/sanction")
async def user_sanction(request: Request, user_id: str):
    desk = _desk(request)

    def run(sess, form):
        hours = form.get("hours").strip()
        try:
            h = float(hours) if hours else None
        except ValueError as exc:
            raise ValidationFailed(message_en="hours must be a number", message_zh="时长须为数字") from exc
        desk.sanction(user_id, form.get("kind"), form.get("reason"), actor(sess), h, tuple(form.getlist("functions")),
                      form.get("case"))
        return f"/console/users/{user_id}"

    return await action(request, ADMIN, run)


@router.post("/sanctions/{sanction_id}/lift")
async def sanction_lift(request: Request, sanction_id: str):
    sv, desk = services_of(request), _desk(request)

    def run(sess, form):
        desk.lift(sanction_id, actor(sess), form.get("reason") or "lifted")
        with sv.db.session() as s:
            row = s.get(Sanction, sanction_id)
            return f"/console/users/{row.user_id}" if row else "/console/users"

    return await action(request, ADMIN, run)


# -- records search ----------------------------------------------------------------------------
PAGE_SIZE, MAX_PAGE_SIZE = 50, 100


def _cursor(rec: UsageRecord) -> str:
    return f"{rec.created_at.isoformat()}~{rec.id}"


def _parse_cursor(raw: str) -> tuple[dt.datetime, str]:
    when, _, rid = raw.partition("~")
    try:
        return dt.datetime.fromisoformat(when), rid[:32]
    except ValueError as exc:
        raise ValidationFailed(message_en="bad page cursor", message_zh="翻页参数无效") from exc


def records_page(s, qp, size: int) -> tuple[list[UsageRecord], str | None, str | None]:  # noqa: ANN001
    """One page of usage records, newest first, by keyset on ``(created_at, id)`` (index
    ``ix_usage_created_id``; no OFFSET, so a deep page costs what the first does). Returns the
    rows and the cursors of the older (``after``) and newer (``before``) pages, or None."""
    stmt = select(UsageRecord)
    if qp.get("record"):
        stmt = stmt.where(UsageRecord.id == qp["record"][:32])
    if qp.get("user"):
        ids = list(s.scalars(select(EndUser.id).where(EndUser.external_id == qp["user"])))
        stmt = stmt.where(UsageRecord.user_id.in_(ids or [qp["user"]]))
    if qp.get("content_id"):
        stmt = stmt.where(UsageRecord.content_id == qp["content_id"].split(".")[0])
    if qp.get("status"):
        stmt = stmt.where(UsageRecord.status == qp["status"])
    if qp.get("channel") == "any":  # regulator test channels' requests (security-requirements §9)
        stmt = stmt.where(UsageRecord.test_channel_id.is_not(None))
    elif qp.get("channel") == "off":
        stmt = stmt.where(UsageRecord.safety_off.is_(True))
    at, rid = UsageRecord.created_at, UsageRecord.id
    if qp.get("before"):  # the newer page: walk up, then show newest first
        t, i = _parse_cursor(qp["before"])
        stmt = stmt.where(at >= t, (at > t) | (rid > i)).order_by(at.asc(), rid.asc())
        rows = list(s.scalars(stmt.limit(size + 1)))
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return rows, (_cursor(rows[-1]) if rows else None), (_cursor(rows[0]) if rows and more_newer else None)
    if qp.get("after"):
        t, i = _parse_cursor(qp["after"])
        stmt = stmt.where(at <= t, (at < t) | (rid < i))
    rows = list(s.scalars(stmt.order_by(at.desc(), rid.desc()).limit(size + 1)))
    more_older = len(rows) > size
    rows = rows[:size]
    older = _cursor(rows[-1]) if rows and more_older else None
    newer = _cursor(rows[0]) if rows and qp.get("after") else None
    return rows, older, newer


@router.get("/records")
def records(request: Request):
    sv = services_of(request)
    qp = request.query_params
    try:
        size = max(1, min(MAX_PAGE_SIZE, int(qp.get("n") or PAGE_SIZE)))
    except ValueError:
        size = PAGE_SIZE
    keep = {k: v for k, v in qp.items() if k not in ("after", "before", "lang") and v}

    def link(**cursor: str) -> str:
        return "/console/records?" + urlencode({**keep, **cursor})

    def show(sess):
        with sv.db.session() as s:
            rows, older, newer = records_page(s, qp, size)
            ids = [r.id for r in rows]
            with_content = set(s.scalars(select(UsageContent.record_id).where(UsageContent.record_id.in_(ids))))
        return render(request, "records.html", sess=sess, rows=rows, qp=qp, with_content=with_content,
                      older=link(after=older) if older else None, newer=link(before=newer) if newer else None,
                      first=link() if (qp.get("after") or qp.get("before")) else None)

    return page(request, ALL, show)


@router.post("/records/{record_id}/view")
async def record_view(request: Request, record_id: str):
    sv = services_of(request)

    def run(sess, form):
        with sv.db.session() as s:
            rec = s.get(UsageRecord, record_id)
            if rec is None:
                raise NotFound(detail=f"record {record_id}")
            content = s.get(UsageContent, record_id)
            prompt, output = sv.writer.read_content(content) if content is not None else ("", "")
            audit.append(s, actor(sess), "record.content_viewed", f"record:{record_id}",
                         {"reason": form.get("reason")[:500], "has_content": content is not None})
        return render(request, "record.html", sess=sess, rec=rec, prompt=prompt, output=output,
                      has_content=content is not None)

    return await action(request, ALL, run)


# -- policy packs ------------------------------------------------------------------------------
@router.get("/packs")
def packs(request: Request):
    store = PackStore(services_of(request).settings)
    pack_id, stamp = request.query_params.get("id", ""), request.query_params.get("stamp", "")

    def show(sess):
        diff = store.diff(pack_id, stamp) if pack_id and stamp else None
        return render(request, "packs.html", sess=sess, versions=store.list(), live=store.live, diff=diff,
                      pack_id=pack_id, stamp=stamp)

    return page(request, ALL, show)


@router.post("/packs/upload")
async def pack_upload(request: Request):
    sv = services_of(request)
    store = PackStore(sv.settings)

    def run(sess, form):
        filename, data = form.uploads.get("file", ("", b""))
        if not data:
            raise ValidationFailed(message_en="choose a pack file", message_zh="请选择策略包文件")
        v = store.upload(filename or "", data)
        with sv.db.session() as s:
            audit.append(s, actor(sess), "pack.uploaded", f"pack:{v.id}", {"stamp": v.stamp, "version": v.version,
                                                                            "terms": v.terms})
        return f"/console/packs?id={v.id}&stamp={v.stamp}"

    return await action(request, ADMIN, run)


@router.post("/packs/activate")
async def pack_activate(request: Request):
    sv = services_of(request)
    store = PackStore(sv.settings)

    def run(sess, form):
        store.activate(form.get("id"), form.get("stamp"), actor(sess))
        with sv.db.session() as s:
            audit.append(s, actor(sess), "pack.activated", f"pack:{form.get('id')}", {"stamp": form.get("stamp")})
        return "/console/packs"

    return await action(request, ADMIN, run)


@router.post("/packs/rollback")
async def pack_rollback(request: Request):
    sv = services_of(request)
    store = PackStore(sv.settings)

    def run(sess, form):
        prev = store.rollback(form.get("id"), actor(sess))
        with sv.db.session() as s:
            audit.append(s, actor(sess), "pack.rolled_back", f"pack:{form.get('id')}", {"stamp": prev})
        return "/console/packs"

    return await action(request, ADMIN, run)
