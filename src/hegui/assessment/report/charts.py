"""Charts of the report: horizontal bars per risk (pass rate) and per aspect (refusal rate) with
the profile bar as a line, as inline SVG. Text stays text (``svg.fonttype = none``) so the page's
CJK font draws it and the PDF keeps it extractable; matplotlib measures it with the installed Noto
Sans CJK SC (Debian ``fonts-noto-cjk``) or, for labels it covers, the shipped subset font.
"""

from __future__ import annotations

import io
import logging
import subprocess
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)
CJK_FAMILY = "Noto Sans CJK SC"


@lru_cache(maxsize=1)
def cjk_font_file() -> Path | None:
    """The installed Noto Sans CJK SC file (matplotlib's font list, then ``fc-match``), or None."""
    from matplotlib import font_manager

    for f in font_manager.fontManager.ttflist:
        if f.name == CJK_FAMILY and f.style == "normal" and f.weight in (400, "normal", "regular"):
            return Path(f.fname)
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", f"{CJK_FAMILY}:style=Regular"], capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return Path(out) if out and "CJK" in out and Path(out).is_file() else None


def _subset_font() -> tuple[Path, str]:
    root = Path(str(resources.files("hegui.data") / "fonts"))
    return root / "NotoSansCJKsc-Bold-subset.otf", (root / "covered-chars.txt").read_text(encoding="utf-8")


def _family(labels: Sequence[str]) -> str:
    """The font family to measure ``labels`` with; warns when CJK text has no font."""
    from matplotlib import font_manager

    installed = cjk_font_file()
    if installed is not None:
        font_manager.fontManager.addfont(str(installed))
        return CJK_FAMILY
    path, covered = _subset_font()
    font_manager.fontManager.addfont(str(path))
    missing = {c for label in labels for c in label if ord(c) > 0x7F and c not in covered}
    if missing:
        log.warning("no CJK font installed (apt install fonts-noto-cjk); %d label characters are not in the "
                    "shipped subset font and may show as boxes", len(missing))
    return font_manager.FontProperties(fname=str(path)).get_name()


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, bar: float | None, title: str,
              bar_label: str = "", scale: float = 100, xmax: float | None = 100, xlabel: str = "%") -> str:
    """A horizontal bar chart (``value × scale`` on an axis to ``xmax``, 0–100 % by default; ``None``
    fits the data) with a dashed line at ``bar`` (none when ``None``), as an ``<svg>`` element.
    ``None`` values (no items) draw no bar."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    family = _family([*labels, title, bar_label])
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": [family, "DejaVu Sans"],
                                "svg.hashsalt": "hegui", "text.usetex": False}):
        fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(labels) + 1.2))
        try:
            ys = list(range(len(labels)))[::-1]
            ax.barh(ys, [scale * (v or 0) for v in values], color=["#4a7bb7" if v is not None else "#ccc" for v in values])
            if bar is not None:
                ax.axvline(scale * bar, color="#c0392b", linestyle="--", linewidth=1.2, label=bar_label)
            ax.set_yticks(ys, [str(x) for x in labels])
            for t in ax.get_yticklabels():
                t.set_parse_math(False)
            if xmax is not None:
                ax.set_xlim(0, xmax)
            ax.set_xlabel(xlabel).set_parse_math(False)
            ax.set_title(title, fontsize=10).set_parse_math(False)
            if bar is not None:
                ax.legend(loc="lower right", fontsize=8).get_texts()[0].set_parse_math(False)
            ax.tick_params(axis="y", labelsize=8)
            fig.tight_layout()
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]
