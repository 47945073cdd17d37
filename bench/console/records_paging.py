"""The console's records page over 1,000,000 usage records (SQLite): first page, a deep page,
a walk of consecutive pages, filters — through the real view (TestClient, logged in).

    PYTHONPATH=src python bench/console/records_paging.py [--rows 1000000] [--size 50] [--db PATH]

Rows are bulk-inserted with Core ``executemany`` in batches (the insert time is printed too).
Paging is keyset on ``(created_at, id)`` (index ``ix_usage_created_id``), so a page deep in the
table costs what the first does; the query plan is printed to show the index in use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, text


def insert(services, rows: int, batch: int = 50_000) -> float:  # noqa: ANN001
    from hegui.storage.models import UsageRecord

    ins = UsageRecord.__table__.insert()
    start = dt.datetime(2026, 1, 1)
    rng = random.Random(13)
    statuses = ["ok"] * 90 + ["refused"] * 6 + ["cut"] * 3 + ["error"]
    users = [uuid.uuid4().hex for _ in range(5000)]
    t0 = time.perf_counter()
    for lo in range(0, rows, batch):
        chunk = []
        for i in range(lo, min(rows, lo + batch)):
            st = statuses[rng.randrange(100)]
            chunk.append({"id": uuid.uuid4().hex, "request_id": f"req-{i}", "content_id": f"hgc-{uuid.uuid4().hex}",
                          "user_id": users[i % len(users)], "endpoint": "chat.completions", "model": "bench",
                          "stream": bool(i & 1), "status": st, "risks": [{"id": "A4f", "score": 0.9}] if st != "ok" else [],
                          "prompt_chars": 40, "output_chars": 200, "safety_off": False,
                          # 4 records a second; some share a timestamp, so the id breaks ties
                          "created_at": start + dt.timedelta(seconds=i // 4)})
        with services.db.session() as s:
            s.execute(ins, chunk)
    return time.perf_counter() - t0


def timed(client: TestClient, url: str, repeat: int = 5) -> tuple[float, str]:
    times, html = [], ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text[:500]
        html = r.text
    return statistics.median(times), html


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--size", type=int, default=50)
    ap.add_argument("--db", default="")
    a = ap.parse_args()

    from hegui.app import build_services, create_app
    from hegui.bootstrap import bootstrap
    from hegui.identity.sms import LogSmsSender
    from hegui.settings import load_settings
    from hegui.storage.models import UsageRecord

    var = Path(a.db).parent if a.db else Path(tempfile.mkdtemp(prefix="hegui-paging-"))
    db = a.db or str(var / "hegui.db")
    settings = load_settings(None, var_dir=str(var), storage={"url": f"sqlite:///{db}"})
    sv = build_services(settings, sms=LogSmsSender())
    sv.db.upgrade()
    app = create_app(services=sv, migrate=False)
    first = bootstrap(sv, demo=True)
    with sv.db.session() as s:
        have = s.scalar(select(UsageRecord.id).limit(1))
    ins_s = insert(sv, a.rows) if not have else 0.0
    with sv.db.session() as s:
        n = s.execute(text("select count(*) from usage_records")).scalar()
        deep = s.execute(select(UsageRecord.created_at, UsageRecord.id).order_by(
            UsageRecord.created_at.desc(), UsageRecord.id.desc()).offset(int(n * 0.9)).limit(1)).one()
        plan = s.execute(text("EXPLAIN QUERY PLAN SELECT * FROM usage_records WHERE created_at <= :t AND "
                              "(created_at < :t OR id < :i) ORDER BY created_at DESC, id DESC LIMIT 51"),
                         {"t": deep[0], "i": deep[1]}).all()
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    page = c.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert c.post("/console/login", data={"username": "admin", "password": first.admin_password, "csrf": csrf,
                                          "next": "/console"}).status_code == 303
    size = f"n={a.size}"
    rows: list[tuple[str, float]] = []
    ms, html = timed(c, f"/console/records?{size}")
    rows.append(("first page", ms))
    cursor = f"{deep[0].isoformat()}~{deep[1]}"
    ms, _ = timed(c, f"/console/records?{size}&after={cursor}")
    rows.append((f"deep page (row {int(n * 0.9):,})", ms))
    ms, _ = timed(c, f"/console/records?{size}&before={cursor}")
    rows.append(("deep page, newer direction", ms))
    t0, url, steps = time.perf_counter(), f"/console/records?{size}", 0
    while url and steps < 20:
        html = c.get(url).text
        m = re.search(r'href="([^"]+)" id="page-older"', html)
        url, steps = (m.group(1).replace("&amp;", "&") if m else None), steps + 1
    rows.append((f"walk: {steps} pages, per page", (time.perf_counter() - t0) * 1000 / steps))
    ms, _ = timed(c, f"/console/records?{size}&status=refused")
    rows.append(("filter status=refused (6 %)", ms))
    ms, _ = timed(c, f"/console/records?{size}&status=error")
    rows.append(("filter status=error (1 %)", ms))
    print(f"records page, SQLite, {n:,} usage records, page size {a.size}" +
          (f" (inserted in {ins_s:.1f} s, {n / ins_s:,.0f} rows/s)" if ins_s else ""))
    print("query plan (deep page):", "; ".join(str(p[-1]) for p in plan))
    print(f"| {'request':<36} | {'median ms':>9} |")
    print(f"|{'-' * 38}|{'-' * 10}:|")
    for name, ms in rows:
        print(f"| {name:<36} | {ms:>9.1f} |")


if __name__ == "__main__":
    main()
