"""The seam between the gateway and the enforcement duty (complaints, sanctions, regeneration
blocklist), below both: the gateway calls these hooks, ``hegui.cases.enforcement`` implements
them, and the composition root (:mod:`hegui.app`) connects the two.

Interim Measures Art 14 and DS Art 10: stop generating illegal content, keep it from being
generated again, and act on users. ``NoEnforcement`` is the null implementation for embedding the
pipeline without it (``hegui check`` then reports the duty as not met).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from hegui.moderation.base import Verdict
from hegui.storage.models import EndUser


@dataclass(frozen=True, slots=True)
class BlockHit:
    """Output matched a taken-down item on the regeneration blocklist."""

    entry_id: str
    kind: str  # exact | near | contained (a stream so far lies inside the item)
    similarity: float


class EnforcementHooks(Protocol):
    def check_user(self, s: Session, user: EndUser, function: str | None) -> None:
        """Raise :class:`hegui.errors.IdentityError` if a sanction stops this user now from using
        ``function`` (``chat`` or ``images``: a "restrict" sanction names the functions it stops)."""

    def after_input_verdict(self, s: Session, user: EndUser, verdict: Verdict) -> None:
        """Count refused inputs and apply the automatic escalation rule."""

    def blocked_text(self, text: str) -> BlockHit | None: ...

    def blocked_partial(self, text: str) -> BlockHit | None:
        """The text streamed so far, before more of it is released."""

    def blocked_image(self, data: bytes) -> BlockHit | None: ...


class NoEnforcement:
    def check_user(self, s: Session, user: EndUser, function: str | None) -> None:
        return None

    def after_input_verdict(self, s: Session, user: EndUser, verdict: Verdict) -> None:
        return None

    def blocked_text(self, text: str) -> BlockHit | None:
        return None

    def blocked_partial(self, text: str) -> BlockHit | None:
        return None

    def blocked_image(self, data: bytes) -> BlockHit | None:
        return None
