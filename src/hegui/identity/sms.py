"""One-time-code delivery for mobile-number verification (DS Art 9, CSL Art 24).

``SmsSender`` is the seam for a carrier gateway, named in ``identity.sms_sender =
"module:attribute"`` (a factory that gets the settings and returns a sender); ``LogSmsSender``
writes codes to the log for development and keeps the last code per number for tests. It is used
only in demo mode: otherwise, with no sender configured, mobile verification is refused (503).
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Protocol

from hegui.errors import ConfigError

if TYPE_CHECKING:
    from hegui.settings import HeguiSettings

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


class NoSmsSender:
    """No sender configured outside demo mode: no code is sent and the request fails (fail closed)."""

    def send_code(self, phone: str, code: str) -> None:
        from hegui.identity.errors import SmsSenderUnavailable

        raise SmsSenderUnavailable()


def build_sms_sender(settings: HeguiSettings) -> SmsSender:
    """The configured sender (``identity.sms_sender``); the logging one only with ``demo_model``."""
    spec = settings.identity.sms_sender.strip()
    if not spec:
        if settings.demo_model:
            return LogSmsSender()
        log.warning("no SMS sender configured (identity.sms_sender): mobile verification is refused "
                    "/ 未配置短信发送服务，手机号认证不可用")
        return NoSmsSender()
    module, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(detail=f"identity.sms_sender {spec!r} cannot be loaded: {exc}") from exc
    sender = factory(settings)
    if isinstance(sender, LogSmsSender) and not settings.demo_model:
        raise ConfigError(detail="the development SMS sender (codes in the log) is refused when demo_model = false")
    return sender


class NationalIdentityVerifier(Protocol):
    """Seam for the national online identity authentication public service (国家网络身份认证)."""

    def verify(self, token: str) -> str | None:
        """Return a stable pseudonymous subject id for a valid token, else None."""
        ...


class NoNationalIdentity:
    def verify(self, token: str) -> str | None:
        return None
