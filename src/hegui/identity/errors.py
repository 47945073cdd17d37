"""Errors of real-name verification; all subclass the single hierarchy in :mod:`hegui.errors`."""

from __future__ import annotations

from hegui.errors import IdentityError, ValidationFailed


class IdentityAccountLimit(IdentityError):
    """One verified person may hold only ``identity.accounts_per_identity`` accounts."""

    code = "IDENTITY_ACCOUNT_LIMIT"
    http_status = 403
    message_zh = "该身份已实名认证 {limit} 个账号，达到上限，不能再用于认证新账号"
    message_en = "This identity already verifies {limit} accounts, the maximum; it cannot verify another"


class SmsSenderUnavailable(IdentityError):
    """No SMS sender is configured outside demo mode, so no code is sent (fail closed)."""

    code = "SMS_SENDER_UNAVAILABLE"
    http_status = 503
    message_zh = "未配置短信发送服务（identity.sms_sender），暂不能通过手机号完成实名认证；请联系服务提供者"
    message_en = ("No SMS sender is configured (identity.sms_sender), so mobile verification is unavailable; "
                  "contact the provider")


class IdVerifierUnavailable(IdentityError):
    """No identity verifier is configured, so no ID number can become verified (fail closed)."""

    code = "ID_VERIFIER_UNAVAILABLE"
    http_status = 503
    message_zh = ("未配置身份核验服务（identity.id_card_verifier），暂不能通过身份证完成实名认证；"
                  "请改用手机号认证或联系服务提供者")
    message_en = ("No identity verification service is configured (identity.id_card_verifier), so ID-card "
                  "verification is unavailable; verify by mobile number or contact the provider")


class IdNotConfirmed(ValidationFailed):
    """The verifier did not confirm the number (and name) as a real person's."""

    code = "ID_NOT_CONFIRMED"
    http_status = 400
    message_zh = "身份核验未通过：{detail}"
    message_en = "Identity check failed: {detail}"
