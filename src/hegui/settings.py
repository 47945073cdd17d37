"""Configuration: one file, ``hegui.toml``, validated at start; ``HEGUI_*`` env vars override.

Nested keys use ``__`` in env vars, e.g. ``HEGUI_STORAGE__URL=postgresql+psycopg://…``.
The *service profile* holds what the law asks a provider to declare: the provider code
(TC260-PG-20252A), the applicable population, occasions and purposes (Interim Measures Art 10),
the filing number (Deep Synthesis Art 19) and retention periods (CSL Art 21/23: logs ≥ 6 months).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from hegui.codes import validate_provider_code
from hegui.errors import ConfigError

MIN_LOG_RETENTION_DAYS = 180  # six months, CSL Art 21(3) (Art 23(3) after the 2026-01-01 amendment)
DEMO_PROVIDER_CODE = "0011" + "91110000MA0000000H" + "1" + "DEMO"  # placeholder USCC, valid GB 32100 check


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceProfile(_Section):
    provider_name: str = "示例人工智能科技有限公司 (demo provider)"
    provider_code: str = DEMO_PROVIDER_CODE
    service_name: str = "hegui demo assistant"
    filing_number: str = ""  # 备案号 shown on /about (Deep Synthesis Art 19)
    filing_link: str = ""
    model_filing_number: str = ""  # 大模型备案号 / 上线编号 (large-model filing or registration), when granted
    launch_date: dt.date | None = None  # first day of public service: starts the 10-working-day filing clock (Alg. Rec. Art 24)
    jurisdiction: str = "CN"  # where data must stay (PIPL Arts 38–40, localisation); ISO 3166 code
    population: list[str] = ["成年人 adults", "经监护人同意的未成年人 minors with guardian consent"]
    occasions: list[str] = ["通用问答与写作辅助 general Q&A and writing assistance"]
    purposes: list[str] = ["信息检索、创作辅助 information and creative assistance"]
    contact: str = "compliance@example.com"

    @field_validator("provider_code")
    @classmethod
    def _code(cls, v: str) -> str:
        reason = validate_provider_code(v)
        if reason:
            raise ValueError(f"provider_code {v!r}: {reason}")
        return v


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_body_bytes: int = Field(1_000_000, ge=1024)
    public_url: str = ""
    # /docs and /openapi.json (the whole API surface, admin routes included); None = served only
    # with the demo model, off in production unless set to true (TC260-003 access control)
    api_docs: bool | None = None
    # /metrics asks for "Authorization: Bearer <metrics_token>"; with no token it is refused
    # unless metrics_public = true (only where the network already keeps it private)
    metrics_token: str = ""
    metrics_public: bool = False

    @field_validator("metrics_token")
    @classmethod
    def _token(cls, v: str) -> str:
        if v and (len(v) < 16 or v != v.strip()):
            raise ValueError("metrics_token must be at least 16 characters without surrounding spaces "
                             "/ metrics_token 至少 16 个字符且首尾不能有空格")
        return v


class StorageSettings(_Section):
    url: str = "sqlite:///./var/hegui.db"
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "NORMAL"
    pool_size: int = Field(10, ge=1)
    region: str = ""  # ISO 3166 code where the database keeps data (PIPL Arts 38–40); "" = undeclared


class SecuritySettings(_Section):
    secret_key: str = ""  # HMAC/AES/cookie key; generated into ./var/secret.key when empty
    store_full_identity: bool = False  # keep AES-GCM ciphertext of full ID/phone numbers
    otp_ttl_seconds: int = Field(300, ge=30)
    otp_max_attempts: int = Field(5, ge=1)


class RetentionSettings(_Section):
    usage_log_days: int = 180
    content_days: int = 30
    failure_log_days: int = 180
    audit_log_days: int = 1095  # PIPL Art 56: records ≥ 3 years
    purge_interval_minutes: int = Field(60, ge=0)  # 0 = only on demand (hegui records purge)

    @model_validator(mode="after")
    def _minimums(self) -> "RetentionSettings":
        for name in ("usage_log_days", "failure_log_days"):
            if getattr(self, name) < MIN_LOG_RETENTION_DAYS:
                raise ValueError(f"{name}={getattr(self, name)} is shorter than six months "
                                 f"({MIN_LOG_RETENTION_DAYS} days) required for network logs (CSL)")
        if self.content_days < 1:
            raise ValueError("content_days must be at least 1")
        if self.audit_log_days < 3 * 365:
            raise ValueError("audit_log_days must be at least 3 years (PIPL Art 56)")
        return self


class MinorSettings(_Section):
    """Minor mode (Interim Measures Art 10, PIPL Art 31, CAC minor-mode guide 2024) — defaults [U]."""

    daily_requests_under_16: int = 60
    daily_requests_16_17: int = 120
    quiet_start: dt.time = dt.time(22, 0)
    quiet_end: dt.time = dt.time(6, 0)
    guardian_consent_under: int = 14
    timezone: str = "Asia/Shanghai"
    policy_profile: str = "minor"


class UsageSettings(_Section):
    """Anti-dependence for every user (Interim Measures Art 10), adults included; minors keep
    their stricter minor-mode limits on top."""

    reminder_minutes: int = Field(120, ge=0)  # continuous-use reminder; 0 = off
    session_gap_minutes: int = Field(30, ge=1)  # a pause this long ends continuous use
    adult_daily_limit_minutes: int = Field(0, ge=0)  # time in use per local day; 0 = no limit


class LabelSettings(_Section):
    text_prefix: str = "【AI生成】"
    text_suffix: str = "\n\n[AI-generated] 本内容由人工智能生成"
    text_position: Literal["prefix", "suffix", "both"] = "prefix"
    image_text: str = "AI生成"
    image_watermark: bool = True
    # generated audio (GB 45438 §5.3): the rhythm cue at the start, "both" adds the spoken notice
    audio_explicit: Literal["rhythm", "both"] = "rhythm"
    audio_watermark: bool = True  # the inaudible watermark (docs/audio-watermark.md)
    # 1.0 ≈ 30.5 dB SNR; 2.0 ≈ 24.5 dB survives MP3 64 kbps and ±10 % speed on every benchmark clip
    audio_watermark_strength: float = Field(default=1.0, gt=0, le=8)


class ModerationSettings(_Section):
    engine: Literal["policy", "terms"] = "policy"
    pack_dirs: list[str] = []  # extra operator packs (added to the shipped starter packs)
    threshold_profile: Literal["tc260-003-2024", "gbt45654-draft", "gbt45654-2025"] = "gbt45654-2025"
    stream_holdback_chars: int = Field(24, ge=0, le=4096)
    classifier: bool = True
    # the semantic cascade stage (sentence encoder + heads + response judge); false = n-gram model only
    semantic: bool = True


class UpstreamSettings(_Section):
    name: str
    base_url: str
    api_key: str = ""
    models: list[str]
    timeout_seconds: float = Field(60.0, gt=0)
    connect_timeout_seconds: float = Field(5.0, gt=0)
    retries: int = Field(2, ge=0, le=10)
    max_concurrency: int = Field(64, ge=1)
    # Interim Measures Art 7(1): lawful foundation models — which filed model this upstream serves
    base_model: str = ""  # e.g. the foundation model's name and version
    base_model_provider: str = ""  # its filer (the company that filed it)
    base_model_filing_number: str = ""  # its large-model filing number (备案号 / 上线编号)
    region: str = ""  # ISO 3166 code where the endpoint processes data; "" = not declared
    third_party: bool = True  # prompts go to another company (disclose in the agreement; PIPL Art 23)
    recipient: str = ""  # the company receiving prompts, as named in the agreement; "" = base_model_provider


class EscalationSettings(_Section):
    """Repeat-violator rule; press-reported defaults 3 in a row / 5 a day [U]."""

    refusals_in_a_row: int = Field(3, ge=1)
    refusals_per_day: int = Field(5, ge=1)
    suspend_hours: int = Field(24, ge=1)


class AgreementSettings(_Section):
    directory: str = ""  # operator's agreement texts; empty = shipped texts


class ThrottleRule(_Section):
    """At most ``limit`` events per fixed window; past it, refused until the window ends or, with
    ``lockout_seconds``, for that long. ``limit = 0`` switches the rule off."""

    limit: int = Field(ge=0)
    window_seconds: int = Field(ge=1)
    lockout_seconds: int = Field(0, ge=0)


def _rule(limit: int, window: int, lockout: int = 0) -> ThrottleRule:
    return ThrottleRule(limit=limit, window_seconds=window, lockout_seconds=lockout)


class ThrottleSettings(_Section):
    """Rate limits and lockouts (GB/T 45654 / TC260-003 7: abuse protection; CSL Art 21).

    Counters live in the database, so every gateway process sharing it enforces one limit."""

    api_key_failures_per_ip: ThrottleRule = _rule(20, 60, 300)  # wrong API keys
    api_key_requests: ThrottleRule = _rule(0, 60)  # requests per API key; 0 = off
    test_channel_requests: ThrottleRule = _rule(600, 60)  # per regulator test channel (security-requirements §9): automated tests run 10^4 questions
    login_failures_per_account: ThrottleRule = _rule(5, 900, 900)  # console + admin API
    login_failures_per_ip: ThrottleRule = _rule(20, 900, 900)
    sms_per_phone: ThrottleRule = _rule(1, 60)
    sms_per_phone_daily: ThrottleRule = _rule(10, 86400)
    sms_per_user: ThrottleRule = _rule(5, 3600)
    sms_per_app: ThrottleRule = _rule(1000, 3600)
    id_checks_per_user: ThrottleRule = _rule(5, 86400)
    inspect_requests: ThrottleRule = _rule(60, 60)  # POST /v1/hegui/inspect per API key (bounded work per upload)
    trusted_proxies: list[str] = []  # addresses whose X-Forwarded-For is believed
    api_key_cache_seconds: float = Field(5.0, ge=0, le=300)  # revocation reaches other processes within this


class PlatformSettings(_Section):
    """The distribution-platform side (Labeling Measures Art 6; GB 45438 Annex E): who writes the
    propagation fields, and the bounds of one inspected upload (docs/platform-inspect.md)."""

    name: str = ""  # the platform's name shown in the notice log; "" = service.provider_name
    code: str = ""  # ContentPropagator (TC260-PG-20252A code); "" = service.provider_code
    max_upload_bytes: int = Field(50 << 20, ge=1024)  # one upload, enforced while it streams in
    timeout_seconds: float = Field(30.0, gt=0, le=600)  # inspection (and propagation) of one upload
    workers: int = Field(2, ge=1, le=64)  # inspections running at once per process
    # the watermark check decodes the whole image (~57 MiB peak per megapixel, docs/platform-inspect.md);
    # larger images are inspected without it and the evidence says so
    max_watermark_pixels: int = Field(24_000_000, ge=1)
    notices_file: str = ""  # the notice texts per class (YAML); "" = the shipped hegui/data/labeling/platform.yaml

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        reason = validate_provider_code(v) if v else None
        if reason:
            raise ValueError(f"platform code {v!r}: {reason}")
        return v


class ConsoleSettings(_Section):
    session_hours: float = Field(8.0, gt=0, le=24)  # absolute lifetime of a console session
    idle_minutes: int = Field(60, ge=1)  # a session unused this long ends


class IdentitySettings(_Section):
    """Real-name verification (DS Art 9; CSL Art 24)."""

    accounts_per_identity: int = Field(3, ge=1)  # end-user accounts one verified person may hold
    # "" = the development checksum-only verifier when demo_model is on, otherwise none;
    # "module:attribute" = a factory ``(settings) -> IdCardVerifier`` for the operator's real check
    id_card_verifier: str = ""
    # "" = the development sender that logs codes when demo_model is on, otherwise none (mobile
    # verification refused, 503); "module:attribute" = a factory ``(settings) -> SmsSender``
    sms_sender: str = ""


class AssessmentSettings(_Section):
    """Security assessment (Interim Measures Art 17; GB/T 45654 Annex B). ``hegui check`` reads the
    newest report.json under ``reports_dir`` ("" = ``<var_dir>/assessments``); it must conform and
    be younger than ``max_age_days`` — "before launch and on major change" names no period, a
    yearly re-run is hegui's default [U]."""

    reports_dir: str = ""
    max_age_days: int = Field(365, ge=1)


class CorpusSettings(_Section):
    """Training-corpus audit (Interim Measures Art 7; GB/T 45654 §5.1, B.2.1). ``hegui check`` (IM-7)
    reads the newest corpus report.json under ``reports_dir`` ("" = ``<var_dir>/corpus-audits``); it
    must conform and be younger than ``max_age_days`` — the standard names no period; re-auditing
    yearly and whenever the corpus changes is hegui's default [U]."""

    reports_dir: str = ""
    max_age_days: int = Field(365, ge=1)

INCIDENT_KINDS = ("illegal_content", "data_breach", "service_outage", "model_misuse", "other")


class GovernanceSettings(_Section):
    """Management records (DS Arts 7, 15; IM Art 14; docs/governance.md). Every number is hegui's
    reading, not a statutory figure [U]: a drill at least every ``drill_max_age_days``, an algorithm
    review every ``algorithm_review_max_age_days``, and an incident reported to the regulator
    within ``report_hours[kind]`` hours of detection ("promptly"; absent or 0 = no report rule)."""

    drill_max_age_days: int = Field(365, ge=1)
    algorithm_review_max_age_days: int = Field(180, ge=1)
    report_hours: dict[str, int] = {"illegal_content": 24, "data_breach": 24, "service_outage": 24,
                                    "model_misuse": 24}

    @field_validator("report_hours")
    @classmethod
    def _kinds(cls, v: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(v) - set(INCIDENT_KINDS))
        if unknown:
            raise ValueError(f"report_hours: unknown incident kinds {unknown} (known: {', '.join(INCIDENT_KINDS)})")
        if any(h < 0 for h in v.values()):
            raise ValueError("report_hours: hours must be 0 or more")
        return v


class AnnotationSettings(_Section):
    """Annotation QA (Interim Measures Art 8; GB/T 45674-2025; docs/annotation.md). The pass mark of
    the qualification test (a fraction) and the re-examination period are hegui's defaults, not
    figures of the standard [U]."""

    pass_mark: float = Field(0.9, gt=0, le=1)
    reexam_months: int = Field(12, ge=1, le=120)


class LikenessApiSettings(_Section):
    """Voice cloning and face swapping (DS Provisions Arts 14, 17; docs/likeness.md): the demo
    models, or an HTTP upstream per function that receives the request's multipart form."""

    voice_clone_upstream: str = ""  # URL; "" = the local demo model hegui-demo-voice-clone
    face_swap_upstream: str = ""  # URL; "" = the local demo model hegui-demo-face-swap
    upstream_api_key: str = ""  # sent as a Bearer token to those URLs
    timeout_seconds: float = Field(120.0, gt=0)
    max_upload_bytes: int = Field(20_000_000, ge=1024)  # each file of a request (reference, image, document)
    max_text_chars: int = Field(2000, ge=1, le=100_000)


class ProvenanceSettings(_Section):
    """Creation provenance (issue 15; docs/provenance.md, docs/provenance-package.md): one sealed,
    hash-chained record per output, kept apart from the 30-day content retention (``keep_days`` None
    keeps a record until its user erases it); evidence packages signed with the provider's key and
    certificate (PEM paths; production uses the provider's real certificate, ``hegui provenance
    init-signer`` makes a dev one)."""

    enabled: bool = True
    keep_days: int | None = Field(None, ge=1, le=36_500)
    signing_key: str = ""
    signing_cert: str = ""  # the chain: signer certificate first, then its issuers
    trust_anchors: str = ""  # CA certificate(s) ``hegui provenance verify`` trusts by default
    tsa_url: str = ""  # RFC 3161 time-stamp authority; "" = no time-stamp


class HeguiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HEGUI_", env_nested_delimiter="__", extra="forbid")

    service: ServiceProfile = ServiceProfile()
    server: ServerSettings = ServerSettings()
    storage: StorageSettings = StorageSettings()
    security: SecuritySettings = SecuritySettings()
    retention: RetentionSettings = RetentionSettings()
    minors: MinorSettings = MinorSettings()
    usage: UsageSettings = UsageSettings()
    labels: LabelSettings = LabelSettings()
    moderation: ModerationSettings = ModerationSettings()
    escalation: EscalationSettings = EscalationSettings()
    agreement: AgreementSettings = AgreementSettings()
    throttle: ThrottleSettings = ThrottleSettings()
    platform: PlatformSettings = PlatformSettings()
    console: ConsoleSettings = ConsoleSettings()
    identity: IdentitySettings = IdentitySettings()
    assessment: AssessmentSettings = AssessmentSettings()
    corpus: CorpusSettings = CorpusSettings()
    governance: GovernanceSettings = GovernanceSettings()
    annotation: AnnotationSettings = AnnotationSettings()
    likeness_api: LikenessApiSettings = LikenessApiSettings()
    provenance: ProvenanceSettings = ProvenanceSettings()
    upstreams: list[UpstreamSettings] = []
    demo_model: bool = True  # serve the built-in demo model (clearly named as a demo)
    var_dir: str = "./var"
    config_file: str | None = None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)


def load_settings(path: str | Path | None = None, **overrides: Any) -> HeguiSettings:
    """Load ``hegui.toml`` (``path``, ``$HEGUI_CONFIG`` or ./hegui.toml if present), env overrides it.

    Raises :class:`ConfigError` with every problem listed, in Chinese and English.
    """
    file = Path(path) if path else Path(os.environ.get("HEGUI_CONFIG", "hegui.toml"))
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(message_en=f"{file}: not valid TOML: {exc}",
                              message_zh=f"{file}：不是有效的 TOML：{exc}") from exc
        data["config_file"] = str(file)
    elif path:
        raise ConfigError(message_en=f"configuration file {file} not found",
                          message_zh=f"找不到配置文件 {file}")
    data.update(overrides)
    try:
        return HeguiSettings(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(message_en=f"{file}: {problems}",
                          message_zh=f"{file} 配置有误：{problems}") from exc
