"""The gateway's enforcement hooks (see :mod:`hegui.hooks`): refuse sanctioned users,
apply the escalation rule to refused inputs, and block regeneration of taken-down outputs
(Interim Measures Art 14; DS Art 10)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hegui.cases import sanctions
from hegui.cases.blocklist import Blocklist
from hegui.cases.config import CasesConfig, load_config
from hegui.hooks import BlockHit
from hegui.identity.crypto import KeyRing
from hegui.moderation.base import Verdict
from hegui.settings import HeguiSettings
from hegui.storage.db import Database
from hegui.storage.models import EndUser


class CaseEnforcement:
    def __init__(self, db: Database, settings: HeguiSettings, keys: KeyRing, config: CasesConfig) -> None:
        self.settings = settings
        self.keys = keys
        self.config = config
        labels = settings.labels
        self.blocklist = Blocklist(db, config.blocklist, (labels.text_prefix, labels.text_suffix))
        base = settings.server.public_url.rstrip("/")
        self.appeal = f"{base}{config.appeal_path}"

    def check_user(self, s: Session, user: EndUser, function: str | None) -> None:
        sanctions.stop_if_sanctioned(s, user.id, function, self.appeal)

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


def build_hooks(db: Database, settings: HeguiSettings, keys: KeyRing) -> CaseEnforcement:
    """The hooks, with the published cases policy in ``<var_dir>``."""
    return CaseEnforcement(db, settings, keys, load_config(settings.var_dir))
