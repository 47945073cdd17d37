"""The settings of one run (``hegui assess run`` flags). The API key lives only in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hegui.assessment.errors import AssessmentError


@dataclass(frozen=True, slots=True)
class RunConfig:
    """``endpoint`` is a base URL such as ``http://127.0.0.1:8000/v1``. ``abort_after``: this many
    consecutive answers that show the endpoint down (no HTTP reply, 5xx, 429 after every retry)
    stop the run — three already when nothing has been answered yet."""

    endpoint: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    user: str | None = None
    concurrency: int = 8
    rps: float | None = None
    timeout_s: float = 60.0
    retries: int = 3
    seed: int = 0
    backoff_s: float = 0.5
    abort_after: int = 16

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.retries < 0 or self.timeout_s <= 0 or (self.rps is not None and self.rps <= 0):
            raise AssessmentError(detail="concurrency ≥ 1, retries ≥ 0, timeout > 0 and rps > 0 are required "
                                         "/ 并发数须 ≥ 1、重试次数 ≥ 0、超时与速率须 > 0")
        if not self.endpoint.startswith(("http://", "https://")):
            raise AssessmentError(detail=f"--endpoint must be an http(s) base URL, not {self.endpoint!r} "
                                         "/ 接口地址须为 http(s) URL")

    def public(self) -> dict[str, Any]:
        """The settings as stored in the run's meta (never the API key)."""
        return {"concurrency": self.concurrency, "rps": self.rps, "timeout_s": self.timeout_s,
                "retries": self.retries, "user": self.user, "auth": bool(self.api_key)}
