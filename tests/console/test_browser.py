"""The console in a real headless Chromium (Debian ``chromium`` driven by Playwright).

Starts the real app with uvicorn on 127.0.0.1, then: a complaint from the public form handled end
to end (with takedown), a deletion request executed, a user sanctioned, a review item approved.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from hegui.cases.models import Case, Sanction
from hegui.storage.models import EndUser, ReviewItem, UsageRecord

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(make_services):
    import uvicorn

    from hegui.app import create_app
    from hegui.bootstrap import bootstrap

    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright")
    services = make_services()
    app = create_app(services=services, migrate=False)
    first = bootstrap(services, demo=True)
    desk = app.state.case_desk
    desk.config = desk.config.model_copy(update={"intake": desk.config.intake.model_copy(update={"min_fill_seconds": 1})})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    from fastapi.testclient import TestClient

    api = TestClient(app)
    yield {"url": f"http://127.0.0.1:{port}", "app": app, "services": services, "first": first, "api": api,
           "headers": {"Authorization": f"Bearer {first.api_key}"}}
    server.should_exit = True
    thread.join(timeout=10)
    api.close()


def _user(live, name: str) -> str:
    """A verified user with an ID number of their own (one person may hold only a few accounts,
    and a sanction follows the person)."""
    import zlib

    from hegui import codes

    api, h = live["api"], live["headers"]
    first = f"11010119900307{zlib.crc32(name.encode()) % 1000:03d}"
    id_number = first + codes.id_card_check_digit(first)
    assert api.post("/v1/hegui/users", headers=h, json={"user": name}).status_code == 200
    assert api.post(f"/v1/hegui/users/{name}/verify/id-card", headers=h, json={"id_number": id_number}).status_code == 200
    version = live["services"].agreement.version
    assert api.post(f"/v1/hegui/users/{name}/agreement", headers=h, json={"version": version}).status_code == 200
    with live["services"].db.session() as s:
        return s.scalar(select(EndUser.id).where(EndUser.external_id == name))


def _chat(live, name: str, text: str):
    return live["api"].post("/v1/chat/completions", headers=live["headers"],
                            json={"model": "hegui-demo-chat", "user": name, "messages": [{"role": "user", "content": text}]})


def test_console_end_to_end_in_chromium(live):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    base, sv = live["url"], live["services"]
    _user(live, "alice")
    rumour = "网传某大桥已经坍塌，车辆全部落水，纯属编造的谣言文本。"
    cid = _chat(live, "alice", f"/echo {rumour}").headers["x-hegui-content-id"]
    bob = _user(live, "bob")
    _user(live, "carol")
    with sv.db.session() as s:
        item = ReviewItem(direction="output", risks=[{"id": "A1f", "score": 0.55}],
                          text_enc=sv.keys.seal("需要人工复核的输出", b"review"))
        s.add(item)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        try:
            # 1. a member of the public reports the rumour
            page.goto(f"{base}/complaints?lang=zh")
            page.select_option("#type", "rumour")
            page.fill("#text", "这条AI生成的内容是谣言 <script>alert(1)</script>")
            page.fill("#content_id", cid)
            page.fill("#contact", "reporter@example.com")
            page.wait_for_timeout(1200)
            page.click("#complaint-submit")
            expect(page.locator("#tracking")).to_be_visible()
            tracking = page.locator("#tracking").inner_text().strip()
            page.screenshot(path=str(ARTIFACTS / "01-complaint-received.png"), full_page=True)

            # 2. the admin logs in and handles it end to end
            page.goto(f"{base}/console/login")
            page.fill("#username", "admin")
            page.fill("#password", live["first"].admin_password)
            page.click("#login-submit")
            expect(page.locator("h1")).to_have_text(re.compile("概览|Dashboard"))
            page.screenshot(path=str(ARTIFACTS / "02-dashboard.png"), full_page=True)
            page.goto(f"{base}/console/cases/{tracking}")
            assert "<script>alert(1)</script>" in page.locator("#case-text").inner_text()  # shown as text
            page.fill("#asg", "admin")
            page.click("#assign-submit")
            page.select_option("#to", "triaged")
            page.click("#transition-submit")
            expect(page.locator("#case-status")).to_have_text("已分拣")
            page.fill("#treason", "散布谣言 / rumour")
            page.fill("#trzh", "经核实，该大桥运行正常。")
            page.click("#takedown-submit")
            page.select_option("#to", "resolved")
            page.fill("#tnote", "内容已下架并加入防再生成名单")
            page.click("#transition-submit")
            page.select_option("#to", "feedback_sent")
            page.fill("#tnote", "感谢举报，相关内容已下架。")
            page.click("#transition-submit")
            expect(page.locator("#case-status")).to_have_text("已反馈")
            page.screenshot(path=str(ARTIFACTS / "03-complaint-handled.png"), full_page=True)
            page.goto(f"{base}/complaints/status/{tracking}?lang=zh")
            expect(page.locator("#feedback")).to_have_text("感谢举报，相关内容已下架。")

            # 3. a deletion request for bob, executed from the console
            desk = live["app"].state.case_desk
            del_case = desk.submit(case_type="pi_delete", text="请删除我的账号和全部数据", account="bob", channel="web")
            page.goto(f"{base}/console/cases/{del_case.tracking}")
            page.select_option("#to", "triaged")
            page.fill("#tnote", "已电话核验身份")
            page.click("#transition-submit")
            page.click("#execute-submit")  # without the confirmation box → clear error, nothing done
            expect(page.locator("#error")).to_contain_text("请勾选确认框")
            page.goto(f"{base}/console/cases/{del_case.tracking}")
            page.check("#confirm")
            page.click("#execute-submit")
            expect(page.locator("#case-status")).to_have_text("已办结")
            page.screenshot(path=str(ARTIFACTS / "04-deletion-executed.png"), full_page=True)

            # 4. sanction carol
            with sv.db.session() as s:
                carol = s.scalar(select(EndUser.id).where(EndUser.external_id == "carol"))
            page.goto(f"{base}/console/users/{carol}")
            page.select_option("#skind", "suspend")
            page.fill("#sreason", "多次发布违法信息 / repeated illegal content")
            page.fill("#shours", "48")
            page.click("#sanction-submit")
            expect(page.locator("#sanctions")).to_contain_text("多次发布违法信息")
            page.screenshot(path=str(ARTIFACTS / "05-user-sanctioned.png"), full_page=True)

            # accessibility smoke check: every control has a label; the first Tab reaches the skip link
            for path in ("/console", f"/console/cases/{tracking}", f"/console/users/{carol}", "/console/packs",
                         "/complaints"):
                page.goto(base + path)
                unlabelled = page.eval_on_selector_all(
                    "input:not([type=hidden]), select, textarea",
                    "els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
                    ".map(e => e.name || e.id)")
                assert unlabelled == [], (path, unlabelled)
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip"

            # 5. approve the review item
            page.goto(f"{base}/console/review?lang=en")
            page.click(f"#item-{item.id} button.approve")
            expect(page.locator(f"#item-{item.id}")).to_have_count(0)
            page.goto(f"{base}/console/audit?verify=1")
            expect(page.locator("#verify-result")).to_contain_text("intact")
            page.screenshot(path=str(ARTIFACTS / "06-audit-verified.png"), full_page=True)
        finally:
            browser.close()

    with sv.db.session() as s:
        case = s.scalar(select(Case).where(Case.tracking == tracking))
        assert case.status == "feedback_sent" and case.result.get("takedown") and case.assignee == "admin"
        assert s.scalar(select(UsageRecord.taken_down_at).where(UsageRecord.content_id == cid)) is not None
        assert s.get(EndUser, bob) is None
        assert s.scalar(select(Sanction).where(Sanction.user_id == carol)).kind == "suspend"
        assert s.get(ReviewItem, item.id).status == "approved"
    assert _chat(live, "alice", f"/echo {rumour}").json()["choices"][0]["finish_reason"] == "content_filter"
    assert _chat(live, "carol", "hello").status_code == 403
    assert (ARTIFACTS / "05-user-sanctioned.png").stat().st_size > 10_000
