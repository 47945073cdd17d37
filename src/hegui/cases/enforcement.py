"""The gateway's enforcement hooks (see :mod:`hegui.hooks`): refuse sanctioned users,
apply the escalation rule to refused inputs, and block regeneration of taken-down outputs
(Interim Measures Art 14; DS Art 10)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hegui.cases import sanctions
from hegui.cases.blocklist import Blocklist
from hegui.cases.config import CasesConfig, load_config
from hegui.cases.textprint import label_strings
from hegui.hooks import BlockHit
from hegui.identity.crypto import KeyRing
from hegui.moderation.base import Verdict
from hegui.settings import HeguiSettings
from hegui.storage.db import Database
from hegui.storage.models import EndUser


class CaseEnforcement:
    def __init__(self, db: Database, settings: HeguiSettings, keys: KeyRing, config: CasesConfig,
                 *, boilerplate: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.keys = keys
        self.config = config
        labels = settings.labels
        self.blocklist = Blocklist(db, config.blocklist, label_strings(labels.text_prefix, labels.text_suffix),
                                   keys=keys, boilerplate=declared_boilerplate(config, boilerplate))
        base = settings.server.public_url.rstrip("/")
        self.appeal = f"{base}{config.appeal_path}"

    def check_user(self, s: Session, user: EndUser, function: str | None) -> None:
        """Sanctions, then the blocklist brought up to date in the same transaction: a takedown
        committed by any process applies to this request (no reload window)."""
        sanctions.stop_if_sanctioned(s, user.id, function, self.appeal)
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


def declared_boilerplate(config: CasesConfig, served: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Texts every answer may share: the operator's list, and those of the models served (the
    composition root passes the demo model's templates)."""
    return (*config.blocklist.boilerplate, *served)


def build_hooks(db: Database, settings: HeguiSettings, keys: KeyRing, *,
                boilerplate: tuple[str, ...] = ()) -> CaseEnforcement:
    """The hooks, with the published cases policy in ``<var_dir>``."""
    return CaseEnforcement(db, settings, keys, load_config(settings.var_dir), boilerplate=boilerplate)
