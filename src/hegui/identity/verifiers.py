"""The identity-verifier seam: the only way an ID card number becomes "verified" (DS Art 9;
CSL Art 24).

A GB 11643 check digit proves nothing about a person: any made-up number with the right last
character passes it. A real deployment plugs in a check against an authoritative source (the
public-security citizen-identity service, a licensed two-/three-element check, or the national
online identity authentication service) by naming a factory in ``identity.id_card_verifier =
"module:attribute"``; the factory gets the settings and returns an :class:`IdCardVerifier`.

:class:`DevelopmentIdVerifier` checks the check digit only. It exists for the demo and tests, is
labelled as such wherever it appears, and is refused when ``demo_model = false``.
"""

from __future__ import annotations

import importlib
import logging
import unicodedata
from typing import Protocol

from hegui import codes
from hegui.errors import ConfigError
from hegui.identity.errors import IdVerifierUnavailable
from hegui.settings import HeguiSettings

log = logging.getLogger("hegui.identity")
DEVELOPMENT = "development"


class IdCardVerifier(Protocol):
    name: str

    def confirm(self, number: str, person_name: str | None) -> None:
        """Return if an authoritative source confirms ``number`` (and the name, where the check
        uses one); raise :class:`hegui.identity.errors.IdNotConfirmed` otherwise."""


class DevelopmentIdVerifier:
    """DEVELOPMENT ONLY — accepts every number whose GB 11643 check digit is right. This is
    **not** a real-name check; it is refused outside demo mode."""

    name = "development-checksum-only"

    def confirm(self, number: str, person_name: str | None) -> None:
        codes.check_id_card(number)


class NoIdVerifier:
    """No verifier configured: ID-card verification is refused (fail closed)."""

    name = "none"

    def confirm(self, number: str, person_name: str | None) -> None:
        raise IdVerifierUnavailable()


def normalise_id_number(raw: str) -> str:
    """Full-width digits and ``Ｘ`` to ASCII, spaces and hyphens removed, ``x`` upper-cased, then
    the GB 11643 shape and check digit enforced (raises ValidationFailed)."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(ch for ch in text if not ch.isspace() and ch != "-").upper()
    return codes.check_id_card(text)


def build_id_verifier(settings: HeguiSettings) -> IdCardVerifier:
    """The configured verifier; the development one only with ``demo_model = true``."""
    spec = settings.identity.id_card_verifier.strip()
    if spec == DEVELOPMENT or (not spec and settings.demo_model):
        if not settings.demo_model:
            raise ConfigError(message_en="identity.id_card_verifier = 'development' accepts made-up ID numbers "
                                         "and is refused when demo_model = false; configure a real verifier",
                              message_zh="identity.id_card_verifier = 'development' 只校验校验位，会接受编造的身份证号，"
                                         "在 demo_model = false 时不允许使用；请配置真实的身份核验服务")
        log.warning("DEVELOPMENT identity verifier in use: ID numbers are checked for the GB 11643 check "
                    "digit only, not against any register / 开发用身份核验：仅校验校验位")
        return DevelopmentIdVerifier()
    if not spec:
        return NoIdVerifier()
    module, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(detail=f"identity.id_card_verifier {spec!r} cannot be loaded: {exc}") from exc
    verifier = factory(settings)
    if isinstance(verifier, DevelopmentIdVerifier) and not settings.demo_model:
        raise ConfigError(detail="the development identity verifier is refused when demo_model = false")
    return verifier
