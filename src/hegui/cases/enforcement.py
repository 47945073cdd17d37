"""The gateway's enforcement hooks (see :mod:`hegui.gateway.hooks`): refuse sanctioned users,
apply the escalation rule to refused inputs, and block regeneration of taken-down outputs
(Interim Measures Art 14; DS Art 10)."""

from __future__ import annotations

import contextvars

from sqlalchemy.orm import Session

from hegui.cases import sanctions
from hegui.cases.blocklist import Blocklist
from hegui.cases.config import CasesConfig, load_config
from hegui.cases.textprint import label_strings
from hegui.gateway.hooks import BlockHit
from hegui.identity.crypto import KeyRing
from hegui.moderation.base import Verdict
from hegui.settings import HeguiSettings
from hegui.storage.db import Database
from hegui.storage.models import EndUser

# Set per request by :class:`FunctionMiddleware` so a "restrict" sanction knows the function used.
current_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("hegui_function", default=None)

_PATHS = {"/v1/chat/completions": "chat", "/v1/images/generations": "images"}


class FunctionMiddleware:
    """Pure ASGI middleware: records which generation function a request uses."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            token = current_function.set(_PATHS.get(scope.get("path", "")))
            try:
                await self.app(scope, receive, send)
            finally:
                current_function.reset(token)
        else:
            await self.app(scope, receive, send)


class CaseEnforcement:
    def __init__(self, db: Database, settings: HeguiSettings, keys: KeyRing, config: CasesConfig) -> None:
        self.settings = settings
        self.keys = keys
        self.config = config
        labels = settings.labels
        self.blocklist = Blocklist(db, config.blocklist, label_strings(labels.text_prefix, labels.text_suffix),
                                   keys=keys, boilerplate=declared_boilerplate(settings, config))
        base = settings.server.public_url.rstrip("/")
        self.appeal = f"{base}{config.appeal_path}"

    def check_user(self, s: Session, user: EndUser) -> None:
        """Sanctions, then the blocklist brought up to date in the same transaction: a takedown
        committed by any process applies to this request (no reload window)."""
        sanctions.stop_if_sanctioned(s, user.id, current_function.get(), self.appeal)
        self.blocklist.sync(s)

    def after_input_verdict(self, s: Session, user: EndUser, verdict: Verdict) -> None:
        """Count the input; the escalation rule may suspend the user (told on the next request)."""
        violation = verdict.action.value in self.config.escalation_actions
        sanctions.count_input(s, self.keys, user.id, violation, self.settings.escalation)

    def blocked_text(self, text: str) -> BlockHit | None:
        return self.blocklist.match_text(text)

    def blocked_partial(self, text: str) -> BlockHit | None:
        return self.blocklist.match_partial(text)

    def blocked_image(self, data: bytes) -> BlockHit | None:
        return self.blocklist.match_image(data)


def declared_boilerplate(settings: HeguiSettings, config: CasesConfig) -> tuple[str, ...]:
    """Texts every answer may share: the operator's list, and the demo model's templates."""
    texts = list(config.blocklist.boilerplate)
    if settings.demo_model:
        from hegui.gateway.demo import demo_answer

        texts += [demo_answer([{"role": "user", "content": q}]) for q in ("", "?")]  # zh and en template
    return tuple(texts)


def build_hooks(db: Database, settings: HeguiSettings, keys: KeyRing) -> CaseEnforcement:
    """The hooks; also binds the keys that seal case PI and anchor the audit log to ``db``
    (``build_services`` reaches every deployment through here; see :mod:`hegui.records.protection`)."""
    from hegui.records.protection import protect

    protect(db, keys, settings.var_dir)
    return CaseEnforcement(db, settings, keys, load_config(settings.var_dir))
