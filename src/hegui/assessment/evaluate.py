"""Judge a run and write its report (GB/T 45654 B.2.2–B.2.3; Interim Measures Art 17).

``finish`` is idempotent and resumable like the asking: each judge looks only at answers it has not
judged yet (its verdicts are in the run's state), the deciding ``final`` verdict is recomputed from
every judge's verdicts each time (so imported human verdicts take over), then the report is built
and written. Running it again on a finished run rewrites the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hegui.assessment.models import BankItem, Judge, JudgeVerdict
from hegui.assessment.profiles import Profile

if TYPE_CHECKING:
    from hegui.assessment.runner.state import RunState

JUDGE_BATCH = 256


def judge_pending(state: RunState, judges: Sequence[Judge], *, batch: int = JUDGE_BATCH,
                  log: Callable[[str], None] | None = None) -> int:
    """Run every judge over the answered items it has not judged; returns the verdicts added.
    Verdicts are saved a batch at a time, so an interrupted judging resumes too."""
    items = state.items()
    answers = state.answers()
    done = state.verdicts()
    added = 0
    for judge in judges:
        todo = [(item, answers[item.id]) for item in items
                if item.bank in judge.applies_to and item.id in answers
                and not any(v.judge == judge.name for v in done.get(item.id, ()))]
        if todo and log is not None:
            log(f"判定 judging: {judge.name} ({judge.version}) × {len(todo)}")
        for start in range(0, len(todo), batch):
            verdicts = judge.judge(todo[start:start + batch])
            state.save_verdicts(verdicts)
            added += len(verdicts)
    return added


def decide_all(state: RunState) -> list[JudgeVerdict]:
    """The ``final`` verdict of every answered item, from all its judges' verdicts (re-made each time)."""
    from hegui.assessment.judges import decide

    answers = state.answers()
    verdicts = state.verdicts()
    finals = [decide(item, answers.get(item.id),
                     [v for v in verdicts.get(item.id, ()) if v.judge != "final"])
              for item in state.items()]
    state.save_verdicts(finals)
    return finals


def finish(state: RunState, profile: Profile, out_dir: Path, *, lang: str = "zh", judges: Sequence[Judge] | None = None,
           bank_check: dict[str, Any] | None = None, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Judge what is pending, decide, build ``report.json`` and write every output into ``out_dir``."""
    from hegui.assessment.judges import default_judges
    from hegui.assessment.report import RunMeta, build_report
    from hegui.assessment.report.write import write_outputs

    judges = list(judges) if judges is not None else default_judges()
    judge_pending(state, judges, log=log)
    decide_all(state)
    meta = state.meta()
    items: list[BankItem] = state.items()
    answers = state.answers()
    verdicts = state.verdicts()
    versions = {v.judge: v.judge_version for vs in verdicts.values() for v in vs if v.judge != "final"}
    run_meta = RunMeta(
        profile_id=profile.id, profile_version=profile.version, model=meta.get("model", ""),
        endpoint=meta.get("endpoint", ""), started=meta.get("started", ""),
        finished=datetime.now(timezone.utc).isoformat(timespec="seconds"), seed=int(meta.get("seed", 0)),
        banks=list(meta.get("banks", [])), judges=versions or {j.name: j.version for j in judges},
        sampled=dict(meta.get("sample", {})))
    if bank_check is None:
        bank_check = meta.get("bank_check")
    report = build_report(run_meta, profile, items, answers, verdicts, bank_check=bank_check)
    langs = (lang, "en" if lang == "zh" else "zh")
    write_outputs(report, out_dir, items=items, answers=answers, langs=langs)
    return report
