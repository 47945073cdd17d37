"""The same corpus checks in hegui's audit and in a plain datatrove pipeline: records/s and peak memory.

    PYTHONPATH=src python bench/corpus/datatrove_compare.py --records 20000 --workers 2 \\
        --dt-python /tmp/dtvenv/bin/python

datatrove is not a hegui dependency: install it from PyPI into a separate virtualenv, never into
hegui's, e.g. ``python3 -m venv --system-site-packages /tmp/dtvenv && /tmp/dtvenv/bin/pip install
datatrove tokenizers 'xxhash<4'`` (tested with datatrove 0.10.1: its dedup package imports
``tokenizers``, MinHash needs ``xxhash``, and xxhash 4 refuses the ``str`` datatrove hashes). The datatrove run uses that interpreter with hegui's
``src`` in front of ``sys.path`` and the site-packages of the interpreter running this script *after*
datatrove's own (so hegui's dependencies — datasketch, opencc, the moderation packs — are found,
and datatrove's pins win where both have a package).

The corpus is :func:`engine_speed.write_corpus` (mixed Chinese/English words, seed 7), cut to
``--records`` lines and dealt round-robin into ``--shards`` JSONL files (datatrove parallelises by
file, so one file would give one task). Each framework runs in its own child process; the table
gives wall seconds of the whole run, records/s, records/s per worker, peak RSS and kept/excluded.
Peak RSS is reported twice: ``rusage`` = ``ru_maxrss`` of the child itself plus ``RUSAGE_CHILDREN``
(the largest single descendant, not a sum), and ``tree`` = the peak of the summed RSS of the child
and all its descendants sampled every 0.2 s (:class:`engine_speed.PeakRSS`).

What is the same:

* the per-record checks: ``--steps fast`` is :func:`hegui.corpus.steps.default_steps` with
  ``fast=True`` (fast moderator, PI recognizers with redaction, licence markers, language, quality);
  the datatrove side runs the very same step objects, in batches of ``--batch-size``, inside a
  datatrove ``BaseFilter`` (``HeguiChecks``), and drops a record hegui excludes. ``--steps none``
  leaves only reading, dedup and writing.
* dedup over the records that passed the checks, on character 5-shingles: hegui's
  :class:`hegui.corpus.passes.DuplicatePass` (exact hash, then MinHash LSH) from
  ``default_passes(optouts=None)``; datatrove's four MinHash stages with a character tokenizer
  (``CharTokenizer``) and 5-grams.
* reading JSONL and writing the kept records as JSONL, ``--workers`` processes.

What is not:

* datatrove's MinHash: 14 buckets × 8 hashes (its default; LSH threshold ≈ 0.72, no verification
  of the estimated Jaccard) over its own text normalisation (``simplify_text``: lower case,
  punctuation and digits folded), and it keeps one record per *cluster* (transitive: A~B, B~C drops
  B and C). hegui: 128 permutations, LSH at 0.8 with each candidate verified (estimated Jaccard ≥
  0.8), NFKC + case folding, first usable record in (source, file, line) order kept, not
  transitive; exact duplicates by SHA-256 first. Kept counts therefore differ, a lot on this
  near-duplicate-heavy synthetic corpus (13-word vocabulary).
* hegui's FingerprintStep (MinHash per record, in the workers) is replaced by datatrove's signature
  stage; hegui's passes run on the driver, datatrove's buckets run as 14 tasks.
* hegui also writes what datatrove does not: ``decisions.jsonl`` (every record's findings and
  reasons), per-shard checkpoints (an interrupted run resumes; this bench runs with
  ``resume=False``), per-input SHA-256 and problem counts (malformed lines with file:line). The
  datatrove run writes the kept corpus, the excluded documents (exclusion writers), signatures,
  buckets and logs; gzip is off on both sides.
* the datatrove side does not see a source register (no ``source_licence``), and neither does the
  hegui side here: both treat every record's licence as unknown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent.parent / "src"
sys.path.insert(0, str(HERE))


# -- corpus ---------------------------------------------------------------------------------------


def make_corpus(folder: Path, records: int, shards: int) -> int:
    """``records`` lines of :func:`engine_speed.write_corpus` dealt round-robin into ``shards`` files."""
    from engine_speed import write_corpus

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".gen"
    tmp.mkdir(exist_ok=True)
    path, n = write_corpus(tmp, records * 1600 / 1e9)  # ~1.4 kB a line on average
    while n < records:  # (never in practice) the estimate was short: write a larger one
        shutil.rmtree(tmp)
        tmp.mkdir()
        path, n = write_corpus(tmp, records * 1600 * 2 * (records / max(n, 1)) / 1e9)
    outs = [open(folder / f"part-{i:03d}.jsonl", "w", encoding="utf-8") for i in range(shards)]
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == records:
                break
            outs[i % shards].write(line)
    for o in outs:
        o.close()
    shutil.rmtree(tmp)
    return records


def steps_for(kind: str, *, fingerprint: bool) -> list:
    if kind == "none":
        return []
    from hegui.corpus.steps import default_steps
    from hegui.corpus.text_steps import FingerprintStep

    steps = default_steps(fast=kind == "fast")
    return steps if fingerprint else [s for s in steps if not isinstance(s, FingerprintStep)]


def _count_lines(folder: Path) -> int:
    return sum(sum(1 for _ in open(p, "rb")) for p in folder.rglob("*.jsonl")) if folder.exists() else 0


# -- hegui ----------------------------------------------------------------------------------------


def run_hegui(corpus: Path, out: Path, a: argparse.Namespace) -> dict[str, Any]:
    from hegui.corpus.audit import run_audit
    from hegui.corpus.engine import LocalEngine
    from hegui.corpus.passes import default_passes

    steps = steps_for(a.steps, fingerprint=True)
    result = run_audit([corpus], out, steps=steps, passes=default_passes(optouts=None),
                       engine=LocalEngine(workers=a.workers, batch_size=a.batch_size), resume=False)
    return {"records": result.records, "kept": result.kept}


# -- datatrove ------------------------------------------------------------------------------------


def _datatrove_classes() -> tuple[type, type]:
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.utils.word_tokenizers import WordTokenizer

    class CharTokenizer(WordTokenizer):
        """Characters (spaces included) as "words", so datatrove's n-grams are character shingles."""

        def word_tokenize(self, text: str) -> list[str]:
            return list(text)

        def sent_tokenize(self, text: str) -> list[str]:
            return [text]

        def span_tokenize(self, text: str) -> list[tuple[int, int]]:
            return [(0, len(text))]

    class HeguiChecks(BaseFilter):
        """hegui's per-record steps on a batch of datatrove documents; drops what hegui excludes."""

        name = "hegui checks"

        def __init__(self, steps: list, batch_size: int, exclusion_writer: Any = None) -> None:
            super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
            self.steps = steps

        def filter(self, doc: Any) -> bool | tuple[bool, str]:
            return self.filter_batch([doc])[0]

        def filter_batch(self, batch: list) -> list[bool | tuple[bool, str]]:
            from hegui.corpus.record import CorpusRecord

            recs = [CorpusRecord(id=str(d.id), source="bench", file=str(d.metadata.get("file_path", "")),
                                 line=i, text=d.text) for i, d in enumerate(batch)]
            for step in self.steps:
                recs = step.process(recs)
            out: list[bool | tuple[bool, str]] = []
            for d, r in zip(batch, recs, strict=True):
                d.metadata["hegui"] = r.findings
                if "redacted_text" in r.meta:
                    d.text = r.meta["redacted_text"]
                out.append(True if r.kept else (False, r.reasons[0].split(":")[0]))
            return out

    return CharTokenizer, HeguiChecks


def run_datatrove(corpus: Path, out: Path, a: argparse.Namespace) -> dict[str, Any]:
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    CharTokenizer, HeguiChecks = _datatrove_classes()
    cfg = MinhashConfig(n_grams=5)
    tasks = a.shards
    kw = {"workers": a.workers, "start_method": "fork", "skip_completed": False}
    stage1 = LocalPipelineExecutor(pipeline=[
        JsonlReader(str(corpus), glob_pattern="*.jsonl"),
        HeguiChecks(steps_for(a.steps, fingerprint=False), a.batch_size,
                    exclusion_writer=JsonlWriter(str(out / "excluded" / "checks"), compression=None)),
        JsonlWriter(str(out / "checked"), output_filename="${rank}.jsonl", compression=None),
        MinhashDedupSignature(output_folder=str(out / "sigs"), config=cfg, language=CharTokenizer()),
    ], tasks=tasks, logging_dir=str(out / "logs" / "1"), **kw)
    stage2 = LocalPipelineExecutor(pipeline=[
        MinhashDedupBuckets(input_folder=str(out / "sigs"), output_folder=str(out / "buckets"), config=cfg),
    ], tasks=cfg.num_buckets, logging_dir=str(out / "logs" / "2"), depends=stage1, **kw)
    stage3 = LocalPipelineExecutor(pipeline=[
        MinhashDedupCluster(input_folder=str(out / "buckets"), output_folder=str(out / "remove"), config=cfg),
    ], tasks=1, logging_dir=str(out / "logs" / "3"), depends=stage2, **kw)
    stage4 = LocalPipelineExecutor(pipeline=[
        JsonlReader(str(out / "checked"), glob_pattern="*.jsonl"),
        MinhashDedupFilter(input_folder=str(out / "remove"),
                           exclusion_writer=JsonlWriter(str(out / "excluded" / "dedup"), compression=None)),
        JsonlWriter(str(out / "kept"), compression=None),
    ], tasks=tasks, logging_dir=str(out / "logs" / "4"), depends=stage3, **kw)
    stage4.run()
    return {"records": sum(_count_lines(p) for p in [out / "kept", out / "excluded"]),
            "kept": _count_lines(out / "kept")}


# -- one measured run (child process) -------------------------------------------------------------


def child(a: argparse.Namespace) -> None:
    if a.run == "datatrove":
        sys.path.insert(0, str(SRC))
        sys.path.extend(p for p in a.extra_site.split(os.pathsep) if p)  # hegui's deps, after datatrove's
    from engine_speed import PeakRSS

    out = Path(a.out)
    shutil.rmtree(out, ignore_errors=True)
    with PeakRSS() as peak:
        t = time.monotonic()
        res = (run_hegui if a.run == "hegui" else run_datatrove)(Path(a.corpus), out, a)
        dt = time.monotonic() - t
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    res.update(seconds=dt, rusage_mib=kib / 1024, tree_mib=peak.peak / 2**20)
    print("RESULT " + json.dumps(res), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--shards", type=int, default=4, help="input files (datatrove tasks)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", default="fast", choices=["fast", "default", "none"])
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--dt-python", default="/tmp/dtvenv/bin/python", help="interpreter with datatrove installed")
    ap.add_argument("--only", choices=["hegui", "datatrove"])
    ap.add_argument("--keep", type=Path, help="work folder to keep (corpus and outputs)")
    ap.add_argument("--run", choices=["hegui", "datatrove"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--extra-site", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.run:
        child(a)
        return
    work = a.keep or Path(tempfile.mkdtemp(prefix="hegui-dtbench-"))
    corpus = work / "corpus"
    t = time.monotonic()
    if not corpus.exists():
        make_corpus(corpus, a.records, a.shards)
    size = sum(p.stat().st_size for p in corpus.glob("*.jsonl"))
    print(f"corpus {size / 1e6:.1f} MB, {a.records} records in {a.shards} files (prepared in "
          f"{time.monotonic() - t:.1f} s); steps={a.steps}; workers={a.workers}; cpus={os.cpu_count()}")
    import site

    extra = os.pathsep.join(site.getsitepackages())
    rows = []
    for fw in ["hegui", "datatrove"]:
        if a.only and fw != a.only:
            continue
        py = sys.executable if fw == "hegui" else a.dt_python
        cmd = [py, str(Path(__file__).resolve()), "--run", fw, "--corpus", str(corpus), "--out", str(work / f"out-{fw}"),
               "--workers", str(a.workers), "--shards", str(a.shards), "--steps", a.steps,
               "--batch-size", str(a.batch_size), "--extra-site", extra]
        env = dict(os.environ, PYTHONPATH=str(SRC)) if fw == "hegui" else dict(os.environ, PYTHONPATH="")
        log = work / f"{fw}.log"
        with open(log, "w") as lf:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=lf, text=True, env=env)
        line = next((x for x in p.stdout.splitlines() if x.startswith("RESULT ")), None)
        if p.returncode or line is None:
            print(f"{fw}: failed (exit {p.returncode}); last lines of {log}:")
            print("".join(open(log).readlines()[-20:]))
            continue
        r = json.loads(line[7:])
        if r["records"] != a.records:
            print(f"{fw}: counted {r['records']} records, expected {a.records}")
        rows.append((fw, r))
    print(f"{'framework':10} {'records':>8} {'seconds':>8} {'rec/s':>7} {'rec/s/core':>10} "
          f"{'RSS rusage MiB':>14} {'RSS tree MiB':>12} {'kept':>7} {'excluded':>8}")
    for fw, r in rows:
        rps = a.records / r["seconds"]
        print(f"{fw:10} {a.records:>8} {r['seconds']:>8.1f} {rps:>7.0f} {rps / a.workers:>10.0f} "
              f"{r['rusage_mib']:>14.0f} {r['tree_mib']:>12.0f} {r['kept']:>7} {a.records - r['kept']:>8}")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
