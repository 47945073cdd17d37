"""The dashboard's pictures (issue 13): server-rendered SVG charts in zh and en, escaped text,
and the calendar notice only where deadlines are shown."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from hegui.cases.calendar_notice import Notice, gap_notice
from hegui.cases.models import Case, Sanction
from hegui.console import dashboard
from hegui.console.charts import Bar, Series, bar_chart, line_chart
from hegui.storage.base import utcnow
from hegui.storage.models import UsageRecord

EVIL = '<script>alert(1)</script>"&'


def _usage(s, status: str, risks: list[str], days_ago: int = 0) -> None:
    s.add(UsageRecord(request_id=f"r{status}{days_ago}{len(risks)}{risks}", endpoint="chat", status=status,
                      risks=[{"id": r} for r in risks], created_at=utcnow() - dt.timedelta(days=days_ago)))


def _seed(console) -> None:
    sv = console.gw.services
    with sv.db.session() as s:
        for i in range(6):
            _usage(s, "ok", [], days_ago=i % 3)
        _usage(s, "refused", ["A4f"])
        _usage(s, "refused", ["A4f", "A2a"], days_ago=1)
        _usage(s, "cut", [EVIL], days_ago=2)
        s.add(Sanction(user_id="u1", kind="suspend", reason="r", actor="test"))
        s.add(Sanction(user_id="u2", kind="warn", reason="r", actor="test", lifted_at=utcnow()))
    desk = console.app.state.case_desk
    case = desk.submit(case_type="other", text="late complaint", channel="web")
    with sv.db.session() as s:
        s.get(Case, case.id).due_on = desk.today() - dt.timedelta(days=2)
    rep = Path(sv.settings.var_dir) / "assessments" / "run1"
    rep.mkdir(parents=True)
    (rep / "report.json").write_text(json.dumps({
        "finished": "2026-12-01T10:00:00+08:00",
        "generated": {"pass_rate": 0.95, "bar": 0.9}, "should_refuse": {"refusal_rate": 0.8, "bar": 0.95},
        "non_refusal": {"refusal_rate": 0.02, "bar": 0.05}}), encoding="utf-8")
    dashboard._CACHE.clear()


def _svg(page: str, cid: str) -> str:
    m = re.search(rf'<svg [^>]*id="{cid}".*?</svg>', page, re.S)
    assert m, f"no chart {cid}"
    return m.group(0)


def test_dashboard_charts_in_both_languages(console):
    _seed(console)
    c = console.login("auditor")
    zh, en = c.get("/console?lang=zh").text, c.get("/console?lang=en").text
    for page in (zh, en):
        for cid in ("chart-rates", "chart-risks", "chart-deadlines", "chart-sanctions", "chart-labels",
                    "chart-assessment"):
            assert 'role="img"' in _svg(page, cid)
    rates_zh, rates_en = _svg(zh, "chart-rates"), _svg(en, "chart-rates")
    assert 'data-series="已拒答"' in rates_zh and 'data-series="已截断"' in rates_zh
    assert 'data-series="refused"' in rates_en and 'data-series="cut"' in rates_en
    risks_en, risks_zh = _svg(en, "chart-risks"), _svg(zh, "chart-risks")
    from hegui.moderation.taxonomy import default_taxonomy

    a4f = default_taxonomy().risk("A4f")
    assert f"A4f {a4f.name_en}" in risks_en and f"A4f {a4f.name_zh}" in risks_zh and a4f.name_en not in risks_zh
    assert risks_en.count('class="series"') == 3  # A4f, A2a and the odd one
    # deadlines: one overdue case; sanctions: the lifted warning does not count
    dl = _svg(en, "chart-deadlines")
    assert re.search(r'data-label="Overdue" data-value="1"', dl)
    sanc = _svg(zh, "chart-sanctions")
    assert 'data-label="暂停服务" data-value="1"' in sanc and "警示" not in sanc
    # assessment: three rates with their bars; the failing one is drawn as failing
    ass = _svg(en, "chart-assessment")
    assert ass.count('class="target"') == 3 and "Should-refuse refusal rate: 80%" in ass
    assert "生成内容合格率" in _svg(zh, "chart-assessment")
    assert "LM-4" in _svg(en, "chart-labels")


def test_risk_names_and_labels_are_escaped(console):
    _seed(console)
    page = console.login("admin").get("/console?lang=en").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _svg(page, "chart-risks")
    svg = bar_chart("x", EVIL, [Bar(EVIL, 1, note=EVIL)], target_label=EVIL)
    assert "<script>" not in svg and svg.count("&lt;script&gt;") == 7  # title, desc (label, note), label, note, legend
    line = line_chart("y", "t", ["<d>"], [Series(EVIL, [0.5])])
    assert "<script>" not in line and "&lt;d&gt;" in line


def test_rates_are_grouped_per_day_and_risk(gateway):
    with gateway.services.db.session() as s:
        _usage(s, "ok", [])
        _usage(s, "refused", ["A4f"])
        _usage(s, "ok", [], days_ago=40)  # outside the window
    with gateway.services.db.session() as s:
        data = dashboard.rates(s)
    assert len(data.days) == 30 and sum(data.total.values()) >= 2 and sum(data.refused.values()) >= 1
    assert sum(data.by_risk["A4f"].values()) == 1


def test_calendar_notice_only_where_deadlines_are(console):
    desk = console.app.state.case_desk
    desk.calendar_notes = [gap_notice(2027, dt.date(2026, 12, 11))]
    n = desk.calendar_notes[0]
    assert isinstance(n, Notice) and "\n" not in n and n.zh in str(n) and n.en in str(n)
    c = console.login("admin")
    def text(url: str) -> str:  # the page without tags (commands in the notice are set as <code>)
        return re.sub(r"<[^>]+>", "", c.get(url).text)

    zh, en = text("/console?lang=zh"), text("/console?lang=en")
    assert zh.count("2026-12-11") == 1 and n.zh in zh and n.en not in zh
    assert n.en in en and n.zh not in en and "docs/cases.md" in en
    assert 'class="error"' not in c.get("/console?lang=zh").text.split('id="deadlines"')[1].split("</section>")[0]
    assert n.en in text("/console/cases?lang=en")
    for other in ("/console/obligations", "/console/audit"):
        assert "2026-12-11" not in c.get(other + "?lang=en").text
