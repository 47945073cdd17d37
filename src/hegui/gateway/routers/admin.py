"""Admin API (HTTP Basic over argon2 hashes): apps, keys, end users, operators, audit.

Roles: ``admin`` may change anything; ``reviewer`` and ``auditor`` may read. Every change is
written to the hash-chained audit log in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from hegui.errors import AuthError, Forbidden, NotFound, ValidationFailed
from hegui.gateway.deps import client_ip, json_body, services_of
from hegui.gateway.routers.users import _str, user_view
from hegui.identity import admins, apps
from hegui.records import audit
from hegui.storage.models import AdminUser, ApiKey, App, EndUser
from hegui.throttle.login import before_login, login_failed, login_succeeded

router = APIRouter(prefix="/admin/api")


def _credentials(request: Request) -> tuple[str, str]:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        raise AuthError(message_en="admin API needs HTTP Basic credentials", message_zh="管理接口需要 HTTP Basic 认证")
    try:
        user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthError(detail="malformed Basic credentials") from exc
    return user, pw


async def _run(request: Request, roles: tuple[str, ...], fn) -> Any:  # noqa: ANN001
    """Authenticate (under the login lockouts of :mod:`hegui.throttle.login`), check the role, run."""
    services = services_of(request)
    username, password = _credentials(request)
    ip = client_ip(request)

    def run() -> Any:
        before_login(services.throttle, username, ip)
        signed_in = False
        try:
            with services.db.session() as s:
                who = admins.authenticate(s, username, password)
                signed_in = True
                if who.role not in roles:
                    raise Forbidden(message_en=f"role {who.role!r} may not do this",
                                    message_zh=f"角色 {who.role!r} 无权执行此操作")
                return fn(services, s, who)
        except AuthError:
            if not signed_in:
                login_failed(services.throttle, username, ip)
            raise
        finally:
            if signed_in:
                login_succeeded(services.throttle, username)

    return await run_in_threadpool(run)


@router.post("/apps")
async def create_app(request: Request):
    name = _str(await json_body(request), "name")

    def fn(sv, s, who: AdminUser):  # noqa: ANN001
        app = apps.create_app(s, name)
        key = apps.issue_key(s, app)
        audit.append(s, f"admin:{who.username}", "app.key_issued", f"app:{app.id}", {"name": name, "prefix": key[:10]})
        return {"app_id": app.id, "name": app.name, "api_key": key}

    return await _run(request, ("admin",), fn)


@router.post("/apps/{app_id}/keys")
async def new_key(request: Request, app_id: str):
    def fn(sv, s, who: AdminUser):  # noqa: ANN001
        app = s.get(App, app_id)
        if app is None:
            raise NotFound(detail=f"app {app_id}")
        key = apps.issue_key(s, app)
        audit.append(s, f"admin:{who.username}", "app.key_issued", f"app:{app.id}", {"prefix": key[:10]})
        return {"app_id": app.id, "api_key": key}

    return await _run(request, ("admin",), fn)


@router.delete("/keys/{key_id}")
async def revoke(request: Request, key_id: str):
    revoked: list[str | None] = []

    def fn(sv, s, who: AdminUser):  # noqa: ANN001
        if s.get(ApiKey, key_id) is None:
            raise NotFound(detail=f"key {key_id}")
        revoked.append(apps.revoke_key(s, key_id))
        audit.append(s, f"admin:{who.username}", "app.key_revoked", f"key:{key_id}")
        return {"revoked": key_id}

    result = await _run(request, ("admin",), fn)
    services_of(request).authenticator.forget(revoked[0])  # after the commit: at once in this process
    return result


@router.get("/apps")
async def list_apps(request: Request):
    def fn(sv, s, who):  # noqa: ANN001
        rows = s.scalars(select(App).order_by(App.created_at)).all()
        out = []
        for a in rows:
            keys = s.scalars(select(ApiKey).where(ApiKey.app_id == a.id)).all()
            out.append({"app_id": a.id, "name": a.name, "active": a.active,
                        "keys": [{"id": k.id, "prefix": k.prefix, "revoked": k.revoked_at is not None} for k in keys]})
        return {"apps": out}

    return await _run(request, admins.ROLES, fn)


@router.get("/users")
async def list_users(request: Request, limit: int = 100, offset: int = 0):
    def fn(sv, s, who):  # noqa: ANN001
        rows = s.scalars(select(EndUser).order_by(EndUser.created_at).limit(min(limit, 1000)).offset(offset)).all()
        return {"users": [{"id": u.id, "app_id": u.app_id, **user_view(u)} for u in rows]}

    return await _run(request, admins.ROLES, fn)


@router.post("/operators")
async def create_operator(request: Request):
    body = await json_body(request)
    username, role = _str(body, "username"), _str(body, "role")
    password = body.get("password") if isinstance(body.get("password"), str) else None

    def fn(sv, s, who: AdminUser):  # noqa: ANN001
        user, pw = admins.create_admin(s, username, password, role)
        audit.append(s, f"admin:{who.username}", "operator.created", f"operator:{user.id}", {"role": role})
        return {"username": username, "role": role, "password": pw if password is None else None}

    return await _run(request, ("admin",), fn)


@router.get("/audit/verify")
async def verify_audit(request: Request):
    def fn(sv, s, who):  # noqa: ANN001
        r = audit.verify(s)
        return {"ok": r.ok, "entries": r.entries, "head": r.head, "problems": r.problems}

    return await _run(request, admins.ROLES, fn)


@router.patch("/operators/{username}")
async def update_operator(request: Request, username: str):
    """Change an operator's role and/or disable it; their console sessions end at once."""
    body = await json_body(request)
    role, active = body.get("role"), body.get("active")
    if role is not None and not isinstance(role, str) or active is not None and not isinstance(active, bool):
        raise ValidationFailed(detail="'role' must be a string and 'active' true or false")

    def fn(sv, s, who: AdminUser):  # noqa: ANN001
        user = admins.set_role(s, username, role) if role is not None else None
        if active is not None:
            user = admins.set_active(s, username, active)
        if user is None:
            raise ValidationFailed(detail="give 'role' or 'active'")
        audit.append(s, f"admin:{who.username}", "operator.updated", f"operator:{user.id}",
                     {"role": user.role, "active": user.active})
        return {"username": user.username, "role": user.role, "active": user.active}

    return await _run(request, ("admin",), fn)
