"""The corpus report page in Chinese (default) or English and its PDF (Interim Measures Art 19:
sources, scale and types shown to the regulator; GB/T 45654 §5.1, B.2.1).

Every field is attacker-controlled (source ids, licences, opt-out request names, PI types): the
template autoescapes everything; the only markup inserted as is comes from matplotlib, whose SVG
writer escapes the labels. The PDF goes through the assessment report's renderer, which fetches
nothing but the CJK font and embeds its subset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from hegui.assessment.report.charts import CJK_FAMILY, bar_chart, cjk_font_file
from hegui.assessment.report.clauses import pct
from hegui.corpus.report.strings import STRINGS

_env = Environment(loader=PackageLoader("hegui", "data/corpus/templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["pct"] = pct
_MAX_BARS = 30


def _count_chart(counts: Mapping[str, Any], title: str, xlabel: str) -> str | None:
    rows = sorted(((str(k)[:60], v) for k, v in (counts or {}).items() if isinstance(v, (int, float))),
                  key=lambda kv: (-kv[1], kv[0]))[:_MAX_BARS]
    if not rows:
        return None
    return bar_chart([k for k, _ in rows], [float(v) for _, v in rows], bar=None, title=title, scale=1, xmax=None,
                     xlabel=xlabel)


def charts(report: Mapping[str, Any], lang: str = "zh") -> list[str]:
    """SVG charts: harmful share per source with the ceiling, licence mix, PI by type, opt-outs
    honoured, exclusions by reason (the empty ones are left out)."""
    t = STRINGS[lang]
    out = []
    srcs = [s for s in report.get("sources", []) if isinstance(s, Mapping)][:_MAX_BARS]
    rule = (report.get("rules") or {}).get("source_share") or {}
    ceiling = rule.get("max") if isinstance(rule.get("max"), (int, float)) else 0.05
    if srcs:
        shares = [s.get("harmful_share") if isinstance(s.get("harmful_share"), (int, float)) else None for s in srcs]
        top = max([v for v in shares if v is not None] + [ceiling])
        out.append(bar_chart([str(s.get("id", "?"))[:60] for s in srcs], shares, bar=ceiling, title=t["chart_share"],
                             bar_label=f"{t['ceiling']} {pct(ceiling)}", xmax=min(100.0, 100 * top * 1.25 + 0.5)))
    for key, title in (("licences", "chart_licences"), ("pi_types", "chart_pi"), ("optouts", "chart_optouts"),
                       ("reasons", "chart_reasons")):
        svg = _count_chart(report.get(key) or {}, t[title], t["axis_records"])
        if svg:
            out.append(svg)
    return out


def render_corpus_html(report: Mapping[str, Any], *, lang: str = "zh", with_charts: bool = True) -> str:
    """The report page in ``lang`` (``zh`` or ``en``)."""
    if lang not in STRINGS:
        raise ValueError(f"lang must be one of {sorted(STRINGS)}")
    font = cjk_font_file()
    return _env.get_template("report.html.j2").render(
        r=report, t=STRINGS[lang], lang=lang, charts=charts(report, lang) if with_charts else [],
        font_url=font.as_uri() if font else "", font_family=CJK_FAMILY,
        rendered=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"))


def render_corpus_pdf(html: str, path: Path) -> Path:
    """Write ``html`` as a PDF with the CJK font subset embedded, atomically, 0600."""
    from hegui.assessment.report.render import render_pdf

    return render_pdf(html, Path(path))
