"""Engines: the same decisions in this process, in a spawn pool and on Ray; the step contract holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hegui.corpus.audit import run_audit
from hegui.corpus.engine import EngineError, LocalEngine, RayEngine, make_engine
from hegui.corpus.record import CorpusRecord
from tests.corpus.pipeline_fixtures import BanStep, DropStep, ExactDupPass, RedactStep, lines_of


def _records(n: int) -> list[CorpusRecord]:
    texts = ["普通文本", "禁止内容", "电话 13800000000", "普通文本"]
    return [CorpusRecord(id=f"s:f:{i}", source="s", file="f", line=i, text=f"{texts[i % 4]} {i % 7}")
            for i in range(1, n + 1)]


def _corpus(tmp_path: Path) -> list[Path]:
    a = tmp_path / "a.jsonl"
    a.write_text("".join(json.dumps({"text": r.text}, ensure_ascii=False) + "\n" for r in _records(300))
                 + "{bad\n", encoding="utf-8")
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(5):
        (folder / f"n{i}.txt").write_text(f"笔记 {i % 2} 禁" if i == 3 else f"笔记 {i % 2}", encoding="utf-8")
    return [a, folder]


def test_local_inline_and_pool_agree(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    inline = [r.to_row() for r in LocalEngine(workers=1, batch_size=16).run(_records(100), [BanStep(), RedactStep()])]
    pooled = [r.to_row() for r in LocalEngine(workers=2, batch_size=7).run(_records(100),
                                                                          [BanStep(str(log)), RedactStep()])]
    assert inline == pooled
    assert [r["line"] for r in pooled] == list(range(1, 101))  # ordered
    assert sum(1 for r in pooled if "banned" in r["reasons"]) == 25
    assert len(lines_of(log)) == 100  # each record processed once
    assert str(os.getpid()) not in {ln.split()[0] for ln in log.read_text().splitlines()}  # ran in workers


def test_contract_violations_fail_closed() -> None:
    with pytest.raises(EngineError, match="drop"):
        list(LocalEngine(workers=1, batch_size=4).run(_records(8), [DropStep()]))

    class Unpicklable:
        name, version = "lambda", "1"

        def __init__(self) -> None:
            self.f = lambda x: x

    with pytest.raises(EngineError, match="picklable"):
        list(LocalEngine(workers=2).run(_records(2), [Unpicklable()]))  # type: ignore[list-item]
    with pytest.raises(EngineError):
        make_engine("spark")


def test_setup_is_not_called_on_the_callers_objects() -> None:
    step = BanStep()
    list(LocalEngine(workers=1).run(_records(3), [step]))
    assert step.ready is False  # the worker's copy is set up, the spec stays configuration only


def test_local_and_ray_decisions_identical(tmp_path: Path, ray_local: object) -> None:
    inputs = _corpus(tmp_path)
    outs = {}
    for name, engine in (("local", LocalEngine(workers=2, batch_size=32)),
                         ("ray", RayEngine(batch_size=32, num_cpus=2, chunk_records=256))):
        result = run_audit(inputs, tmp_path / name, steps=[BanStep(), RedactStep()], passes=[ExactDupPass()],
                           engine=engine, shard_records=100)
        assert result.engine == name and result.records == 305
        outs[name] = result
    for f in ("decisions.jsonl", "problems.jsonl", "filtered/a.jsonl", "filtered/notes.jsonl"):
        assert (tmp_path / "local" / f).read_bytes() == (tmp_path / "ray" / f).read_bytes(), f
    assert outs["local"].sources["a"].excluded == outs["ray"].sources["a"].excluded
    assert outs["local"].sources["a"].excluded["banned"] == 75


def test_ray_step_failure_is_an_engine_error(ray_local: object) -> None:
    with pytest.raises(EngineError, match="Ray job failed"):
        list(RayEngine(batch_size=8, num_cpus=2).run(_records(40), [BanStep(fail_on="禁止内容 1")]))
