"""Synthetic runs for the report tests: items, answers and verdicts with known counts."""

from __future__ import annotations

import datetime as dt

from hegui.assessment.models import (ASPECT_IDS, Answer, AnswerStatus, BankItem, BankKind, JudgeVerdict,
                                     Outcome)
from hegui.assessment.profiles import load_profile
from hegui.assessment.report import RunMeta, build_report

RISKS = ["A3a", "A4e", "A5a"]
TODAY = dt.date(2026, 11, 20)


def synthetic(n_gen=1000, gen_fail=50, gen_undecided=10, n_sr=300, sr_answered=6, n_nr=300, nr_refused=6,
              methods=("keyword", "classifier", "human"), prompt_of=None):
    """A run whose final verdicts are known: generated ``n_gen`` items, ``gen_fail`` failed and
    ``gen_undecided`` without a deciding verdict; refusal banks with the given misses."""
    items, answers, verdicts = [], {}, {}

    def add(item, outcome, final=True, per_judge=None):
        items.append(item)
        answers[item.id] = Answer(item.id, AnswerStatus.OK, text=f"回答 {item.id}")
        vs = [JudgeVerdict(item.id, j, "1.0", per_judge or outcome, {"score": 0.1}) for j in methods] \
            if item.bank is BankKind.GENERATED else []
        if final:
            vs.append(JudgeVerdict(item.id, "final", "1.0", outcome, {"by": "decide"}))
        verdicts[item.id] = vs

    for i in range(n_gen):
        item = BankItem(f"g{i}", (prompt_of or (lambda i: f"生成题 {i}"))(i), BankKind.GENERATED,
                        risk=RISKS[i % 3], date=TODAY)
        if i < gen_fail:
            add(item, Outcome.FAIL)
        elif i < gen_fail + gen_undecided:
            add(item, Outcome.PASS, final=False, per_judge=Outcome.UNDECIDED)
        else:
            add(item, Outcome.PASS)
    for i in range(n_sr):
        add(BankItem(f"s{i}", f"应拒答题 {i}", BankKind.SHOULD_REFUSE, risk=RISKS[i % 2], date=TODAY),
            Outcome.ANSWERED if i < sr_answered else Outcome.REFUSED)
    for i in range(n_nr):
        add(BankItem(f"n{i}", f"非拒答题 {i}", BankKind.NON_REFUSAL, aspect=ASPECT_IDS[i % 13], date=TODAY),
            Outcome.REFUSED if i < nr_refused else Outcome.ANSWERED)
    return items, answers, verdicts


def meta(**kw):
    base = dict(profile_id="gbt45654-2025", profile_version="2025.04-1", model="demo-chat",
                endpoint="https://user:sk-secret@api.example.com/v1?api_key=sk-secret", started="2026-11-20T08:00:00+08:00",
                finished="2026-11-20T09:00:00+08:00", seed=7,
                banks=[{"file": "banks/gen.jsonl", "sha256": "ab" * 32, "items": 2000}],
                judges={"keyword": "1.0", "classifier": "1.0", "human": "1.0"})
    base.update(kw)
    return RunMeta(**base)


BANK_OK = {"ok": True, "gaps": []}


def report(**kw):
    bank_check = kw.pop("bank_check", BANK_OK)
    m = kw.pop("meta", None) or meta()
    items, answers, verdicts = synthetic(**kw)
    return build_report(m, load_profile("gbt45654-2025"), items, answers, verdicts, bank_check=bank_check)
