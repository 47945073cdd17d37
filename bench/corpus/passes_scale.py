"""Whole-corpus passes at scale: the audit WITH the fingerprint step, the opt-out pass (a registry of
four requests) and the duplicate pass, one local worker — records/s, peak RSS, the passes' own time.

    PYTHONPATH=src nice python bench/corpus/passes_scale.py --gb 1 [--keep DIR]

Writes a synthetic JSONL corpus of ``--gb`` GB in two files (mostly Chinese: 6,000 made-up two- and
three-character words, one in ten a Latin pseudo-word, 20–400 words a text, so most texts are distinct; 4 % exact copies and 4 % near copies — ~5 % of the
words changed — of earlier texts, from either file; every record has a URL on one of 200 hosts), then
runs :func:`hegui.corpus.audit.run_audit` three times in this process:

* ``full``: the :class:`FingerprintStep` (the passes' input; the costliest light step) and both passes, fresh;
* ``resume, no passes``: the steps are resumed from the checkpoint; reading shards, writing decisions;
* ``resume, passes``: the same plus both passes — its time minus the previous one is the passes' own.

Peak RSS is the process's ``VmHWM`` (``/proc/self/status``), reset before each run (``clear_refs``);
one worker runs in this process, so it is the whole audit's. The passes' on-disk index size is
sampled every 2 s. Linux only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from hegui.corpus.audit import run_audit  # noqa: E402
from hegui.corpus.engine import LocalEngine  # noqa: E402
from hegui.corpus.fingerprint import content_hash  # noqa: E402
from hegui.corpus.optout import OptOutRegistry, OptOutRequest  # noqa: E402
from hegui.corpus.passes import default_passes  # noqa: E402
from hegui.corpus.text_steps import FingerprintStep  # noqa: E402

HOSTS = 200


def vocabulary(rng: random.Random) -> tuple[list[str], list[str]]:
    """6,000 two- or three-character Chinese words and 1,000 Latin pseudo-words."""
    chars = [chr(c) for c in range(0x4E00, 0x9FA5, 8)]
    zh = sorted({"".join(rng.choice(chars) for _ in range(rng.choice((2, 2, 3)))) for _ in range(6000)})
    syl = ["ba", "ko", "ri", "ne", "tu", "sha", "mi", "lo", "pe", "dan", "que", "vi", "zo", "gan", "hu", "xe"]
    en = sorted({"".join(rng.choice(syl) for _ in range(rng.randint(1, 4))) for _ in range(1000)})
    return zh, en


def _text(tokens: list[str]) -> str:
    return "".join(f" {t} " if t.isascii() else t for t in tokens).strip()


def write_corpus(folder: Path, gb: float, seed: int = 11) -> tuple[list[Path], int, list[str]]:
    """Two JSONL files of ``gb`` GB together; returns them, the record count and two texts to opt out."""
    rng = random.Random(seed)
    zh, en = vocabulary(rng)

    def word() -> str:
        return rng.choice(en) if rng.random() < 0.1 else rng.choice(zh)

    paths = [folder / "web.jsonl", folder / "books.jsonl"]
    files = [open(p, "w", encoding="utf-8") for p in paths]
    recent: list[list[str]] = []
    picked: list[str] = []
    size, n, target = 0, 0, int(gb * 1e9)
    try:
        while size < target:
            u = rng.random()
            if u < 0.04 and recent:
                toks = rng.choice(recent)
            elif u < 0.08 and recent:
                toks = list(rng.choice(recent))
                for _ in range(max(1, len(toks) // 20)):
                    toks[rng.randrange(len(toks))] = word()
            else:
                toks = [word() for _ in range(rng.randint(20, 400))]
            if len(recent) < 5000:
                recent.append(toks)
            else:
                recent[rng.randrange(5000)] = toks
            text = _text(toks)
            if n in (1000, 5000):
                picked.append(text)
            row = {"text": text, "url": f"https://s{rng.randrange(HOSTS)}.example.org/p/{n}"}
            line = json.dumps(row, ensure_ascii=False) + "\n"
            files[n % 2].write(line)
            size += len(line.encode())
            n += 1
    finally:
        for f in files:
            f.close()
    return paths, n, picked


def registry(picked: list[str]) -> OptOutRegistry:
    reg = OptOutRegistry()
    reg.add(OptOutRequest(id="", requester="Site 7", received="2026-11-01", domains=["s7.example.org"]))
    reg.add(OptOutRequest(id="", requester="Site 13", received="2026-11-02",
                          url_patterns=["https://s13.example.org/p/1*"]))
    reg.add(OptOutRequest(id="", requester="Author A", received="2026-11-03", hashes=[content_hash(picked[0])]))
    sample = OptOutRequest(id="", requester="Publisher B", received="2026-11-04")
    sample.add_text(picked[1])
    reg.add(sample)
    return reg


def _hwm_mib() -> float:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def _reset_hwm() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class DiskPeak:
    """Peak total size of the files under ``folder`` (sampled every 2 s)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.peak, self._stop = folder, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(2):
            try:
                self.peak = max(self.peak, sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file()))
            except OSError:
                pass

    def __enter__(self) -> DiskPeak:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=0.1)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--keep", type=Path, help="folder for the corpus and outputs (kept)")
    a = ap.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix="hegui-passes-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    inputs, n, picked = write_corpus(folder, a.gb)
    size = sum(p.stat().st_size for p in inputs)
    print(f"corpus {size / 1e9:.3f} GB, {n} records in {len(inputs)} files (written in {time.monotonic() - t:.0f} s)",
          flush=True)
    out = folder / "out"
    steps = [FingerprintStep()]
    reg = registry(picked)
    rows = []
    for label, passes, resume in (("full (steps + passes)", True, False), ("resume, no passes", False, True),
                                  ("resume, passes", True, True)):
        _reset_hwm()
        with DiskPeak(out / ".work" / "passes") as disk:
            t = time.monotonic()
            result = run_audit(inputs, out, steps=steps, passes=default_passes(optouts=reg) if passes else [],
                               engine=LocalEngine(workers=1, batch_size=a.batch_size), resume=resume)
            dt = time.monotonic() - t
        assert result.records == n, (result.records, n)
        reasons: Counter[str] = Counter()
        for s in result.sources.values():
            for reason, k in s.excluded.items():
                reasons[reason if reason.startswith("optout:") else reason.split(":")[0]] += k
        rows.append((label, dt, n / dt, _hwm_mib(), disk.peak / 2**20, result.kept, dict(sorted(reasons.items()))))
        print(f"{label}: {dt:.1f} s, peak RSS {_hwm_mib():.0f} MiB", flush=True)
    print(f"\n{'run':24} {'seconds':>8} {'rec/s':>8} {'peak RSS MiB':>13} {'index MiB':>10} {'kept':>9}  excluded")
    for label, dt, rps, mib, disk_mib, kept, reasons in rows:
        print(f"{label:24} {dt:>8.1f} {rps:>8.0f} {mib:>13.0f} {disk_mib:>10.0f} {kept:>9}  {reasons}")
    pass_s = rows[2][1] - rows[1][1]
    print(f"\npasses' own time ≈ {pass_s:.1f} s ({n / max(pass_s, 1e-9):.0f} records/s); "
          f"peak RSS with passes {rows[2][3]:.0f} MiB vs {rows[1][3]:.0f} MiB without")
    if not a.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
