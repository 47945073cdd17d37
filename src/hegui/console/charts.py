"""Tiny server-rendered SVG charts for the console dashboard (no JavaScript, nothing fetched).

Every text that reaches the SVG is escaped (risk names, labels and titles may come from operator
files); colours are the Okabe–Ito palette, distinguishable with the common colour-vision
deficiencies, and every line also has its own dash pattern and point marker shape. Each chart is an
``<svg role="img">`` with a ``<title>`` and a ``<desc>`` summarising the data for screen readers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "4 4", "1 3", "10 4", "3 6")
STATUS_COLOURS = {"ok": "#009E73", "bad": "#D55E00", "warn": "#E69F00", "none": "#888888"}


@dataclass(frozen=True)
class Series:
    """One line: a name (shown in the legend) and one value per x label (None = no data)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    """One bar; ``target`` draws a marker (e.g. an assessment bar), ``tone`` picks a status colour."""

    label: str
    value: float
    tone: str = ""
    target: float | None = None
    note: str = ""


def percent(v: float) -> str:
    return f"{v:.1%}" if v < 0.1 else f"{v:.0%}"


def _num(v: float) -> str:
    return f"{v:g}" if v != int(v) else str(int(v))


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if v <= step:
            return float(step)
    mag = 10 ** (len(str(int(v))) - 1)
    return float(-(-v // mag) * mag)


def _open(cid: str, w: int, h: int, title: str, desc: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(cid)}" viewBox="0 0 {w} {h}" '
            f'width="100%" role="img" aria-labelledby="{escape(cid)}-t {escape(cid)}-d" '
            f'font-family="system-ui, \'Noto Sans CJK SC\', sans-serif" font-size="11">',
            f'<title id="{escape(cid)}-t">{escape(title)}</title><desc id="{escape(cid)}-d">{escape(desc)}</desc>']


def line_chart(cid: str, title: str, x_labels: Sequence[str], series: Sequence[Series], *,
               fmt: Callable[[float], str] = percent, empty: str = "—", width: int = 640,
               height: int = 260) -> Markup:
    """Lines over a shared x axis (e.g. days), y from 0 to a rounded maximum, with a legend."""
    left, right, top, legend_h = 48, 12, 12, 18 * ((len(series) + 2) // 3)
    bottom = 36 + legend_h
    pw, ph = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    desc = "; ".join(f"{s.name}: " + ", ".join(f"{x} {fmt(v)}" for x, v in zip(x_labels, s.values, strict=False)
                                             if v) for s in series) or empty
    out = _open(cid, width, height, title, desc[:2000])
    ymax = _nice_max(max(values, default=0.0))
    for i in range(5):  # grid and y labels
        y = top + ph - ph * i / 4
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{escape(fmt(ymax * i / 4))}'
                   f'</text>')
    n = max(len(x_labels), 1)
    step = pw / max(n - 1, 1)
    every = max(1, -(-n // 8))
    for i, lab in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            out.append(f'<text x="{left + i * step:.1f}" y="{top + ph + 14}" text-anchor="middle" fill="#333">'
                       f'{escape(lab)}</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#333"/>'
               f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#333"/>')
    if not values:
        out.append(f'<text x="{left + pw / 2:.1f}" y="{top + ph / 2:.1f}" text-anchor="middle" fill="#555">'
                   f'{escape(empty)}</text>')
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        pts = [(left + i * step, top + ph - ph * (v / ymax)) for i, v in enumerate(s.values) if v is not None]
        if pts:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline class="series" data-series="{escape(s.name)}" fill="none" stroke="{colour}" '
                       f'stroke-width="2" stroke-dasharray="{dash}" points="{path}"/>')
        lx = left + (k % 3) * (pw / 3)
        ly = top + ph + 30 + 18 * (k // 3)
        out.append(f'<line x1="{lx:.1f}" x2="{lx + 18:.1f}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
                   f'stroke-width="2" stroke-dasharray="{dash}"/><text x="{lx + 22:.1f}" y="{ly}" fill="#111">'
                   f'{escape(s.name[:40])}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def bar_chart(cid: str, title: str, bars: Sequence[Bar], *, fmt: Callable[[float], str] = _num,
              vmax: float | None = None, empty: str = "—", width: int = 640, target_label: str = "") -> Markup:
    """Horizontal bars with the value (and note) written at the end; optional target markers."""
    row, left, top = 24, 170, 8
    height = top * 2 + row * max(len(bars), 1) + (16 if target_label else 0)
    pw = width - left - 150
    desc = "; ".join(f"{b.label}: {fmt(b.value)}" + (f" ({b.note})" if b.note else "")
                     + (f" / {target_label} {fmt(b.target)}" if b.target is not None else "") for b in bars) or empty
    out = _open(cid, width, height, title, desc[:2000])
    top_value = vmax if vmax is not None else _nice_max(max([b.value for b in bars]
                                                            + [b.target or 0 for b in bars], default=0))
    if not bars:
        out.append(f'<text x="{width / 2:.1f}" y="{top + 14}" text-anchor="middle" fill="#555">{escape(empty)}</text>')
    for i, b in enumerate(bars):
        y = top + i * row
        colour = STATUS_COLOURS.get(b.tone) or PALETTE[i % len(PALETTE)]
        w = pw * min(b.value / top_value, 1.0) if top_value else 0
        out.append(f'<g class="bar" data-label="{escape(b.label)}" data-value="{b.value:g}">'
                   f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" fill="#111">{escape(b.label[:28])}</text>'
                   f'<rect x="{left}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 8}" fill="{colour}"/>'
                   f'<text x="{left + w + 4:.1f}" y="{y + 15}" fill="#111">{escape(fmt(b.value))}'
                   f'{(" <tspan class=" + chr(34) + "data" + chr(34) + ">" + str(escape(b.note)) + "</tspan>") if b.note else ""}</text>')
        if b.target is not None and top_value:
            tx = left + pw * min(b.target / top_value, 1.0)
            out.append(f'<line class="target" x1="{tx:.1f}" x2="{tx:.1f}" y1="{y + 1}" y2="{y + row - 1}" '
                       f'stroke="#000" stroke-width="2" stroke-dasharray="3 2"/>')
        out.append("</g>")
    if target_label:
        y = top + row * len(bars) + 10
        out.append(f'<line x1="{left}" x2="{left + 14}" y1="{y}" y2="{y}" stroke="#000" stroke-width="2" '
                   f'stroke-dasharray="3 2"/><text x="{left + 18}" y="{y + 4}" fill="#111">{escape(target_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
