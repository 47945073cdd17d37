"""The request path as one pipeline (issue 9): small steps over one Exchange, an explicit stop that
skips to the finishing steps, Commit exactly once in the pipeline's ``finally`` whatever ends the
request; the enforcement hooks are told the function explicitly; images run the same steps."""

import asyncio
import contextlib
from typing import ClassVar

import pytest
from sqlalchemy import select

from hegui.errors import UpstreamError
from hegui.gateway.pipeline.base import READY, Pipeline, Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.hooks import BlockHit, NoEnforcement
from hegui.storage.models import UsageRecord


class Mark(Step):
    """Appends its name to ``seen``; returns ``flow`` or raises ``fail``."""

    name: ClassVar[str] = "mark"

    def __init__(self, label: str, seen: list[str], flow: Flow = Flow.CONTINUE, *, finishing: bool = False,
                 fail: BaseException | None = None) -> None:
        self.label, self.seen, self.flow, self.fail = label, seen, flow, fail
        self.finishing = finishing

    async def run(self, ex: Exchange) -> Flow:
        self.seen.append(self.label)
        if self.fail is not None:
            raise self.fail
        return self.flow


class Streams(Step):
    """Gives the exchange a stream of three pieces that notes when it is closed."""

    name: ClassVar[str] = "streams"

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    async def run(self, ex: Exchange) -> Flow:
        async def pieces():
            try:
                for p in ("a", "b", "c"):
                    yield p
            finally:
                self.seen.append("pieces closed")

        ex.pieces = pieces()
        return Flow.CONTINUE


class Recorder:
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen
        self.calls: list[tuple[str, bool, object]] = []

    async def run(self, ex: Exchange) -> None:
        self.seen.append("commit")
        self.calls.append((ex.status, ex.cut_short, ex.failure))


def _drain(pipeline: Pipeline, ex: Exchange) -> list[str]:
    async def main() -> list[str]:
        async with contextlib.aclosing(pipeline.run(ex)) as run:
            return [piece async for piece in run]

    return asyncio.run(main())


def test_stop_skips_to_the_finishing_steps_and_commits_once():
    seen: list[str] = []
    commit = Recorder(seen)
    steps = [Mark("admit", seen), Mark("input", seen, Flow.STOP), Mark("upstream", seen),
             Mark("output", seen), Mark("label", seen, finishing=True)]
    assert _drain(Pipeline(steps, commit), Exchange(endpoint="chat.completions", app_id="a")) == [READY]
    assert seen == ["admit", "input", "label", "commit"] and len(commit.calls) == 1


def test_an_error_before_the_answer_is_a_failure_committed_in_finally():
    seen: list[str] = []
    commit = Recorder(seen)
    err = UpstreamError(detail="down")
    pipeline = Pipeline([Mark("admit", seen), Mark("upstream", seen, fail=err), Mark("label", seen)], commit)
    with pytest.raises(UpstreamError):
        _drain(pipeline, Exchange(endpoint="chat.completions", app_id="a"))
    assert seen == ["admit", "upstream", "commit"] and commit.calls == [("ok", False, err)]


def test_a_stream_closed_mid_answer_is_committed_after_its_pieces_are_closed():
    seen: list[str] = []
    commit = Recorder(seen)
    ex = Exchange(endpoint="chat.completions", app_id="a")

    async def main() -> list[str]:
        run = Pipeline([Streams(seen)], commit).run(ex)
        got = [await run.__anext__(), await run.__anext__()]
        await run.aclose()  # the client went away
        return got

    assert asyncio.run(main()) == [READY, "a"]
    assert seen == ["pieces closed", "commit"] and commit.calls == [("client_closed", True, None)]


def test_an_unexpected_error_mid_stream_keeps_the_answer_so_far():
    seen: list[str] = []
    commit = Recorder(seen)
    ex = Exchange(endpoint="chat.completions", app_id="a")
    pipeline = Pipeline([Streams(seen)], commit)

    async def main() -> None:
        async with contextlib.aclosing(pipeline.run(ex)) as run:
            await run.__anext__()
            await run.__anext__()
            await run.athrow(RuntimeError("boom"))

    with pytest.raises(RuntimeError):
        asyncio.run(main())
    assert commit.calls == [("error", True, None)] and ex.record.error_code == "HEGUI_ERROR"


class Recording(NoEnforcement):
    """Remembers the function each identity check names; blocks the image it is told to."""

    def __init__(self, blocked_image_index: int | None = None) -> None:
        self.functions: list[str | None] = []
        self.images = 0
        self.blocked_image_index = blocked_image_index

    def check_user(self, s, user, function):  # noqa: ANN001, ANN201
        self.functions.append(function)

    def blocked_image(self, data: bytes) -> BlockHit | None:
        index, self.images = self.images, self.images + 1
        return BlockHit("entry-1", "near", 0.97) if index == self.blocked_image_index else None


def test_the_identity_check_is_told_the_function_used(gateway):
    gateway.services.enforcement = hooks = Recording()
    assert gateway.chat("你好").status_code == 200
    r = gateway.post("/v1/images/generations", {"prompt": "a lake", "user": "demo-user", "size": "64x64"})
    assert r.status_code == 200, r.text
    assert hooks.functions == ["chat", "images"]


def test_a_taken_down_image_stops_before_any_image_is_labelled_or_saved(gateway):
    gateway.services.enforcement = Recording(blocked_image_index=1)
    r = gateway.post("/v1/images/generations", {"prompt": "a lake", "user": "demo-user", "size": "64x64", "n": 2})
    assert r.status_code == 400 and r.json()["error"]["code"] == "CONTENT_REFUSED"
    outputs = gateway.services.outputs_dir
    assert not outputs.exists() or not list(outputs.iterdir())  # the first image did not leave either
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).where(UsageRecord.endpoint == "images.generations")).one()
    assert rec.status == "cut" and rec.output_action == "block" and rec.risks[-1]["id"] == "blocklist"
