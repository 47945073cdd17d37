"""Drive one resumable run in a subprocess (for the kill -9 test): ``python runner_script.py BANK.jsonl
URL OUT``. TEMPORARY bank reader: a tiny JSONL reader until ``hegui.assessment.banks`` lands."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from hegui.assessment.models import BankItem, BankKind
from hegui.assessment.profiles import load_profile
from hegui.assessment.runner import RunConfig, RunState, ask_all, sample_items


def read_jsonl(path: Path) -> list[BankItem]:  # TEMPORARY (tests only): replaced by hegui.assessment.banks
    out = []
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        d = json.loads(line)
        out.append(BankItem(id=d["id"], prompt=d["prompt"], bank=BankKind(d["bank"]), risk=d.get("risk"),
                            aspect=d.get("aspect"), file=str(path), line=no))
    return out


def main() -> None:
    bank, url, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    profile = load_profile()
    items = read_jsonl(bank)
    sample = sample_items(items, profile, seed=7)
    config = RunConfig(endpoint=url, model="stub", concurrency=4, seed=7, backoff_s=0.01)
    meta = {"endpoint": url, "model": "stub", "profile": {"id": profile.id, "version": profile.version}, "seed": 7,
            "banks": [{"file": str(bank), "sha256": "x" * 64}]}
    state = RunState(out).open_or_init(meta, sample.items)
    stats = asyncio.run(ask_all(config, state))
    print(json.dumps({"ok": stats.ok, "skipped": stats.skipped}))


if __name__ == "__main__":
    main()
