"""Whole-corpus passes at scale: the audit WITH the fingerprint step, the opt-out pass (a registry of
four requests) and the duplicate pass, one local worker — records/s, peak RSS, the passes' own time.

    PYTHONPATH=src nice python bench/corpus/passes_scale.py --gb 1 [--keep DIR]

Writes a synthetic JSONL corpus of ``--gb`` GB in two files (mostly Chinese: 6,000 made-up two- and
three-character words, one in ten a Latin pseudo-word, 20–400 words a text, so most texts are
distinct; 4 % exact copies and 4 % near copies — ~5 % of the words changed — of earlier texts, from
either file; every record has a URL on one of 200 hosts), then
runs :func:`hegui.corpus.audit.run_audit` once in this process with the :class:`FingerprintStep` (the
passes' input) and both passes, fresh. It reports the whole audit, the pass phase (from the opt-out
pass's first scan to the end: reading the checkpoint shards twice, both passes, writing decisions and
the filtered corpus) and the passes' exclusive time (their ``prepare`` and ``next`` less the time in the
shard reader they consume).

Peak RSS is the process's ``VmHWM`` (``/proc/self/status``), reset when the pass phase starts
(``clear_refs``); one worker runs in this process, so it is the whole audit's. The passes' on-disk
index size is sampled every 2 s. ``--resume`` reruns on the checkpoint of an earlier ``--keep`` run:
the step is skipped, so the process has not grown a step phase's heap before the passes. Linux only.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from hegui.corpus.audit import run_audit
from hegui.corpus.engine import LocalEngine
from hegui.corpus.fingerprint import content_hash
from hegui.corpus.optout import OptOutRegistry, OptOutRequest
from hegui.corpus.passes import default_passes
from hegui.corpus.record import CorpusPass, CorpusRecord
from hegui.corpus.text_steps import FingerprintStep

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


def existing_corpus(folder: Path) -> tuple[list[Path], int, list[str]] | None:
    """A corpus :func:`write_corpus` left in ``folder`` (records alternate files: record 1000 and 5000
    are ``web.jsonl``'s 501st and 2,501st lines)."""
    paths = [folder / "web.jsonl", folder / "books.jsonl"]
    if not all(p.is_file() for p in paths) or not (folder / "complete").is_file():
        return None
    n, picked = 0, []
    for i, line in enumerate(open(paths[0], encoding="utf-8")):
        if i in (500, 2500):
            picked.append(json.loads(line)["text"])
        n += 1
    return paths, n + sum(1 for _ in open(paths[1], "rb")), picked


def _hwm_mib() -> float:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def _rss_mib() -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


def _reset_hwm() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class Clock:
    """Exclusive time of the passes: the time spent in their ``prepare`` and ``next`` minus the time
    spent in the iterator they read (reading checkpoint shards), and the peak RSS from the first
    ``prepare`` on (the whole pass phase, decisions writing included)."""

    def __init__(self) -> None:
        self.own = 0.0
        self.phase_started = 0.0
        self.steps_peak = 0.0
        self.rss_at_start = 0.0

    def upstream(self, it: Iterator[CorpusRecord]) -> Iterator[CorpusRecord]:
        while True:
            t = time.perf_counter()
            try:
                rec = next(it)
            except StopIteration:
                self.own -= time.perf_counter() - t
                return
            self.own -= time.perf_counter() - t
            yield rec

    def wrap(self, p: CorpusPass) -> CorpusPass:
        clock = self

        class Timed:
            name, version = p.name, p.version
            scratch = getattr(p, "scratch", None)

            def prepare(self, records: Iterator[CorpusRecord]) -> None:
                if not clock.phase_started:
                    clock.phase_started = time.monotonic()
                    clock.steps_peak = _hwm_mib()
                    _reset_hwm()
                    clock.rss_at_start = _rss_mib()
                if hasattr(p, "scratch"):
                    p.scratch = self.scratch  # type: ignore[attr-defined]
                if callable(getattr(p, "prepare", None)):
                    t = time.perf_counter()
                    p.prepare(clock.upstream(iter(records)))  # type: ignore[attr-defined]
                    clock.own += time.perf_counter() - t

            def run(self, records: Iterator[CorpusRecord]) -> Iterator[CorpusRecord]:
                it = p.run(clock.upstream(iter(records)))
                while True:
                    t = time.perf_counter()
                    try:
                        rec = next(it)
                    except StopIteration:
                        clock.own += time.perf_counter() - t
                        return
                    clock.own += time.perf_counter() - t
                    yield rec

        return Timed()  # type: ignore[return-value]


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
    ap.add_argument("--keep", type=Path, help="folder for the corpus and outputs (kept; a corpus there is reused)")
    ap.add_argument("--resume", action="store_true",
                    help="reuse the checkpoint of an earlier run in --keep (the step is skipped: the pass phase alone)")
    a = ap.parse_args()
    folder = a.keep or Path(tempfile.mkdtemp(prefix="hegui-passes-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.monotonic()
    found = existing_corpus(folder)
    if found is None:
        found = write_corpus(folder, a.gb)
        (folder / "complete").write_text("")
    inputs, n, picked = found
    size = sum(p.stat().st_size for p in inputs)
    print(f"corpus {size / 1e9:.3f} GB, {n} records in {len(inputs)} files (ready in {time.monotonic() - t:.0f} s)",
          flush=True)
    out = folder / "out"
    clock = Clock()
    passes = [clock.wrap(p) for p in default_passes(optouts=registry(picked))]
    _reset_hwm()
    with DiskPeak(out / ".work" / "passes") as disk:
        t = time.monotonic()
        result = run_audit(inputs, out, steps=[FingerprintStep()], passes=passes,
                           engine=LocalEngine(workers=1, batch_size=a.batch_size), resume=a.resume)
        dt = time.monotonic() - t
    phase_peak, phase_s = _hwm_mib(), time.monotonic() - clock.phase_started
    assert result.records == n, (result.records, n)
    reasons: Counter[str] = Counter()
    for s in result.sources.values():
        for reason, k in s.excluded.items():
            reasons[reason if reason.startswith("optout:") else reason.split(":")[0]] += k
    print(f"\n{'':34} {'seconds':>8} {'rec/s':>8} {'peak RSS MiB':>13}")
    print(f"{'whole audit (read, step, passes)':34} {dt:>8.1f} {n / dt:>8.0f} {max(clock.steps_peak, phase_peak):>13.0f}")
    print(f"{'  reading + fingerprint step':34} {dt - phase_s:>8.1f} {n / (dt - phase_s):>8.0f} {clock.steps_peak:>13.0f}")
    print(f"{'pass phase (read shards, passes,':34} {phase_s:>8.1f} {n / phase_s:>8.0f} {phase_peak:>13.0f}")
    print(f"{'  decisions, filtered corpus)':34}")
    print(f"{'passes alone (exclusive time)':34} {clock.own:>8.1f} {n / clock.own:>8.0f}")
    print(f"\nRSS when the pass phase started: {clock.rss_at_start:.0f} MiB; shards resumed {result.shards_resumed}, "
          f"processed {result.shards_processed}")
    print(f"\nindex on disk (peak): {disk.peak / 2**20:.0f} MiB; kept {result.kept} of {n}; excluded {dict(sorted(reasons.items()))}")
    if not a.keep:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
