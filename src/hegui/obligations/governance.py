"""Live evidence for the management-record duties (docs/governance.md):

- DS-7 (registration, review, ethics, emergency "systems"): the audit chain verifies **and** an
  emergency drill is on record within ``governance.drill_max_age_days`` **and** at least one
  ethics or security review is on record; otherwise not met, naming what is missing.
- DS-15 (regular review of algorithm mechanisms): the last algorithm review is within
  ``governance.algorithm_review_max_age_days``.
- ORDERS (regulator orders): no open order is past its rectification deadline; a suspension in
  force is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from hegui.governance import algorithm, drills, orders, reviews
from hegui.governance.common import aware, now
from hegui.obligations.register import Finding, Status

if TYPE_CHECKING:
    from hegui.app.services import Services


def systems_finding(sv: Services) -> Finding:
    from hegui.records import audit

    days = sv.settings.governance.drill_max_age_days
    today = now().date()
    with sv.db.session() as s:
        chain = audit.verify(s)
        drill = drills.latest(s)
        n_reviews = reviews.count(s)
    missing_zh: list[str] = []
    missing_en: list[str] = []
    if not chain.ok:
        missing_zh.append(f"审计日志哈希链校验失败（{chain.problems[0]}）")
        missing_en.append(f"the audit hash chain does not verify ({chain.problems[0]})")
    if drill is None:
        missing_zh.append("无应急演练记录（hegui ops drill add）")
        missing_en.append("no emergency drill on record (hegui ops drill add)")
    elif (today - drill.held_on).days > days:
        missing_zh.append(f"最近一次应急演练 {drill.held_on} 已超过 {days} 天")
        missing_en.append(f"the last emergency drill ({drill.held_on}) is more than {days} days old")
    if not n_reviews:
        missing_zh.append("无科技伦理或安全评审记录（hegui ops review add）")
        missing_en.append("no ethics or security review on record (hegui ops review add)")
    if missing_en:
        return Finding(Status.NOT_MET, "缺少：" + "；".join(missing_zh), "missing: " + "; ".join(missing_en))
    return Finding(Status.MET,
                   f"审计日志哈希链完整（{chain.entries} 条）；最近应急演练 {drill.held_on}；评审记录 {n_reviews} 条",  # type: ignore[union-attr]
                   f"audit hash chain intact ({chain.entries} entries); last emergency drill {drill.held_on}; "  # type: ignore[union-attr]
                   f"{n_reviews} ethics/security review(s) on record")


def algorithm_review_finding(sv: Services) -> Finding:
    days = sv.settings.governance.algorithm_review_max_age_days
    with sv.db.session() as s:
        last = algorithm.latest(s)
    if last is None:
        return Finding(Status.NOT_MET, "尚无算法机理审核记录（hegui ops algorithm-review run）",
                       "no algorithm review on record (hegui ops algorithm-review run)")
    at = aware(last.reviewed_at)
    assert at is not None
    age = (now() - at) // dt.timedelta(days=1)
    if age > days:
        return Finding(Status.NOT_MET, f"最近一次算法机理审核（{at:%Y-%m-%d}）已超过 {days} 天",
                       f"the last algorithm review ({at:%Y-%m-%d}) is more than {days} days old")
    return Finding(Status.MET, f"最近一次算法机理审核 {at:%Y-%m-%d}（{last.reviewer}），每 {days} 天内须复审",
                   f"last algorithm review {at:%Y-%m-%d} ({last.reviewer}); due again within {days} days")


def orders_finding(sv: Services) -> Finding:
    with sv.db.session() as s:
        late = orders.overdue_orders(s)
        suspended = orders.suspension_in_force(s)
        open_n = sum(1 for o in orders.listing(s) if o.closed_at is None)
        late_names = ", ".join(f"{o.reference} ({o.authority}, {o.deadline})" for o in late)
        susp = f"{suspended.reference} ({suspended.authority})" if suspended else ""
    susp_zh = f"；暂停服务命令生效中：{susp}，网关拒绝生成请求" if susp else ""
    susp_en = f"; service suspension in force: {susp}, the gateway refuses generation" if susp else ""
    if late:
        return Finding(Status.NOT_MET, f"{len(late)} 项监管命令逾期未整改：{late_names}{susp_zh}",
                       f"{len(late)} regulator order(s) past the rectification deadline: {late_names}{susp_en}")
    return Finding(Status.MET, f"无逾期的监管命令（未结 {open_n} 项）{susp_zh}",
                   f"no regulator order overdue ({open_n} open){susp_en}")
