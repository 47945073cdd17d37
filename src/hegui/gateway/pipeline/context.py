"""Per-request state handed from step to step."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from hegui.records.usage import PendingRecord
from hegui.storage.models import EndUser


@dataclass
class RequestContext:
    endpoint: str
    app_id: str
    lang: str = "zh"
    request_id: str = field(default_factory=lambda: "req-" + uuid.uuid4().hex[:24])
    started: float = field(default_factory=time.perf_counter)
    user_id: str | None = None
    user: EndUser | None = None  # loaded by the identity gate (detached); reused by the record's hooks
    external_user: str | None = None
    profile: str = "default"
    training_allowed: bool = True
    record: PendingRecord | None = None
    committed: bool = False  # the usage record was written (or its one write was attempted)

    def __post_init__(self) -> None:
        self.record = PendingRecord(request_id=self.request_id, endpoint=self.endpoint, app_id=self.app_id)

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000
