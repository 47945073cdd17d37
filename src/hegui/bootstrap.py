"""First-run setup: an admin account, and in demo mode a demo app, key and verified user.

Credentials are printed once and kept in ``var/first-run.json`` (mode 0600) so the demo can be
restarted; delete that file in production after noting the password.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from hegui import codes
from hegui.fileio import write_atomic
from hegui.gateway.services import Services
from hegui.identity import admins, apps
from hegui.records import audit
from hegui.storage.models import AdminUser

DEMO_USER = "demo-user"
# A synthetic adult ID number (Beijing Dongcheng, born 1990-03-07) whose check digit is valid.
DEMO_ID_NUMBER = "11010119900307123" + codes.id_card_check_digit("11010119900307123")


@dataclass
class FirstRun:
    admin_user: str
    admin_password: str
    api_key: str | None
    demo_user: str | None


def bootstrap(services: Services, *, demo: bool) -> FirstRun | None:
    path = Path(services.settings.var_dir) / "first-run.json"
    with services.db.session() as s:
        has_admin = (s.scalar(select(func.count()).select_from(AdminUser)) or 0) > 0
        if has_admin:
            if path.exists():
                return FirstRun(**json.loads(path.read_text()))
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
    write_atomic(path, json.dumps(first.__dict__), mode=0o600)  # holds the first admin password
    return first
