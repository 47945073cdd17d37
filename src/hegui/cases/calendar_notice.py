"""The one-line calendar notice: which deadlines are provisional and the fix (Interim Measures
Art 15 time limits; see docs/cases.md "Deadlines in working days").

A :class:`Notice` is a ``str`` ("zh / en", for logs and old callers) that also carries each
language, so a page can show only its own.
"""

from __future__ import annotations

import datetime as dt

DOC = "docs/cases.md"
FIX_ZH = "处理：hegui cases calendar import 文件.yaml（见 docs/cases.md）"
FIX_EN = "Fix: hegui cases calendar import FILE.yaml (see docs/cases.md)"


class Notice(str):
    """A bilingual one-line notice; ``str(n)`` is "zh / en"."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str) -> Notice:
        obj = super().__new__(cls, f"{zh} / {en}")
        obj.zh, obj.en = zh, en
        return obj

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def gap_notice(year: int, first_receipt: dt.date | None) -> Notice:
    """``first_receipt`` None: the current year is missing, every deadline is provisional;
    otherwise cases received from that day on have deadlines reaching into ``year``."""
    if first_receipt is None:
        zh = f"{year} 年节假日安排未导入：所有办理期限均为暂定（仅按周末计算）。"
        en = f"{year} public holidays not imported: every deadline is provisional (weekends only)."
    else:
        zh = f"{year} 年节假日安排未导入：{first_receipt} 起受理的案件期限为暂定（仅按周末计算）。"
        en = (f"{year} public holidays not imported: deadlines of cases received from {first_receipt} on "
              f"are provisional (weekends only).")
    return Notice(f"{zh}{FIX_ZH}", f"{en} {FIX_EN}")
