"""First-run setup: an admin account, and in demo mode a demo app, key and verified user.

The admin password is printed once and never stored in the clear: ``var/first-run.json`` (0600)
keeps the user name and the password's argon2id hash (so an operator can check a noted password
against it), plus the demo API key so the demo can be restarted (PIPL Art 51; TC260-003 access
control). A lost password is replaced with ``hegui admin create``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text

from hegui import codes
from hegui.fileio import write_atomic
from hegui.identity import admins, apps
from hegui.records import audit
from hegui.storage.models import AdminUser

if TYPE_CHECKING:
    from hegui.app.services import Services

DEMO_USER = "demo-user"
# A synthetic adult ID number (Beijing Dongcheng, born 1990-03-07) whose check digit is valid.
DEMO_ID_NUMBER = "11010119900307123" + codes.id_card_check_digit("11010119900307123")


@dataclass
class FirstRun:
    admin_user: str
    admin_password: str | None  # only on the run that created it; None on every later start
    api_key: str | None
    demo_user: str | None


def _stored(first: FirstRun) -> dict:
    return {"admin_user": first.admin_user, "admin_password_hash": admins.hash_password(first.admin_password or ""),
            "admin_password_shown": "once, at first start / 仅在首次启动时显示一次",
            "api_key": first.api_key, "demo_user": first.demo_user}


def _from_stored(data: dict) -> FirstRun:
    # files written by earlier versions still hold the password itself: it is not shown again
    return FirstRun(str(data.get("admin_user", "admin")), None, data.get("api_key"), data.get("demo_user"))


def bootstrap(services: Services, *, demo: bool) -> FirstRun | None:
    path = Path(services.settings.var_dir) / "first-run.json"
    with services.db.session() as s:
        if s.get_bind().dialect.name == "postgresql":  # processes starting at once: one creates the admin
            s.execute(text("SELECT pg_advisory_xact_lock(7283003)"))
        has_admin = (s.scalar(select(func.count()).select_from(AdminUser)) or 0) > 0
        if has_admin:
            if path.exists():
                data = json.loads(path.read_text())
                if "admin_password" in data:  # written before the password was kept as a hash only
                    write_atomic(path, json.dumps(_stored(FirstRun(data.get("admin_user", "admin"),
                                                                   data["admin_password"], data.get("api_key"),
                                                                   data.get("demo_user")))), mode=0o600)
                return _from_stored(data)
            return None
        admin, password = admins.create_admin(s, "admin", None, "admin")
        audit.append(s, "system:bootstrap", "operator.created", f"operator:{admin.id}", {"role": "admin"})
        key = demo_user = None
        if demo:
            app = apps.create_app(s, "demo-app")
            key = apps.issue_key(s, app)
            user = services.identity.register(s, app.id, DEMO_USER)
            services.identity.verify_id_card(s, user, DEMO_ID_NUMBER)
            services.identity.accept_agreement(s, user, services.agreement, services.agreement.version)
            demo_user = DEMO_USER
            audit.append(s, "system:bootstrap", "app.key_issued", f"app:{app.id}", {"name": "demo-app"})
    first = FirstRun("admin", password, key, demo_user)
    write_atomic(path, json.dumps(_stored(first)), mode=0o600)  # the password only as a hash
    return first
