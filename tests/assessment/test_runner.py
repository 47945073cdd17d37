"""The assessment runner against a real local HTTP stub: sampling, answer mapping, retries,
concurrency, resume, the state's refusals and permissions, and a kill -9 mid-run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hegui.assessment.errors import AssessmentError
from hegui.assessment.models import AnswerStatus, BankItem, BankKind
from hegui.assessment.profiles import load_profile
from hegui.assessment.runner import (EndpointUnusable, RunConfig, RunState, allocate, ask_all, sample_items,
                                     stratum)
from tests.assessment.stub_openai import Stub, serve

PROFILE = load_profile("gbt45654-2025")
RISKS = ["A1a", "A1b", "A2a", "A3a", "A4a", "A5a", "A5b"]


def bank(kind: BankKind, sizes: dict[str, int], prefix: str = "") -> list[BankItem]:
    out = []
    for key, n in sizes.items():
        for i in range(n):
            extra = {"aspect": key} if kind is BankKind.NON_REFUSAL else {"risk": key}
            out.append(BankItem(id=f"{prefix}{kind.value}-{key}-{i}", prompt=f"ok:{kind.value}-{key}-{i}", bank=kind,
                                **extra))
    return out


def items_of(prompts: list[str]) -> list[BankItem]:
    return [BankItem(id=f"q{i}", prompt=p, bank=BankKind.GENERATED, risk="A5a") for i, p in enumerate(prompts)]


def meta(url: str, **over: object) -> dict:
    return {"endpoint": url, "model": "stub", "profile": {"id": PROFILE.id, "version": PROFILE.version}, "seed": 1,
            "banks": [{"file": "b.jsonl", "sha256": "a" * 64}], **over}


def run(url: str, state: RunState, **cfg: object):
    config = RunConfig(endpoint=url, model="stub", backoff_s=0.01, **cfg)
    return asyncio.run(ask_all(config, state))


# -- sampling (GB/T 45654 B.2.2 / B.2.3) -------------------------------------------------------------

def test_sample_sizes_strata_and_under_size():
    gen = bank(BankKind.GENERATED, {"A1a": 900, "A2a": 600, "A5a": 495, "A5b": 5})
    ref = bank(BankKind.SHOULD_REFUSE, {"A1a": 150, "A1b": 100})  # 250 < 300: whole, under size
    non = bank(BankKind.NON_REFUSAL, {a: 40 for a in ("history", "health", "age", "culture", "gender",
                                                     "customs", "beliefs", "geography", "heroes")})
    s = sample_items(gen + ref + non, PROFILE, seed=3)
    g = s.by_bank[BankKind.GENERATED]
    assert (g.n_bank, g.n_sampled, g.under_size) == (2000, 1000, False)
    assert s.by_bank[BankKind.SHOULD_REFUSE].n_sampled == 250 and s.by_bank[BankKind.SHOULD_REFUSE].under_size
    assert s.by_bank[BankKind.NON_REFUSAL].n_sampled == 300 and not s.by_bank[BankKind.NON_REFUSAL].under_size
    per = Counter(stratum(it) for it in s.items if it.bank is BankKind.GENERATED)
    assert per == {"A1a": 450, "A2a": 300, "A5a": 248, "A5b": 2}  # proportional; the .5 tie by name
    non_per = Counter(stratum(it) for it in s.items if it.bank is BankKind.NON_REFUSAL)
    assert len(non_per) == 9 and max(non_per.values()) - min(non_per.values()) <= 1
    assert len({it.id for it in s.items}) == len(s.items)


def test_sample_is_deterministic_and_seeded():
    gen = bank(BankKind.GENERATED, {r: 400 for r in RISKS})
    a = [it.id for it in sample_items(gen, PROFILE, seed=5).items]
    assert a == [it.id for it in sample_items(list(gen), PROFILE, seed=5).items]
    assert a != [it.id for it in sample_items(gen, PROFILE, seed=6).items]
    shuffled = list(reversed(gen))  # the read order changes the asking order, not the choice
    assert set(a) == {it.id for it in sample_items(shuffled, PROFILE, seed=5).items}


def test_allocation_gives_every_stratum_a_slot():
    alloc = allocate({"big": 10_000, "tiny1": 1, "tiny2": 2}, 100)
    assert sum(alloc.values()) == 100 and alloc["tiny1"] == 1 and alloc["tiny2"] >= 1
    assert allocate({"a": 5, "b": 5, "c": 5}, 2) == {"a": 1, "b": 1, "c": 0}
    assert allocate({"a": 3, "b": 4}, 10) == {"a": 3, "b": 4}


def test_missing_bank_is_flagged_under_size():
    s = sample_items(bank(BankKind.GENERATED, {"A5a": 10}), PROFILE, seed=1)
    assert s.by_bank[BankKind.SHOULD_REFUSE].under_size and s.by_bank[BankKind.SHOULD_REFUSE].n_bank == 0
    assert s.by_bank[BankKind.GENERATED].under_size and len(s.items) == 10


# -- answers mapped -----------------------------------------------------------------------------------

@pytest.fixture
def stub():
    with serve(Stub()) as s:
        yield s


def test_answers_are_mapped(stub: Stub, tmp_path: Path):
    prompts = ["ok:1", "filter:1", "refuse400:1", "nonjson:1", "empty:1", "nochoices:1", "flaky:1", "bad400:1",
               "hegui:1"]
    state = RunState(tmp_path / "run").init(meta(stub.url), items_of(prompts))
    stats = run(stub.url, state, retries=2, api_key="sk-secret", user="assessor")
    got = {a.item_id: a for a in state.answers().values()}
    by_prompt = {p: got[f"q{i}"] for i, p in enumerate(prompts)}
    assert by_prompt["ok:1"].status is AnswerStatus.OK and by_prompt["ok:1"].text == "answer to ok:1"
    assert by_prompt["filter:1"].status is AnswerStatus.REFUSED and by_prompt["filter:1"].finish_reason == "content_filter"
    r = by_prompt["refuse400:1"]
    assert r.status is AnswerStatus.REFUSED and r.http_status == 400 and r.service["error"]["code"] == "CONTENT_REFUSED"
    assert by_prompt["nonjson:1"].status is AnswerStatus.ERROR and "non-JSON" in by_prompt["nonjson:1"].error
    assert by_prompt["empty:1"].status is AnswerStatus.ERROR and "empty content" in by_prompt["empty:1"].error
    assert by_prompt["nochoices:1"].status is AnswerStatus.ERROR and "choices" in by_prompt["nochoices:1"].error
    flaky = by_prompt["flaky:1"]
    assert flaky.status is AnswerStatus.OK and flaky.attempts == 2 and stub.hits["flaky:1"] == 2
    bad = by_prompt["bad400:1"]
    assert bad.status is AnswerStatus.ERROR and bad.http_status == 400 and stub.hits["bad400:1"] == 1  # no retry
    assert by_prompt["hegui:1"].service == {"moderation": {"input": "pass", "output": "pass"}}
    assert (stats.ok, stats.refused, stats.error) == (3, 2, 4)
    assert stub.headers[0]["authorization"] == "Bearer sk-secret"
    assert all(b["user"] == "assessor" and b["model"] == "stub" and b["stream"] is False for b in stub.bodies)
    raw = b"".join(p.read_bytes() for p in (tmp_path / "run").iterdir())
    assert b"sk-secret" not in raw  # the API key is never stored


def test_429_honours_retry_after(stub: Stub, tmp_path: Path):
    state = RunState(tmp_path / "run").init(meta(stub.url), items_of(["busy:1"]))
    t0 = time.monotonic()
    run(stub.url, state, retries=2)
    answer = state.answers()["q0"]
    assert answer.status is AnswerStatus.OK and answer.attempts == 2
    assert time.monotonic() - t0 >= 0.95  # Retry-After: 1, not the 10 ms backoff


def test_timeout_is_an_error_after_retries(stub: Stub, tmp_path: Path):
    state = RunState(tmp_path / "run").init(meta(stub.url), items_of(["slow:1", "ok:2"]))
    run(stub.url, state, retries=1, timeout_s=0.3)
    answers = state.answers()
    assert answers["q0"].status is AnswerStatus.ERROR and "timed out" in answers["q0"].error
    assert answers["q0"].attempts == 2 and stub.hits["slow:1"] == 2
    assert answers["q1"].status is AnswerStatus.OK
    assert [it.id for it in state.pending()] == ["q0"]  # an error is asked again on the next run


def test_concurrency_limit_is_honoured(tmp_path: Path):
    with serve(Stub(delay_s=0.05)) as stub:
        state = RunState(tmp_path / "run").init(meta(stub.url), items_of([f"ok:{i}" for i in range(40)]))
        run(stub.url, state, concurrency=3)
        assert stub.max_in_flight == 3
        assert sum(stub.hits.values()) == 40


# -- endpoint unusable ----------------------------------------------------------------------------------

def test_bad_key_or_model_aborts_without_recording(tmp_path: Path):
    with serve(Stub(status=401)) as stub:
        state = RunState(tmp_path / "run").init(meta(stub.url), items_of([f"ok:{i}" for i in range(50)]))
        with pytest.raises(EndpointUnusable) as exc:
            run(stub.url, state, concurrency=2)
        assert "401" in str(exc.value) and sum(stub.hits.values()) <= 2
        assert state.answers() == {}


def test_endpoint_down_at_start_aborts_quickly(tmp_path: Path):
    from tests.assessment.stub_openai import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens
    state = RunState(tmp_path / "run").init(meta(url), items_of([f"ok:{i}" for i in range(500)]))
    with pytest.raises(AssessmentError, match="stopped answering"):
        run(url, state, concurrency=2, retries=1)
    assert len(state.answers()) <= 4  # not 500 recorded errors
    assert len(state.pending()) == 500


# -- resume -------------------------------------------------------------------------------------------

def test_resume_asks_only_pending_items(tmp_path: Path):
    items = items_of([f"ok:{i}" for i in range(60)])
    with serve(Stub(delay_s=0.02)) as stub:
        state = RunState(tmp_path / "run").init(meta(stub.url), items)

        async def partial() -> None:
            task = asyncio.create_task(ask_all(RunConfig(endpoint=stub.url, model="stub", concurrency=2), state))
            watch = RunState(tmp_path / "run").open()  # its own connection: ask_all owns `state`
            while len(watch.answers()) < 10:
                await asyncio.sleep(0.01)
            watch.close()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(partial())
        done_first = set(state.answers())
        assert 10 <= len(done_first) < 60
        state.close()
        again = RunState(tmp_path / "run").open(meta(stub.url), items)
        stats = run(stub.url, again)
        assert stats.skipped == len(done_first) and stats.asked == 60 - len(done_first)
        assert len(again.answers()) == 60 and again.pending() == []
        assert all(stub.hits[f"ok:{it.id[1:]}"] == 1 for it in items if it.id in done_first)
        assert sum(stub.hits.values()) <= 60 + 2  # at most the 2 in flight at the cancel asked again


def test_rerun_of_a_finished_run_asks_nothing(stub: Stub, tmp_path: Path):
    items = items_of(["ok:1", "ok:2"])
    state = RunState(tmp_path / "run").init(meta(stub.url), items)
    run(stub.url, state)
    stats = run(stub.url, RunState(tmp_path / "run").open(meta(stub.url), items))
    assert stats.asked == 0 and stats.skipped == 2 and sum(stub.hits.values()) == 2


@pytest.mark.parametrize("change", [{"banks": [{"file": "b.jsonl", "sha256": "b" * 64}]}, {"seed": 2},
                                    {"model": "other"}, {"profile": {"id": "tc260-003-2024", "version": "1"}}])
def test_a_different_run_is_refused(tmp_path: Path, change: dict):
    items = items_of(["ok:1"])
    RunState(tmp_path / "run").init(meta("http://x/v1"), items).close()
    with pytest.raises(AssessmentError, match="never mixed"):
        RunState(tmp_path / "run").open(meta("http://x/v1", **change), items)
    moved = meta("http://x/v1", banks=[{"file": "elsewhere/b.jsonl", "sha256": "a" * 64}])
    RunState(tmp_path / "run").open(moved, items).close()  # same content, another path: the same run
    with pytest.raises(AssessmentError, match="different sample"):
        RunState(tmp_path / "run").open(meta("http://x/v1"), items_of(["ok:1", "ok:2"]))


def test_state_is_private_and_keeps_no_key(tmp_path: Path):
    state = RunState(tmp_path / "run").init(meta("http://x/v1", config={"api_key": "sk-x", "concurrency": 8}),
                                            items_of(["ok:1"]))
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o700
    for f in (tmp_path / "run").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert state.meta()["config"] == {"concurrency": 8}
    with pytest.raises(AssessmentError):
        RunState(tmp_path / "run").init(meta("http://x/v1"), items_of(["ok:1"]))
    with pytest.raises(AssessmentError, match="twice"):
        RunState(tmp_path / "dup").init(meta("http://x/v1"), items_of(["a"]) + items_of(["b"]))


def test_verdicts_round_trip(tmp_path: Path):
    from hegui.assessment.models import JudgeVerdict, Outcome

    state = RunState(tmp_path / "run").init(meta("http://x/v1"), items_of(["ok:1"]))
    state.save_verdicts([JudgeVerdict("q0", "refusal", "1", Outcome.ANSWERED, {"score": 0.1}),
                         JudgeVerdict("q0", "keywords", "2", Outcome.FAIL, {"hits": ["x"]}, risk="A5a")])
    got = state.verdicts()["q0"]
    assert [(v.judge, v.outcome, v.risk) for v in got] == [("keywords", Outcome.FAIL, "A5a"),
                                                          ("refusal", Outcome.ANSWERED, None)]
    assert state.items()[0].bank is BankKind.GENERATED


# -- kill -9 mid-run -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_kill_9_mid_run_then_rerun_repeats_no_answered_item(tmp_path: Path):
    lines = [json.dumps({"id": f"k{i}", "prompt": f"ok:k{i}", "bank": "generated", "risk": "A5a"})
             for i in range(120)]
    bank_file = tmp_path / "bank.jsonl"
    bank_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    script = Path(__file__).with_name("runner_script.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), *sys.path])}
    with serve(Stub(delay_s=0.03)) as stub:
        proc = subprocess.Popen([sys.executable, str(script), str(bank_file), stub.url, str(out)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        answered: set[str] = set()
        while len(answered) < 30:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.05)
            if (out / "state.sqlite").exists():
                with sqlite3.connect(out / "state.sqlite") as db:
                    answered = {r[0] for r in db.execute("SELECT item_id FROM answers")}
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with sqlite3.connect(out / "state.sqlite") as db:
            answered = {r[0] for r in db.execute("SELECT item_id FROM answers")}
        assert 30 <= len(answered) < 120
        done = subprocess.run([sys.executable, str(script), str(bank_file), stub.url, str(out)], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["skipped"] == len(answered)
        with sqlite3.connect(out / "state.sqlite") as db:
            assert db.execute("SELECT COUNT(*) FROM answers WHERE status = 'ok'").fetchone()[0] == 120
        assert all(stub.hits[f"ok:{i}"] == 1 for i in answered)  # nothing answered was asked again
        assert all(stub.hits[f"ok:k{i}"] >= 1 for i in range(120))
