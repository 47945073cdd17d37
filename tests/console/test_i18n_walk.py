"""Issue 13: every console page (and /about) in real headless Chromium, in zh and in en, scanned for
words of the other language outside data (docs/console.md, "Languages").

Visible text nodes are read in the browser; text inside ``[data-raw]``, ``<code>``, ``<pre>``,
``.data`` (cells holding user or stored data), or an element whose ``lang`` names the other
language on purpose (the language switch, the bilingual error box) is skipped. On a zh page an
ASCII word of three or more letters outside :data:`ALLOWED` is untranslated; on an en page any Han
character is. The test also removes one translation and checks the scan then finds it.
"""

from __future__ import annotations

import json
import re
import warnings

import pytest
from sqlalchemy import select

from hegui.storage.models import EndUser
from hegui.web import render as web_render

from .test_browser import ARGS, CHROMIUM, _chat, _user, live  # noqa: F401 - the live server fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# codes, units and names that stay as they are in a zh page
ALLOWED = {"hegui", "api", "id", "sha", "url", "json", "pdf", "xlsx", "csv", "openai", "https", "http", "cidr",
           "aql", "aigc", "png", "jpeg", "webp", "webhook", "utc", "sms", "zip", "yaml", "python", "sqlite",
           "postgresql"}
# The dashboard is being reworked by another part of issue 13 (charts): its findings are reported,
# not asserted, until that work lands — then set this to True.
STRICT_DASHBOARD = True

SCAN = """(lang) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || !n.textContent.trim()) continue;
    if (el.closest('[data-raw], code, pre, .data, script, style, textarea')) continue;
    const marked = el.closest('[lang]');
    if (marked && !marked.getAttribute('lang').startsWith(lang)) continue;
    if (el.tagName !== 'OPTION' && !el.checkVisibility()) continue;
    out.push(n.textContent.trim());
  }
  return out;
}"""


def foreign(texts: list[str], lang: str) -> list[str]:
    """The other language's words in ``texts``: ASCII words (≥ 3 letters, not allowed) on a zh
    page, Han characters on an en page."""
    found: list[str] = []
    for text in texts:
        if lang == "zh":
            found += [w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in ALLOWED]
        else:
            found += re.findall(r"[\u3400-\u9fff]+", text)
    return found


def _seed(live) -> dict[str, str]:
    sv, api, h = live["services"], live["api"], live["headers"]
    _user(live, "walker")
    assert _chat(live, "walker", "/echo 你好").status_code == 200
    assert _chat(live, "walker", "please forbidden-term").status_code in (200, 403)
    desk = live["app"].state.case_desk
    case = desk.submit(case_type="pi_access", text="请提供我的个人信息副本", account="walker", channel="web")
    desk.transition(case.tracking, "triaged", "console:admin", "核验")
    desk.execute_pi(case.tracking, "console:admin")
    other = desk.submit(case_type="rumour", text="网传某地发生重大事故，系谣言", channel="web")
    with sv.db.session() as s:
        uid = s.scalar(select(EndUser.id).where(EndUser.external_id == "walker"))
    desk.sanction(uid, "warn", "测试警示", "console:admin", None, (), None)
    assert api.get("/v1/models", headers=h).status_code == 200
    return {"case": case.tracking, "other": other.tracking, "user": uid}


def _pages(seed: dict[str, str]) -> list[str]:
    return ["/console", "/console/review?all=1", "/console/cases", f"/console/cases/{seed['case']}",
            f"/console/cases/{seed['other']}", "/console/users", f"/console/users/{seed['user']}",
            "/console/records", "/console/packs", "/console/test-channels", "/console/governance",
            "/console/annotation", "/console/inspections", "/console/obligations", "/console/audit?verify=1", "/about"]


def test_no_untranslated_strings_in_zh_or_en(live):  # noqa: F811
    from playwright.sync_api import sync_playwright

    base = live["url"]
    seed = _seed(live)
    problems: dict[str, list[str]] = {}
    dashboard: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        try:
            page.goto(f"{base}/console/login?lang=zh")
            page.fill("#username", "admin")
            page.fill("#password", live["first"].admin_password)
            page.click("#login-submit")
            for lang in ("zh", "en"):
                for path in ["/console/login", *_pages(seed)]:
                    page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
                    assert page.locator("html").get_attribute("lang").startswith(lang), path
                    words = foreign(page.evaluate(SCAN, lang), lang)
                    if words:
                        (dashboard if path == "/console" else problems)[f"{lang} {path}"] = sorted(set(words))
                # a record's content view (POST from the records page)
                page.goto(f"{base}/console/records?lang={lang}")
                page.locator("button.view-content").first.click()
                if words := foreign(page.evaluate(SCAN, lang), lang):
                    problems[f"{lang} record view"] = sorted(set(words))
            # the scan can fail: drop one translation and the records page shows the key
            table = web_render.strings()
            saved = table["endpoint"]
            table["endpoint"] = {"en": saved["en"]}
            try:
                page.goto(f"{base}/console/records?lang=zh")
                assert "endpoint" in foreign(page.evaluate(SCAN, "zh"), "zh")
            finally:
                table["endpoint"] = saved
        finally:
            browser.close()
    if dashboard:
        warnings.warn(f"dashboard strings not translated: {dashboard}", stacklevel=1)
        if STRICT_DASHBOARD:
            problems.update(dashboard)
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=0)
