"""Console page for regulator test channels (security-requirements §9): every channel with its
safety setting, expiry and last use; a banner while a safety-off channel is live; create (the key
shown once) and revoke for admins. Every action is audited."""

from __future__ import annotations

from fastapi import APIRouter, Request

from hegui.console.auth import ADMIN, ALL, action, actor, page, services_of
from hegui.errors import ValidationFailed
from hegui.identity import test_channels
from hegui.records import audit
from hegui.storage.base import utcnow
from hegui.web.render import render

router = APIRouter(prefix="/console")


def note_expired(s) -> None:  # noqa: ANN001
    """Audit channels that expired since last looked at (once each)."""
    for row in test_channels.note_expired(s):
        audit.append(s, "system:test_channel", "test_channel.expired", f"test_channel:{row.id}",
                     test_channels.audit_detail(row))


def live_safety_off(sv) -> list:  # noqa: ANN001
    """The active safety-off channels, for the console's warning banner."""
    with sv.db.session() as s:
        return test_channels.active_safety_off(s)


def _page(request: Request, sess, key: str | None = None, created=None):  # noqa: ANN001
    sv = services_of(request)
    now = utcnow()
    with sv.db.session() as s:
        note_expired(s)
        rows = test_channels.listing(s)
    states = {r.id: test_channels.state(r, now) for r in rows}
    live_off = [r for r in rows if not r.safety and states[r.id] == "active"]
    return render(request, "test_channels.html", sess=sess, rows=rows, states=states, live_off=live_off,
                  aware=test_channels.aware, key=key, created=created, max_days=test_channels.MAX_DAYS)


@router.get("/test-channels")
def channels(request: Request):
    return page(request, ALL, lambda sess: _page(request, sess))


@router.post("/test-channels")
async def channel_create(request: Request):
    sv = services_of(request)

    def run(sess, form):  # noqa: ANN001
        safety = form.get("safety")
        if safety not in ("on", "off"):
            raise ValidationFailed(message_en="safety must be on or off", message_zh="安全策略须为开或关")
        try:
            days = int(form.get("days") or test_channels.DEFAULT_DAYS)
        except ValueError as exc:
            raise ValidationFailed(message_en="days must be a whole number", message_zh="有效天数须为整数") from exc
        ips = [x for x in form.get("allow_ips").replace(",", " ").split() if x]
        with sv.db.session() as s:
            row, key = test_channels.create(s, name=form.get("name").strip(), safety=safety == "on",
                                            issued_by=actor(sess), days=days, allow_ips=ips, note=form.get("note"))
            audit.append(s, actor(sess), "test_channel.created", f"test_channel:{row.id}",
                         test_channels.audit_detail(row))
        return _page(request, sess, key=key, created=row)

    return await action(request, ADMIN, run)


@router.post("/test-channels/{channel_id}/revoke")
async def channel_revoke(request: Request, channel_id: str):
    sv = services_of(request)

    def run(sess, form):  # noqa: ANN001
        with sv.db.session() as s:
            row, key_hash = test_channels.revoke(s, channel_id, actor(sess))
            audit.append(s, actor(sess), "test_channel.revoked", f"test_channel:{row.id}",
                         test_channels.audit_detail(row))
        sv.authenticator.forget(key_hash)  # after the commit: at once in this process
        return "/console/test-channels"

    return await action(request, ADMIN, run)
