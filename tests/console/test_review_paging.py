"""Issue 13: refusals and cut streams land in the review queue (linked to their record) and can be
decided; the records page pages by keyset on (created_at, id); risks carry their taxonomy names;
a case's result is a readable list; rows without stored content have no view-content button."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from hegui.storage.base import new_id
from hegui.storage.models import ReviewItem, UsageRecord
from tests.gateway.test_output_moderation import PIECES, ScriptedUpstream

from .conftest import Console, csrf_of


def _items(gw) -> list[ReviewItem]:
    with gw.services.db.session() as s:
        return list(s.scalars(select(ReviewItem).order_by(ReviewItem.created_at)))


def test_refused_input_refused_output_and_cut_stream_are_queued(gateway_factory):
    gw = gateway_factory(upstreams=[ScriptedUpstream(PIECES)])
    body = {"messages": [{"role": "user", "content": "plan?"}], "user": "demo-user"}
    assert gw.chat("please forbidden-term now", model="scripted").status_code == 200  # refused input
    gw.client.post("/v1/chat/completions", headers=gw.headers, json={"model": "scripted", **body})  # refused output
    r = gw.client.post("/v1/chat/completions", headers=gw.headers, json={"model": "scripted", "stream": True, **body})
    assert "content_filter" in r.text
    pending = [i for i in _items(gw) if i.status == "pending"]
    assert sorted((i.direction, i.reason) for i in pending) == [("input", "refused"), ("output", "cut"),
                                                                ("output", "refused")]
    with gw.services.db.session() as s:
        for i in pending:
            rec = s.get(UsageRecord, i.record_id)  # every item names its record
            assert rec is not None and rec.status in ("refused", "cut")
            assert any(x["id"] == "A1f" for x in i.risks)
            text = gw.services.keys.unseal(i.text_enc, b"review").decode()
            assert "forbidden-term" in text  # what was refused / generated, sealed for the reviewer

    con = Console(gw)
    c = con.login()
    page = c.get("/console/review?lang=en")
    assert page.text.count('class="record-link"') == 3 and "Confirm the refusal" in page.text
    assert "A1f</code> promoting violence" in page.text  # code + taxonomy name
    cut = next(i for i in pending if i.reason == "cut")
    r = c.post(f"/console/review/{cut.id}", data={"decision": "confirm", "note": "", "csrf": csrf_of(page.text)})
    assert r.status_code == 303
    with gw.services.db.session() as s:
        assert s.get(ReviewItem, cut.id).status == "confirmed"
    rec_page = c.get(f"/console/records?record={cut.record_id}&lang=zh")
    assert rec_page.text.count('<tr id="rec-') == 1
    con_close(con)


def test_a_flag_item_cannot_be_confirmed(console):
    sv = console.gw.services
    with sv.db.session() as s:
        item = ReviewItem(direction="output", risks=[{"id": "A4f", "score": 0.5}], text_enc=sv.keys.seal("x", b"review"))
        s.add(item)
    c = console.login()
    page = c.get("/console/review?lang=zh")
    assert "A4f</code> " in page.text and "待人工复核" in page.text
    r = c.post(f"/console/review/{item.id}", data={"decision": "confirm", "note": "", "csrf": csrf_of(page.text)})
    assert r.status_code == 422 or "只有拒答或截断" in r.text
    with sv.db.session() as s:
        assert s.get(ReviewItem, item.id).status == "pending"


def _bulk(sv, n: int, with_same_second: int = 0) -> None:
    base = dt.datetime(2026, 1, 1)
    rows = [{"id": new_id(), "request_id": f"r{i}", "endpoint": "chat", "status": "ok", "risks": [],
             "created_at": base + dt.timedelta(seconds=i if i >= with_same_second else 0)} for i in range(n)]
    with sv.db.session() as s:
        s.execute(UsageRecord.__table__.insert(), rows)


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr id="rec-([0-9a-f]+)"', html)


def test_records_page_by_keyset_both_ways(console):
    sv = console.gw.services
    _bulk(sv, 230, with_same_second=40)  # 40 rows share one timestamp: the id breaks the tie
    with sv.db.session() as s:
        expected = list(s.scalars(select(UsageRecord.id).order_by(UsageRecord.created_at.desc(), UsageRecord.id.desc())))
    c = console.login()
    seen, url, pages = [], "/console/records?n=30&lang=en", []
    while url:
        html = c.get(url.replace("&amp;", "&")).text
        pages.append(html)
        ids = _ids(html)
        assert 0 < len(ids) <= 30
        seen += ids
        m = re.search(r'href="([^"]+)" id="page-older"', html)
        url = m.group(1) if m else None
    assert seen == expected  # every record once, in order, no OFFSET
    assert "id=\"page-newer\"" not in pages[0] and "id=\"page-newer\"" in pages[-1]
    back = re.search(r'href="([^"]+)" id="page-newer"', pages[-1]).group(1).replace("&amp;", "&")
    assert _ids(c.get(back).text) == _ids(pages[-2])
    assert "n=30" in back  # the filters and page size travel with the cursor
    assert len(_ids(c.get("/console/records?n=5000").text)) == 100  # capped
    assert c.get("/console/records?after=not-a-date").status_code == 400


def test_view_content_only_where_content_is_stored_and_risks_named(console):
    gw = console.gw
    assert gw.chat("/echo hello").status_code == 200  # has content; an ordinary answer is not queued
    assert _items(gw) == []
    _bulk(gw.services, 1)  # metadata only
    with gw.services.db.session() as s:
        s.execute(UsageRecord.__table__.insert(), [{"id": new_id(), "request_id": "x", "endpoint": "chat",
                                                    "status": "refused", "risks": [{"id": "A4f", "score": 0.9}],
                                                    "created_at": dt.datetime(2025, 1, 1)}])
    c = console.login()
    html = c.get("/console/records?lang=zh").text
    assert len(_ids(html)) == 3 and html.count('class="view-content"') == 1
    assert re.search(r"<code>A4f</code> [^<\s]+", html)  # the code and its zh name


def con_close(con) -> None:
    for c in con.clients:
        c.close()
