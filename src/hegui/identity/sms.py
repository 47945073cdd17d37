"""One-time-code delivery for mobile-number verification (DS Art 9, CSL Art 24).

``SmsSender`` is the seam for a carrier gateway; ``LogSmsSender`` writes codes to the log for
development and keeps the last code per number for tests.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("hegui.sms")


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str) -> None: ...


class LogSmsSender:
    """Development sender: logs the code (masked number) and remembers it."""

    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def send_code(self, phone: str, code: str) -> None:
        self.sent[phone] = code
        log.warning("DEV SMS to %s***%s: verification code %s", phone[:3], phone[-4:], code)


class NationalIdentityVerifier(Protocol):
    """Seam for the national online identity authentication public service (国家网络身份认证)."""

    def verify(self, token: str) -> str | None:
        """Return a stable pseudonymous subject id for a valid token, else None."""
        ...


class NoNationalIdentity:
    def verify(self, token: str) -> str | None:
        return None
