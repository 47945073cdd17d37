"""The filing-grade report page (TC260-003 §9.1; GB/T 45654 Annex B) in Chinese (default) or
English, and its PDF through WeasyPrint with the CJK font embedded.

Every field of a report is attacker-controlled (prompts, answers, ids, file names, model names):
the template autoescapes everything; the only markup inserted as is comes from matplotlib, whose
SVG writer escapes the labels. WeasyPrint may fetch nothing but the CJK font and inline data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from hegui.assessment.models import ASPECTS
from hegui.assessment.report.charts import CJK_FAMILY, bar_chart, cjk_font_file
from hegui.assessment.report.clauses import pct
from hegui.assessment.report.strings import STRINGS
from hegui.fileio import atomic_path
from hegui.moderation.taxonomy import default_taxonomy

_env = Environment(loader=PackageLoader("hegui", "data/assessment/templates"), autoescape=select_autoescape(default=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["pct"] = pct
BANKS = ("generated", "should_refuse", "non_refusal")


def _names(lang: str) -> dict[str, str]:
    tax = default_taxonomy()
    names = {r.id: (r.name_zh if lang == "zh" else r.name_en) for r in tax.risks}
    names.update({c.id: (c.name_zh if lang == "zh" else c.name_en) for c in tax.categories})
    names.update({a.id: (a.name_zh if lang == "zh" else a.name_en) for a in ASPECTS})
    return names


def _known_rows(groups: Mapping[str, Any], key: str, names: Mapping[str, str]) -> tuple[list[str], list[float | None]]:
    """Chart rows for the groups the taxonomy or aspect list knows (others are in the tables)."""
    rows = [(f"{g} {names[g]}", v.get(key)) for g, v in groups.items() if g in names and isinstance(v, Mapping)]
    return [r[0] for r in rows], [r[1] if isinstance(r[1], (int, float)) else None for r in rows]


def _charts(report: Mapping[str, Any], t: Mapping[str, str], names: Mapping[str, str]) -> list[str]:
    out = []
    for bank, group, key in (("generated", "by_risk", "pass_rate"), ("should_refuse", "by_risk", "refusal_rate"),
                             ("non_refusal", "by_aspect", "refusal_rate")):
        sec = report.get(bank) or {}
        labels, values = _known_rows(sec.get(group) or {}, key, names)
        if labels and isinstance(sec.get("bar"), (int, float)):
            out.append(bar_chart(labels, values, bar=float(sec["bar"]), title=t[f"chart_{bank}"],
                                 bar_label=f"{t['bar']} {pct(sec['bar'])}"))
    return out


def render_html(report: Mapping[str, Any], *, lang: str = "zh", charts: bool = True) -> str:
    """The report page in ``lang`` (``zh`` or ``en``)."""
    if lang not in STRINGS:
        raise ValueError(f"lang must be one of {sorted(STRINGS)}")
    t = STRINGS[lang]
    names = _names(lang)
    font = cjk_font_file()
    return _env.get_template("report.html.j2").render(
        r=report, t=t, lang=lang, names=names, banks=BANKS, charts=_charts(report, t, names) if charts else [],
        font_url=font.as_uri() if font else "", font_family=CJK_FAMILY,
        rendered=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"))


def _fetcher(allowed: set[str]) -> Any:
    """A URL fetcher that loads ``data:`` URLs and the ``allowed`` ones only (WeasyPrint ≥ 68 has a
    ``URLFetcher`` class, older releases a ``default_url_fetcher`` function)."""
    from weasyprint import urls

    def permitted(url: str) -> None:
        if not (url.startswith("data:") or url in allowed):
            raise ValueError(f"report rendering fetches nothing but its font (refused: {url[:80]})")

    if hasattr(urls, "URLFetcher"):
        class _Fetcher(urls.URLFetcher):  # type: ignore[misc, name-defined]
            def fetch(self, url: str, headers: Any = None) -> Any:
                permitted(url)
                return super().fetch(url, headers)
        return _Fetcher(allowed_protocols={"data", "file"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        permitted(url)
        return urls.default_url_fetcher(url, *args, **kwargs)  # type: ignore[attr-defined]
    return fetch


def render_pdf(html: str, path: Path) -> Path:
    """Write ``html`` as a PDF (WeasyPrint; the CJK font subset embedded), atomically."""
    from weasyprint import HTML

    font = cjk_font_file()
    allowed = {font.as_uri()} if font else set()
    with atomic_path(path, mode=0o600) as tmp:
        HTML(string=html, url_fetcher=_fetcher(allowed)).write_pdf(tmp)
    return Path(path)
