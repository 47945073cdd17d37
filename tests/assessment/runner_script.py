"""Drive one resumable run in a subprocess (for the kill -9 test): ``python runner_script.py BANK.jsonl
URL OUT``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from hegui.assessment.banks import read_bank
from hegui.assessment.profiles import load_profile
from hegui.assessment.runner import RunConfig, RunState, ask_all, sample_items


def main() -> None:
    bank, url, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    profile = load_profile()
    items = read_bank(bank)
    sample = sample_items(items, profile, seed=7)
    config = RunConfig(endpoint=url, model="stub", concurrency=4, seed=7, backoff_s=0.01)
    meta = {"endpoint": url, "model": "stub", "profile": {"id": profile.id, "version": profile.version}, "seed": 7,
            "banks": [{"file": str(bank), "sha256": "x" * 64}]}
    state = RunState(out).open_or_init(meta, sample.items)
    stats = asyncio.run(ask_all(config, state))
    print(json.dumps({"ok": stats.ok, "skipped": stats.skipped}))


if __name__ == "__main__":
    main()
