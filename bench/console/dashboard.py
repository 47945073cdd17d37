"""Dashboard query speed with N usage records (default 1,000,000) in SQLite.

    PYTHONPATH=src python bench/console/dashboard.py [--rows 1000000] [--db /tmp/dash.db]

Rows spread over the last 30 days (3 % refused, 1 % cut, each with one or two risks); prints
a table of the aggregate queries the dashboard runs and the SVG rendering of the two rate charts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from hegui.console import dashboard
from hegui.storage.db import Database

RISKS = ["A4f", "A2a", "A3b", "A5a", "A4c", "A2c", "A4a"]


def fill(path: Path, rows: int) -> None:
    con = sqlite3.connect(path)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rnd = random.Random(7)
    batch = []
    for i in range(rows):
        x = rnd.random()
        status = "refused" if x < 0.03 else "cut" if x < 0.04 else "ok"
        risks = [] if status == "ok" else [{"id": r} for r in rnd.sample(RISKS, rnd.choice((1, 2)))]
        when = now - dt.timedelta(seconds=rnd.randrange(30 * 86400))
        batch.append((f"{i:032x}", f"req{i}", "chat", status, json.dumps(risks), when.strftime("%Y-%m-%d %H:%M:%S.%f")))
        if len(batch) == 50_000:
            con.executemany("INSERT INTO usage_records (id, request_id, endpoint, stream, status, risks, prompt_chars,"
                            " output_chars, safety_off, created_at) VALUES (?, ?, ?, 0, ?, ?, 0, 0, 0, ?)", batch)
            batch.clear()
    if batch:
        con.executemany("INSERT INTO usage_records (id, request_id, endpoint, stream, status, risks, prompt_chars,"
                        " output_chars, safety_off, created_at) VALUES (?, ?, ?, 0, ?, ?, 0, 0, 0, ?)", batch)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def timed(fn, repeat: int = 3) -> tuple[float, object]:  # noqa: ANN001
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", default="")
    a = ap.parse_args()
    path = Path(a.db or Path(tempfile.mkdtemp()) / "dash.db")
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.session() as s:
        have = s.execute(dashboard.select(dashboard.func.count()).select_from(dashboard.UsageRecord)).scalar_one()
    if have < a.rows:
        t0 = time.perf_counter()
        fill(path, a.rows - have)
        print(f"filled {a.rows - have:,} rows in {time.perf_counter() - t0:.1f} s ({path})")
    today = dt.date.today()
    rows = []
    with db.session() as s:
        t0 = time.perf_counter()
        dashboard._PAST.clear()
        dashboard.rates(s)
        rows.append(("rates, first load of the day: 29 closed days + today", time.perf_counter() - t0))
        t, data = timed(lambda: dashboard.rates(s))
        rows.append(("rates, every later page: today's rows only (closed days cached)", t))
        t, _ = timed(lambda: dashboard.deadline_buckets(s, today))
        rows.append(("open cases by days left (GROUP BY due_on)", t))
        t, _ = timed(lambda: dashboard.sanctions_by_kind(s))
        rows.append(("active sanctions by kind", t))
    t, _ = timed(lambda: dashboard.rate_charts(data, lambda k: k, "en"))
    rows.append(("SVG: rates + top-5 risks line charts", t))
    print(f"\nusage records: {a.rows:,} (SQLite, {os.cpu_count()} CPUs)")
    print(f"{'step':<66} {'best of 3':>10}")
    for name, t in rows:
        print(f"{name:<66} {t * 1000:>8.0f} ms")


if __name__ == "__main__":
    main()
