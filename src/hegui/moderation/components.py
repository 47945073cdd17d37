"""Optional moderation components (classifier, PI recognizers): loading and health.

Fail closed (GB/T 45654 §7; Interim Measures Art 14): a component that was asked for but cannot
load, or that errors on a call, is reported here and the engine marks the verdict ``degraded`` so
the policy's ``on_degraded`` action applies. Switching one off (``None``) is a decision, not a
failure: it shows as ``disabled``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("hegui.moderation.engine")

FAILURE_LOG_EVERY_S = 60.0  # a failing component is logged at most this often (with a count)


def load_component(kind: str, spec: Any) -> tuple[Any, str]:
    """Load the classifier (``"default"``: the cascade; ``"fast"``: the n-gram model alone) or the
    recognizer registry; (None, "disabled") when switched off,
    (None, "unavailable: …") when it cannot load (the engine then marks verdicts degraded)."""
    if spec is None:
        return None, "disabled"
    if spec not in ("default", "fast"):
        return spec, "given"
    try:
        if kind == "classifier" and spec == "fast":  # the n-gram model alone (operator's choice)
            from hegui.moderation.classifier import Classifier  # type: ignore[attr-defined]

            return Classifier.load_default(), "loaded (fast stage only)"
        if kind == "classifier":  # the cascade: n-gram model + semantic stage + response judge
            from hegui.moderation.semantic.cascade import CascadeClassifier

            return CascadeClassifier.load_default(), "loaded (cascade)"
        from hegui.moderation.recognizers import RecognizerRegistry  # type: ignore[attr-defined]

        return RecognizerRegistry.default(), "loaded"
    except Exception as exc:  # noqa: BLE001 - reported and failed closed, never silently skipped
        log.error("moderation %s unavailable; verdicts are degraded and on_degraded applies: %s", kind, exc)
        return None, f"unavailable: {type(exc).__name__}: {exc}"


class ComponentHealth:
    """Which components could not load (``unavailable``) and which failed on their latest call
    (``failing``: component → error), with rate-limited error logging."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.unavailable = tuple(k for k, st in statuses.items() if st.startswith("unavailable"))
        self.failing: dict[str, str] = {}
        self._log: dict[str, tuple[float, int]] = {}

    def failed(self, kind: str, exc: BaseException) -> None:
        self.failing[kind] = f"{type(exc).__name__}: {exc}"[:500]
        now = time.monotonic()
        last, missed = self._log.get(kind, (0.0, 0))
        if now - last >= FAILURE_LOG_EVERY_S or last == 0.0:
            log.error("moderation %s failed (%d more since last report); verdict degraded, on_degraded applies: %s",
                      kind, missed, self.failing[kind])
            self._log[kind] = (now, 0)
        else:
            self._log[kind] = (last, missed + 1)

    def ok(self, kind: str) -> None:
        self.failing.pop(kind, None)
