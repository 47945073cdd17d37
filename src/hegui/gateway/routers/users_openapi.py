"""OpenAPI text for the end-user API (/v1/hegui/users…): request bodies, responses and examples.

The routes read their JSON themselves (every field attacker-controlled, checked by
``hegui.identity``), so the schema is published here, as ``openapi_extra`` and ``responses``;
docs/onboarding.md walks through the same flow. DS Art 9, Interim Measures Art 9–10, PIPL Art 31.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

TAG = "end users 终端用户"
DEMO_ID = "110101199003071233"  # checksum-valid (hegui.bootstrap.DEMO_ID_NUMBER); accepted by the demo verifier only
GUARDIAN_ID = "110101198001011232"


class UserView(BaseModel):
    """An end user as the API shows it: masked identifiers only."""

    user: str = Field(description="your own id of the user (the `user` field of chat requests) / 您系统中的用户标识")
    kind: str = Field(description="person | organisation")
    status: str = Field(description="pending (registered) | verified / 待认证 | 已实名")
    verified_by: str | None = Field(description="mobile | id_card | uscc | national_id")
    phone: str | None = Field(description="masked mobile number / 掩码手机号")
    id_card: str | None = Field(description="masked ID number / 掩码身份证号")
    uscc: str | None = Field(description="unified social credit code (organisations)")
    minor_until: str | None = Field(description="the 18th birthday (ISO date) read from the ID number; null "
                                                "when no ID check confirmed the age (minor mode applies then)")
    guardian_consent: bool = Field(description="a guardian's consent is recorded (PIPL Art 31, under 14)")
    agreement_version: str | None = Field(description="the agreement version accepted / 已同意的协议版本")
    training_opt_out: bool = Field(description="the user's content is not used for training (TC260-003 7c)")


class ApiError(BaseModel):
    type: str = Field(description="OpenAI error type: invalid_request_error, authentication_error, "
                                  "permission_error, not_found_error, rate_limit_error, api_error")
    param: str | None = None
    code: str = Field(description="hegui's stable code, see docs/onboarding.md")
    message: str = Field(description="in the request's language (Accept-Language), zh by default")
    message_zh: str
    message_en: str
    request_id: str = Field(description="the same id as the X-Request-Id header; quote it to the operator")


class ErrorBody(BaseModel):
    error: ApiError


VERIFIED = {"user": "alice-42", "kind": "person", "status": "verified", "verified_by": "id_card", "phone": None,
            "id_card": "1101**********1233", "uscc": None, "minor_until": "2008-03-07", "guardian_consent": False,
            "agreement_version": None, "training_opt_out": False}
PENDING = {**VERIFIED, "status": "pending", "verified_by": None, "id_card": None, "minor_until": None}


def _err(status: int, type_: str, code: str, zh: str, en: str) -> dict[str, Any]:
    return {"model": ErrorBody, "content": {"application/json": {"example": {"error": {
        "type": type_, "param": None, "code": code, "message": zh, "message_zh": zh, "message_en": en,
        "request_id": "req-5cea9152008c464a8036d76c"}}}}}


E400 = _err(400, "invalid_request_error", "INVALID_INPUT", "输入无效：'user' must be a non-empty string",
            "Invalid input: 'user' must be a non-empty string")
E401 = _err(401, "authentication_error", "UNAUTHENTICATED", "API 密钥无效或已吊销", "invalid or revoked API key")
E403 = _err(403, "permission_error", "USER_NOT_REGISTERED", "终端用户 'alice-42' 未注册",
            "End user 'alice-42' is not registered")
E429 = _err(429, "rate_limit_error", "THROTTLED", "身份核验过于频繁，已暂时限制，请在 60 秒后重试",
            "Too many identity checks; temporarily limited, retry after 60 seconds")
ERRORS: dict[int | str, dict[str, Any]] = {400: E400, 401: E401, 403: E403}


def ok(example: dict[str, Any], description: str = "the user after the step / 操作后的用户状态",
       model: type[BaseModel] = UserView) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description,
                  "content": {"application/json": {"example": example}}}, **ERRORS}


def body(properties: dict[str, Any], required: list[str], examples: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a JSON request body the route reads itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "properties": properties, "required": required},
        "examples": {k: {"value": v} for k, v in examples.items()}}}}}


def _s(desc: str, **kw: Any) -> dict[str, Any]:
    return {"type": "string", "description": desc, **kw}


REGISTER = dict(
    summary="Register an end user / 注册终端用户",
    description="Step 1. Idempotent: registering an existing user returns it. The user can chat only once "
                "verified and the current agreement accepted. 第一步；重复注册返回已有用户。",
    openapi_extra=body({"user": _s("your id of the user, 1–200 characters"),
                        "kind": _s("person (default) or organisation", enum=["person", "organisation"])},
                       ["user"], {"person": {"user": "alice-42"},
                                  "organisation": {"user": "acme-co", "kind": "organisation"}}),
    responses=ok(PENDING))
GET_USER = dict(summary="An end user's state / 查询终端用户状态", responses=ok(VERIFIED))
MOBILE = dict(
    summary="Send a mobile code / 发送手机验证码",
    description="Verification by mobile number, step 1: an SMS code goes to the number; confirm it with "
                "/verify/mobile/confirm. A number says nothing of age: such users are served in minor mode "
                "until an ID-card check confirms an adult. Rate-limited per number, user and app (429).",
    openapi_extra=body({"phone": _s("mainland mobile number")}, ["phone"], {"mobile": {"phone": "13800000000"}}),
    responses={**ok({**PENDING, "challenge_id": "8c0d7c1e5f7a4c38a0d2b1e9a6f4d3c2"},
                    "the challenge to confirm / 待确认的验证", dict), 429: E429})
MOBILE_CONFIRM = dict(
    summary="Confirm the mobile code / 确认手机验证码",
    openapi_extra=body({"challenge_id": _s("from /verify/mobile"), "code": _s("the 6 digits sent"),
                        "phone": _s("the same number")}, ["challenge_id", "code", "phone"],
                       {"confirm": {"challenge_id": "8c0d7c1e5f7a4c38a0d2b1e9a6f4d3c2", "code": "123456",
                                    "phone": "13800000000"}}),
    responses=ok({**VERIFIED, "verified_by": "mobile", "id_card": None, "phone": "138****0000",
                  "minor_until": None}))
ID_CARD = dict(
    summary="Verify by resident ID card / 居民身份证实名认证",
    description="Checked by the configured verifier (identity.id_card_verifier; the demo accepts any "
                "checksum-valid number). Sets the age marks: a minor gets minor mode, under 14 also needs "
                "/guardian-consent. One person verifies at most identity.accounts_per_identity accounts "
                "(IDENTITY_ACCOUNT_LIMIT). 503 ID_VERIFIER_UNAVAILABLE when no verifier is configured.",
    openapi_extra=body({"id_number": _s("18-character resident ID number"), "name": _s("legal name, if your "
                                                                                      "verifier checks it")},
                       ["id_number"], {"id_card": {"id_number": DEMO_ID, "name": "张三"}}),
    responses={**ok(VERIFIED), 429: E429,
               503: _err(503, "api_error", "ID_VERIFIER_UNAVAILABLE", "未配置身份核验服务（identity.id_card_verifier）…",
                         "No identity verification service is configured (identity.id_card_verifier)…")})
USCC = dict(
    summary="Verify an organisation by USCC / 统一社会信用代码认证",
    openapi_extra=body({"uscc": _s("18-character unified social credit code")}, ["uscc"],
                       {"uscc": {"uscc": "91110000600037341L"}}),
    responses=ok({**VERIFIED, "user": "acme-co", "kind": "organisation", "verified_by": "uscc", "id_card": None,
                  "uscc": "91110000600037341L"}))
NATIONAL = dict(
    summary="Verify by national online identity / 国家网络身份认证",
    openapi_extra=body({"token": _s("the national online identity app's token")}, ["token"],
                       {"national": {"token": "…"}}),
    responses=ok({**VERIFIED, "verified_by": "national_id", "id_card": None}))
AGREEMENT = dict(
    summary="The current service agreement / 当前服务协议",
    description="Show `text` (in the Accept-Language) to the user; send back `version` when they accept.",
    responses={200: {"description": "version, hash and text", "content": {"application/json": {"example": {
        "version": "2025-01-01", "hash": "3f1c…", "zh": "……", "en": "……", "text": "……"}}}}, 401: E401})
ACCEPT = dict(
    summary="Accept the agreement / 同意服务协议",
    description="Records the version and the text's hash. A new agreement version asks every user to "
                "accept again (USER_NOT_ALLOWED on chat until they do).",
    openapi_extra=body({"version": _s("the version from GET /v1/hegui/agreement")}, ["version"],
                       {"accept": {"version": "2025-01-01"}}),
    responses=ok({**VERIFIED, "agreement_version": "2025-01-01"}))
GUARDIAN = dict(
    summary="Record a guardian's consent / 记录监护人同意",
    description="For a user under 14 (PIPL Art 31): the guardian's ID number, checked by the verifier and "
                "stored only as a pseudonym; the guardian must be an adult.",
    openapi_extra=body({"guardian_id_number": _s("the guardian's resident ID number")}, ["guardian_id_number"],
                       {"guardian": {"guardian_id_number": GUARDIAN_ID}}),
    responses={**ok({**VERIFIED, "minor_until": "2031-05-01", "guardian_consent": True}), 429: E429})
OPT_OUT = dict(
    summary="Training opt-out / 拒绝将内容用于训练",
    openapi_extra=body({"opt_out": {"type": "boolean"}}, ["opt_out"], {"opt_out": {"opt_out": True}}),
    responses=ok({**VERIFIED, "training_opt_out": True}))
