"""``hegui check``: the obligations register with live evidence, compact by default.

The default fits a screen (one line per duty: id, status in colour, the reason cut to the
terminal width, then a count per status); ``--verbose`` prints the full bilingual table and
``--json`` the machine-readable rows (unchanged).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from hegui.obligations.register import Row

COLOURS = {"met": "green", "not_met": "red", "not_applicable": "yellow", "not_implemented": "yellow"}
LABELS = {"met": "met", "not_met": "not_met", "not_applicable": "n/a", "not_implemented": "not_built"}


def default_lang() -> str:
    """The reasons' language: ``HEGUI_LANG`` if set, else ``zh`` when the locale is Chinese."""
    env = os.environ.get("HEGUI_LANG") or os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return "zh" if env.lower().startswith("zh") else "en"


def _status(value: str, zh: str) -> Text:
    return Text(f"{zh} {LABELS[value]}", style=COLOURS[value])


def summary(rows: list[Row]) -> Text:
    """One line: how many duties are in each status, coloured like the rows."""
    out = Text()
    for i, value in enumerate(COLOURS):
        n = sum(1 for r in rows if r.finding.status.value == value)
        if i:
            out.append(" · ")
        out.append(f"{value}: {n}", style=COLOURS[value] if n else "dim")
    return out


def compact(console: Console, version: str, rows: list[Row], lang: str) -> None:
    """One line a duty; the reason is cut with an ellipsis to the console's width."""
    console.print(f"hegui 合规义务清单 obligations register v{version}", style="bold", no_wrap=True,
                  overflow="ellipsis")
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1), expand=True)
    table.add_column("id", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason", no_wrap=True, overflow="ellipsis", ratio=1)
    for r in rows:
        st = r.finding.status
        reason = r.finding.reason_zh if lang == "zh" else r.finding.reason_en
        table.add_row(r.duty.id, _status(st.value, st.zh), " ".join(reason.split()))
    console.print(table)
    console.print(summary(rows), no_wrap=True, overflow="ellipsis")
    hint = "详情：hegui check --verbose（或 --json）" if lang == "zh" else "details: hegui check --verbose (or --json)"
    console.print(hint, style="dim", no_wrap=True, overflow="ellipsis")


def verbose(console: Console, version: str, rows: list[Row]) -> None:
    """The full table: article, duty and reason in both languages."""
    table = Table(title=f"hegui 合规义务清单 obligations register v{version}", show_lines=False)
    for col in ("ID", "条款 Article", "义务 Duty", "状态 Status", "依据 Evidence"):
        table.add_column(col, overflow="fold")
    for r in rows:
        st = r.finding.status
        table.add_row(r.duty.id, r.duty.article, f"{r.duty.duty_zh}\n{r.duty.duty_en}",
                      f"[{COLOURS[st.value]}]{st.zh}\n{st.value}[/]", f"{r.finding.reason_zh}\n{r.finding.reason_en}")
    console.print(table)
    console.print(summary(rows))


def as_json(rows: list[Row]) -> str:
    return json.dumps([{"id": r.duty.id, "article": r.duty.article, "duty_en": r.duty.duty_en,
                        "duty_zh": r.duty.duty_zh, "status": r.finding.status.value,
                        "reason_en": r.finding.reason_en, "reason_zh": r.finding.reason_zh} for r in rows],
                      ensure_ascii=False, indent=1)
