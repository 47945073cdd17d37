"""End-user registration, real-identity verification and the checks before generation.

Real identity (Deep Synthesis Art 9; CSL Art 24, Art 26 after 2026-01-01) by mainland mobile
number with a one-time code, resident ID card number confirmed by an identity verifier
(:mod:`hegui.identity.verifiers`), USCC for organisations (GB 32100) or the national online
identity service. Unverified users get no generation.

Minor status comes from a verified identity only. A person whose age no identity check has
established (verified by mobile number or national-identity token alone) is served in minor mode
— the minor policy profile, quiet hours and the under-16 daily limit — until an ID-card check
confirms an adult (Interim Measures Art 10; fail closed). Self-declared birth dates are not used.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hegui import codes
from hegui.errors import IdentityError, MinorRestriction, UnknownUser, ValidationFailed
from hegui.identity.agreement import Agreement
from hegui.identity import persons
from hegui.identity.crypto import KeyRing, mask_id_card, mask_phone, token_hash
from hegui.identity.minors import AgeMarks, MinorPolicy, is_minor
from hegui.identity.sms import NationalIdentityVerifier, SmsSender
from hegui.identity.verifiers import IdCardVerifier, build_id_verifier, normalise_id_number
from hegui.settings import HeguiSettings
from hegui.storage.base import utcnow
from hegui.storage.models import AgreementAcceptance, EndUser, OtpChallenge, UsageRecord

if TYPE_CHECKING:
    from hegui.throttle.limiter import Throttle


class IdentityService:
    def __init__(self, settings: HeguiSettings, keys: KeyRing, sms: SmsSender,
                 national: NationalIdentityVerifier | None = None, *, id_verifier: IdCardVerifier | None = None,
                 throttle: Throttle | None = None) -> None:
        self.settings = settings
        self.keys = keys
        self.sms = sms
        self.national = national
        self.id_verifier = id_verifier or build_id_verifier(settings)
        self.throttle = throttle
        self.minors = MinorPolicy(settings.minors)

    # -- rate limits (own transaction: call before opening the request's session) -------------
    def before_sms(self, app_id: str, external_id: str, phone: str) -> None:
        """Count a code sent to ``phone`` for this user; raises RateLimited (429) past any of
        ``throttle.sms_per_phone``, ``sms_per_phone_daily``, ``sms_per_user``, ``sms_per_app``."""
        if self.throttle is None:
            return
        phone = codes.check_mobile(phone)
        self.throttle.hit("sms_per_phone", phone, hint=mask_phone(phone))
        self.throttle.hit("sms_per_phone_daily", phone, hint=mask_phone(phone))
        self.throttle.hit("sms_per_user", f"{app_id}:{external_id}", hint=f"app {app_id} user")
        self.throttle.hit("sms_per_app", app_id, hint=f"app {app_id}")

    def before_id_check(self, app_id: str, external_id: str) -> None:
        """Count an identity check for this user (``throttle.id_checks_per_user``): each costs a
        call to the verifier and failed ones would otherwise allow guessing."""
        if self.throttle is not None:
            self.throttle.hit("id_checks_per_user", f"{app_id}:{external_id}", hint=f"app {app_id} user")

    # -- lookup -------------------------------------------------------------------------------
    def get(self, s: Session, app_id: str, external_id: str) -> EndUser:
        user = s.scalar(select(EndUser).where(EndUser.app_id == app_id, EndUser.external_id == external_id))
        if user is None or user.status == "deleted":
            raise UnknownUser(user=repr(external_id))
        return user

    def register(self, s: Session, app_id: str, external_id: str, kind: str = "person") -> EndUser:
        if not external_id or len(external_id) > 200:
            raise ValidationFailed(detail="user id must be 1–200 characters")
        if kind not in ("person", "organisation"):
            raise ValidationFailed(detail="kind must be 'person' or 'organisation'")
        existing = s.scalar(select(EndUser).where(EndUser.app_id == app_id, EndUser.external_id == external_id))
        if existing is not None:
            return existing
        user = EndUser(app_id=app_id, external_id=external_id, kind=kind)
        s.add(user)
        s.flush()
        return user

    # -- verification -------------------------------------------------------------------------
    def start_mobile(self, s: Session, user: EndUser, phone: str) -> str:
        phone = codes.check_mobile(phone)
        code = f"{secrets.randbelow(10**6):06d}"
        challenge = OtpChallenge(user_id=user.id, phone_hmac=self.keys.pseudonym(phone, "phone"),
                                 code_hash=token_hash(f"{user.id}:{code}"),
                                 expires_at=utcnow() + dt.timedelta(seconds=self.settings.security.otp_ttl_seconds))
        s.add(challenge)
        s.flush()
        self.sms.send_code(phone, code)
        return challenge.id

    def confirm_mobile(self, s: Session, user: EndUser, challenge_id: str, code: str, phone: str) -> EndUser:
        phone = codes.check_mobile(phone)
        ch = s.get(OtpChallenge, challenge_id)
        bad = ValidationFailed(message_en="verification code is wrong or expired",
                               message_zh="验证码错误或已过期")
        if ch is None or ch.user_id != user.id or ch.used:
            raise bad
        expires = ch.expires_at if ch.expires_at.tzinfo else ch.expires_at.replace(tzinfo=dt.timezone.utc)
        if expires < utcnow() or ch.attempts >= self.settings.security.otp_max_attempts:
            raise bad
        ch.attempts += 1
        if (not secrets.compare_digest(ch.code_hash, token_hash(f"{user.id}:{code}"))
                or ch.phone_hmac != self.keys.pseudonym(phone, "phone")):
            s.commit()  # count the failed attempt
            raise bad
        ch.used = True
        user.phone_hmac = ch.phone_hmac
        user.phone_masked = mask_phone(phone)
        if self.settings.security.store_full_identity:
            user.phone_enc = self.keys.seal(phone, user.id.encode())
        self._mark_verified(user, "mobile")
        return user

    def verify_id_card(self, s: Session, user: EndUser, number: str, person_name: str | None = None) -> EndUser:
        """Verify through the identity verifier (the only way an ID number becomes verified) and
        link the account to that person, within the per-person account cap."""
        number = normalise_id_number(number)
        if user.kind != "person":
            raise ValidationFailed(detail="ID card verification is for persons; organisations use the USCC")
        self.id_verifier.confirm(number, person_name)
        marks = AgeMarks.from_birth_date(codes.id_card_birth_date(number))
        persons.link(s, user, persons.identity_ref(self.keys, "id_card", number), "id_card", self.id_verifier.name,
                     marks, self.settings.identity.accounts_per_identity)
        user.id_hmac = self.keys.pseudonym(number, "id_card")
        user.id_masked = mask_id_card(number)
        if self.settings.security.store_full_identity:
            user.id_enc = self.keys.seal(number, user.id.encode())
        self._mark_verified(user, "id_card")
        return user

    def verify_uscc(self, s: Session, user: EndUser, code: str) -> EndUser:
        code = codes.check_uscc(code)
        if user.kind != "organisation":
            raise ValidationFailed(detail="USCC verification is for organisations")
        user.uscc = code
        self._mark_verified(user, "uscc")
        return user

    def verify_national(self, s: Session, user: EndUser, token: str) -> EndUser:
        subject = self.national.verify(token) if self.national else None
        if not subject:
            raise ValidationFailed(message_en="national online identity token was not accepted",
                                   message_zh="国家网络身份认证凭证未通过验证")
        persons.link(s, user, persons.identity_ref(self.keys, "national_id", subject), "national_id",
                     type(self.national).__name__, None, self.settings.identity.accounts_per_identity)
        user.id_hmac = self.keys.pseudonym(subject, "national_id")
        self._mark_verified(user, "national_id")
        return user

    def _mark_verified(self, user: EndUser, method: str) -> None:
        user.status = "verified"
        user.verified_by = user.verified_by if user.verified_by and user.verified_by != method else method
        user.verified_at = utcnow()

    # -- consent and agreement ----------------------------------------------------------------
    def accept_agreement(self, s: Session, user: EndUser, agreement: Agreement, version: str) -> EndUser:
        if version != agreement.version:
            raise ValidationFailed(message_en=f"agreement version {version!r} is not current ({agreement.version})",
                                   message_zh=f"协议版本 {version!r} 不是当前版本（{agreement.version}）")
        now = utcnow()
        s.add(AgreementAcceptance(user_id=user.id, version=agreement.version, text_hash=agreement.text_hash,
                                  accepted_at=now))
        user.agreement_version, user.agreement_hash, user.agreement_accepted_at = (
            agreement.version, agreement.text_hash, now)
        return user

    def record_guardian_consent(self, s: Session, user: EndUser, guardian_id_number: str) -> EndUser:
        number = normalise_id_number(guardian_id_number)
        self.id_verifier.confirm(number, None)
        if is_minor(AgeMarks.from_birth_date(codes.id_card_birth_date(number)).adult_on, dt.date.today()):
            raise ValidationFailed(message_en="the guardian must be an adult", message_zh="监护人须为成年人")
        user.guardian_ref = self.keys.pseudonym(number, "guardian")
        user.guardian_consent_at = utcnow()
        return user

    def set_training_opt_out(self, s: Session, user: EndUser, opt_out: bool) -> EndUser:
        user.training_opt_out = opt_out
        return user

    # -- the gate -----------------------------------------------------------------------------
    def ensure_may_generate(self, s: Session, user: EndUser, agreement: Agreement,
                            now: dt.datetime | None = None) -> str:
        """Raise unless the user may generate now; returns the policy profile to use."""
        if user.status != "verified":
            raise IdentityError(message_en="real-name verification is required before generating content "
                                           "(Deep Synthesis Provisions Art 9)",
                                message_zh="使用生成服务前须完成真实身份信息认证（《互联网信息服务深度合成管理规定》第九条）")
        if user.processing_stopped:
            raise IdentityError(message_en="you withdrew consent, so processing has stopped",
                                message_zh="您已撤回同意，服务已停止处理您的个人信息")
        if user.agreement_version != agreement.version or user.agreement_hash != agreement.text_hash:
            raise IdentityError(message_en=f"please accept the current service agreement (version {agreement.version})",
                                message_zh=f"请先阅读并同意当前版本的服务协议（版本 {agreement.version}）")
        if user.kind != "person":
            return "default"
        local_today = self.minors.local_now(now).date()
        confirmed = persons.age_confirmed(user)
        if confirmed and not is_minor(user.adult_on, local_today):
            return "default"
        since = self.minors.day_start_utc(now)
        used = s.scalar(select(func.count()).select_from(UsageRecord).where(
            UsageRecord.user_id == user.id, UsageRecord.created_at >= since,
            UsageRecord.status.in_(("ok", "refused", "cut")))) or 0
        try:
            # unconfirmed age: the strictest minor limits, no guardian step (the age is unknown)
            self.minors.enforce(age14_on=user.age14_on if confirmed else None,
                                age16_on=user.age16_on if confirmed else dt.date.max,
                                has_guardian_consent=user.guardian_consent_at is not None,
                                requests_today=used, now=now)
        except MinorRestriction as err:
            if confirmed:
                raise
            raise MinorRestriction(
                message_en=err.message("en") + " (age not confirmed by an ID-card check: minor mode applies "
                                               "until one confirms an adult)",
                message_zh=err.message("zh") + "（未经身份证核验确认年龄，在核验确认成年之前按未成年人模式服务）") from err
        return self.settings.minors.policy_profile

    def linked_accounts(self, s: Session, user: EndUser) -> list[EndUser]:
        """Other accounts of the same verified person or mobile number (sanctions follow them)."""
        return persons.linked_accounts(s, user)
