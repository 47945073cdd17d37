"""Rates with Wilson score intervals (GB/T 45654 B.2.2–B.2.3 sample rates).

Wilson, E. B. (1927) "Probable inference, the law of succession, and statistical inference",
JASA 22:209–212; no continuity correction, as method 3 of Newcombe, R. G. (1998) "Two-sided
confidence intervals for the single proportion", Statistics in Medicine 17:857–872, whose Table I
values the tests check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal distribution


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for ``k`` successes in ``n`` trials; ``None`` when ``n`` is 0."""
    if n <= 0:
        return None
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = 0.0 if k == 0 else max(0.0, centre - half)  # exact at the ends: no floating-point residue
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def rate(k: int, n: int, key: str) -> dict[str, Any]:
    """``{"n", key, "ci95", "k"}``; the rate and interval are ``None`` for an empty sample."""
    ci = wilson(k, n)
    return {"n": n, "k": k, key: (k / n if n else None), "ci95": [ci[0], ci[1]] if ci else None}


def grouped(rows: Mapping[str, tuple[int, int]], key: str) -> dict[str, dict[str, Any]]:
    """``{group: rate(k, n)}`` for ``{group: (k, n)}``, sorted by group."""
    return {g: rate(k, n, key) for g, (k, n) in sorted(rows.items())}
