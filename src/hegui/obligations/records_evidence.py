"""Live evidence read from the records themselves (issue 11: no "met" on a constant).

Each check looks at what the service actually did — the usage records of the log-retention window,
the stored identities, the sealed content — so a service that answered an unverified user, kept
content past its retention or stored an identity number in clear is shown as not met.

- real name (DS Art 9, CSL Art 24/26): no answered request of a user who is not verified;
- agreement (IM Art 9): no answered request of a user who never accepted an agreement;
- content retention (IM Art 11): no content row past its expiry beyond the purge interval, and the
  newest content row opens only with the service's key (sealed, not clear text);
- PI at rest (PIPL Art 51): identity numbers kept only as keyed hashes and masked forms;
- upstream resilience (IM Art 13): every upstream has bounded timeouts and concurrency.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select

from hegui.obligations.register import Finding, Status
from hegui.storage.base import utcnow
from hegui.storage.models import EndUser, UsageContent, UsageRecord

if TYPE_CHECKING:
    from hegui.app import Services

ANSWERED = ("ok", "cut")
TEST_KIND = "test"  # regulator test-channel users (hegui.identity.test_channels.TEST_USER_KIND)
MAX_TIMEOUT_SECONDS = 300.0  # an upstream call that may hang longer is no bounded control
IDENTITY_SCAN = 10_000  # newest users checked for clear identity numbers
_CLEAR_NUMBER = re.compile(r"^(?:1\d{10}|\d{17}[\dXx])$")  # a mobile or an ID-card number in full


def _window_start(sv: Services) -> dt.datetime:
    return utcnow() - dt.timedelta(days=sv.settings.retention.usage_log_days)


def _answered_by(sv: Services, condition) -> int:  # noqa: ANN001 - a SQLAlchemy expression
    with sv.db.session() as s:
        return s.scalar(select(func.count()).select_from(UsageRecord)
                        .join(EndUser, EndUser.id == UsageRecord.user_id)
                        .where(UsageRecord.status.in_(ANSWERED), UsageRecord.created_at >= _window_start(sv),
                               EndUser.kind != TEST_KIND, condition)) or 0


def real_name_finding(sv: Services) -> Finding:
    with sv.db.session() as s:
        anonymous = s.scalar(select(func.count()).select_from(UsageRecord).where(
            UsageRecord.status.in_(ANSWERED), UsageRecord.created_at >= _window_start(sv),
            UsageRecord.user_id.is_(None), UsageRecord.test_channel_id.is_(None))) or 0
    unverified = _answered_by(sv, EndUser.status != "verified")
    if anonymous or unverified:
        return Finding(Status.NOT_MET,
                       f"日志期内有 {unverified} 次回答给了未实名认证的用户、{anonymous} 次回答没有用户",
                       f"in the log window {unverified} answer(s) went to unverified users and {anonymous} to no user")
    return Finding(Status.MET, "日志期内的每次回答都属于已实名认证的用户（未认证用户被拒绝生成）",
                   "every answer in the log window went to a verified user (unverified users are refused)")


def agreement_finding(sv: Services) -> Finding:
    a = sv.agreement
    if not (a.version and a.zh.strip() and a.en.strip()):
        return Finding(Status.NOT_MET, "服务协议缺少版本或中英文文本", "the agreement lacks a version or its zh/en text")
    never = _answered_by(sv, EndUser.agreement_accepted_at.is_(None))
    if never:
        return Finding(Status.NOT_MET, f"日志期内有 {never} 次回答给了从未同意服务协议的用户",
                       f"in the log window {never} answer(s) went to users who never accepted the agreement")
    return Finding(Status.MET, f"服务协议版本 {a.version}（中英文）；日志期内的每次回答都属于已同意协议的用户",
                   f"agreement version {a.version} (zh/en); every answer in the log window went to a user who "
                   "accepted it")


def content_retention_finding(sv: Services) -> Finding:
    days = sv.settings.retention.content_days
    slack = dt.timedelta(minutes=2 * max(sv.settings.retention.purge_interval_minutes, 60))
    with sv.db.session() as s:
        overdue = s.scalar(select(func.count()).select_from(UsageContent)
                           .where(UsageContent.expires_at < utcnow() - slack)) or 0
        newest = s.scalars(select(UsageContent).order_by(UsageContent.expires_at.desc()).limit(1)).first()
        sealed = True
        if newest is not None:
            try:
                sv.writer.read_content(newest)
            except Exception:  # noqa: BLE001 - anything but a clean open means not sealed with our key
                sealed = False
    if overdue:
        return Finding(Status.NOT_MET, f"{overdue} 条输入输出内容已过保存期（{days} 天）仍未清除：清除任务未运行",
                       f"{overdue} prompt/output row(s) past their {days}-day retention still stored: the purge "
                       "job is not running (hegui records purge)")
    if not sealed:
        return Finding(Status.NOT_MET, "最新的内容记录无法用本服务密钥解封：未按规定加密",
                       "the newest content row does not open with the service's key: not sealed as required")
    return Finding(Status.MET, f"输入输出内容加密存储，{days} 天后清除；无过期未清除的记录",
                   f"prompts/outputs sealed, purged after {days} days; none kept past expiry")


def pi_at_rest_finding(sv: Services) -> Finding:
    full = sv.settings.security.store_full_identity
    with sv.db.session() as s:
        rows = s.execute(select(EndUser.phone_hmac, EndUser.phone_masked, EndUser.id_hmac, EndUser.id_masked,
                                EndUser.phone_enc, EndUser.id_enc)
                         .where(or_(EndUser.phone_hmac.is_not(None), EndUser.id_hmac.is_not(None)))
                         .order_by(EndUser.created_at.desc()).limit(IDENTITY_SCAN)).all()
    clear = sum(1 for r in rows for v in (r[0], r[1], r[2], r[3]) if v and _CLEAR_NUMBER.match(v))
    stray = 0 if full else sum(1 for r in rows if r[4] is not None or r[5] is not None)
    if clear or stray:
        return Finding(Status.NOT_MET, f"{clear} 个身份号码以明文保存，{stray} 条不应保存的加密全文",
                       f"{clear} identity number(s) stored in clear; {stray} full value(s) kept though "
                       "security.store_full_identity is off")
    return Finding(Status.MET, f"已检查 {len(rows)} 个用户：身份证号与手机号仅以密钥散列 + 脱敏形式保存"
                               + ("，全文 AES-GCM 加密" if full else "，不保存全文"),
                   f"{len(rows)} user(s) checked: ID and phone only as keyed HMAC + masked form"
                   + (", full value AES-GCM encrypted" if full else ", full value not stored"))


def upstream_resilience_finding(sv: Services) -> Finding:
    ups = list(sv.settings.upstreams)
    loose = [u.name for u in ups if u.timeout_seconds > MAX_TIMEOUT_SECONDS or u.connect_timeout_seconds > 60]
    if loose:
        return Finding(Status.NOT_MET, f"上游超时过长（> {MAX_TIMEOUT_SECONDS:.0f} 秒）：{', '.join(loose)}",
                       f"upstream timeout unbounded (> {MAX_TIMEOUT_SECONDS:.0f} s): {', '.join(loose)}")
    detail = ", ".join(f"{u.name}: timeout {u.timeout_seconds}s, retries {u.retries}, ≤{u.max_concurrency}" for u in ups)
    return Finding(Status.MET, f"上游超时/重试/并发限制已配置 {detail or '（演示模型）'}",
                   f"upstream timeouts/retries/limits configured {detail or '(demo model)'}")


_REMOVAL = re.compile(r"(remove|strip|erase|delete|unlabel|clear)_?(label|mark|watermark|xmp|metadata)", re.I)


def no_label_removal_finding(sv: Services) -> Finding:
    """DS Art 18 / Labeling Measures Art 10: nothing in hegui's labeling surface removes a label —
    neither a public function of ``hegui.labeling`` nor a method of any registered carrier."""
    import hegui.labeling as labeling
    from hegui.labeling import api
    from hegui.labeling.carriers import default_registry

    names = [f"hegui.labeling.{n}" for n in getattr(labeling, "__all__", ())]
    names += [f"hegui.labeling.api.{n}" for n in vars(api) if not n.startswith("_") and callable(getattr(api, n))]
    carriers = list(default_registry())
    names += [f"{type(c).__name__}.{n}" for c in carriers for n in dir(c) if not n.startswith("_")]
    found = sorted({n for n in names if _REMOVAL.search(n.rsplit(".", 1)[-1])})
    if found:
        return Finding(Status.NOT_MET, f"标识接口中存在删除标识的功能：{', '.join(found)}",
                       f"the labeling surface offers label removal: {', '.join(found)}")
    return Finding(Status.MET, f"已检查标识公开接口与 {len(carriers)} 种载体：无删除、篡改或隐匿标识的功能",
                   f"labeling API and {len(carriers)} carriers checked: no function removes, alters or hides a label")
