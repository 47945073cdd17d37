"""The one record the request pipeline works on: an :class:`Exchange` between a client and a model.

Each step reads what earlier steps put here and adds its own part: the parsed request (the reader),
the end user and policy profile (:class:`~.identity.Admit`), the input verdict, the upstream's
answer or stream, the output verdict and blocklist hit, the labelled answer, and the pending usage
record that :class:`~.record.Commit` writes (Interim Measures Art 11; CSL Art 21).
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hegui.errors import HeguiError
from hegui.gateway.upstream import ChatResult, SpeechResult, Upstream
from hegui.hooks import BlockHit
from hegui.identity.test_channels import ChannelGrant
from hegui.moderation.base import Action, StreamChecker, Verdict
from hegui.records.usage import PendingRecord
from hegui.storage.models import EndUser


class Flow(enum.Enum):
    """What a step tells the pipeline: go on, or stop because the answer is decided (a refused
    input, a taken-down image). After a stop only the steps that finish every answer run."""

    CONTINUE = "continue"
    STOP = "stop"


@dataclass(eq=False)
class Exchange:
    endpoint: str  # chat.completions | images.generations | audio.speech
    app_id: str
    lang: str = "zh"
    read_body: Callable[[], Awaitable[bytes]] | None = None  # read by the first step, inside the pipeline
    # the regulator test channel of the key (security-requirements §9), resolved at authentication
    # from the key's own row; nothing in the request can set or change it
    channel: ChannelGrant | None = None
    request_id: str = field(default_factory=lambda: "req-" + uuid.uuid4().hex[:24])
    started: float = field(default_factory=time.perf_counter)
    # the request (reader step)
    body: dict[str, Any] = field(default_factory=dict)
    stream: bool = False
    external_user: str | None = None
    upstream: Upstream | None = None
    # identity (Admit)
    user: EndUser | None = None  # detached; reused by Commit's escalation hook
    profile: str = "default"
    notice: dict[str, str] | None = None  # an anti-dependence reminder that goes with the answer
    # moderation and the model
    input_verdict: Verdict | None = None
    result: ChatResult | None = None  # a whole answer
    pieces: AsyncIterator[str] | None = None  # a streamed answer; each step wraps it
    generated: list[str] = field(default_factory=list)  # streams: every piece the upstream produced
    checker: StreamChecker | None = None
    output_verdict: Verdict | None = None
    block: BlockHit | None = None  # the answer matched a taken-down item (regeneration blocklist)
    copy_match: Any = None  # the answer copied a protected work (hegui.provenance.works.CopyMatch)
    images: list[bytes] = field(default_factory=list)
    speech: SpeechResult | None = None  # audio.speech: the upstream's PCM, before labels
    audio: bytes = b""  # audio.speech: the labelled, encoded file that leaves
    audio_format: str = ""  # its format: mp3 | wav | flac | opus
    # the answer as it leaves
    answer: str = ""  # whole answers: the text before labels; streams: the text released so far
    head: str = ""  # streams: the explicit label sent before the answer
    tail: list[str] = field(default_factory=list)  # streams: text sent with the final event
    sent: list[str] = field(default_factory=list)  # streams: text handed to the client, labels included
    outputs: list[dict[str, Any]] = field(default_factory=list)  # images: one entry per labelled image
    finish: str = "stop"
    status: str = "ok"  # ok | cut | refused | error | client_closed (the record's status)
    failure: HeguiError | None = None  # the error that ended the request before an answer: a failure record
    cut_short: bool = False  # ended by an exception mid-way (client gone, cancelled, failed mid-answer)
    record: PendingRecord = field(init=False)
    committed: bool = False  # the usage record was written (or its one write was attempted)

    def __post_init__(self) -> None:
        self.record = PendingRecord(request_id=self.request_id, endpoint=self.endpoint, app_id=self.app_id)

    @property
    def user_id(self) -> str | None:
        return self.record.user_id

    @property
    def safety_off(self) -> bool:
        """Moderation is bypassed: only for a safety-off test channel (labels and the record are not)."""
        return self.channel is not None and self.channel.safety_off

    @property
    def guided(self) -> bool:
        """The input was guided (正向引导): the answer is checked strictly."""
        return self.input_verdict is not None and self.input_verdict.action is Action.GUIDE

    def cut(self, finish: str = "content_filter") -> None:
        """The answer ends here, by moderation or the blocklist."""
        self.status, self.finish = "cut", finish

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000
