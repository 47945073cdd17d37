"""Audit a sample corpus built from ``../shared/data`` on both engines and compare their decisions.

    PYTHONPATH=src python bench/corpus/sample_audit.py --data-dir ../shared/data [--per-source 300]
        [--steps fast|default] [--engines local,ray] [--out DIR]

Five permissively licensed Chinese sets (COLD and SWSR hold offensive comments, KdConv, CMRC 2018
and the instruction supplement benign text), each registered in a ``sources.yaml`` with its LICENSE
file as hashed evidence, plus a "crawl" source with no licence evidence and an opt-out request that
names one of its domains and one COLD text. Prints per-source harmful shares (29 risks, Wilson 95 %)
and the engines' timings, and whether ``decisions.jsonl`` is byte-identical across engines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path

SETS = {  # folder → (file, licence SPDX id)
    "cold": ("dev.jsonl", "Apache-2.0"),
    "swsr": ("comments.jsonl", "MIT"),
    "kdconv": ("dev.jsonl", "Apache-2.0"),
    "cmrc2018": ("questions.jsonl", "CC-BY-SA-4.0"),
    "zh_instruct_supplement": ("instructions.jsonl", "MIT"),
}


def build(data_dir: Path, work: Path, per_source: int) -> tuple[list[Path], Path, Path]:
    corpus, evidence = work / "corpus", work / "evidence"
    corpus.mkdir(parents=True)
    evidence.mkdir()
    sources: dict[str, dict] = {}
    inputs = []
    for folder, (name, spdx) in SETS.items():
        rows = [json.loads(line) for line in (data_dir / folder / name).read_text(encoding="utf-8").splitlines()[:per_source]]
        path = corpus / f"{folder}.jsonl"
        path.write_text("".join(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        lic = evidence / f"{folder}-LICENSE"
        shutil.copy(data_dir / folder / "LICENSE", lic)
        sources[folder] = {"paths": [str(path)], "type": "open_dataset", "licence": spdx,
                           "licence_evidence": {"file": str(lic), "sha256": hashlib.sha256(lic.read_bytes()).hexdigest()}}
        inputs.append(path)
    crawl = corpus / "crawl.jsonl"  # self-collected pages: copies of KdConv turns under two hosts, no evidence
    kd = [json.loads(x)["text"] for x in (data_dir / "kdconv" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:40]]
    crawl.write_text("".join(json.dumps({"text": t, "url": f"https://{'blog.optout.example' if i % 2 else 'news.example.cn'}/p/{i}"},
                                        ensure_ascii=False) + "\n" for i, t in enumerate(kd)), encoding="utf-8")
    sources["crawl"] = {"paths": [str(crawl)], "type": "self_collected", "licence": "unknown"}
    inputs.append(crawl)
    reg = work / "sources.yaml"
    reg.write_text(json.dumps({"version": 1, "sources": sources}, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
    optouts = work / "optouts.jsonl"
    return inputs, reg, optouts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--per-source", type=int, default=300)
    ap.add_argument("--steps", choices=("fast", "default"), default="fast")
    ap.add_argument("--engines", default="local,ray")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from hegui.corpus.audit import run_audit
    from hegui.corpus.engine import make_engine
    from hegui.corpus.optout import OptOutRegistry, OptOutRequest
    from hegui.corpus.passes import default_passes
    from hegui.corpus.report import write_report
    from hegui.corpus.sources import load_sources
    from hegui.corpus.steps import default_steps

    work = args.out or Path(tempfile.mkdtemp(prefix="hegui-sample-audit-"))
    inputs, reg_path, optout_path = build(args.data_dir, work, args.per_source)
    cold_text = json.loads((args.data_dir / "cold" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[3])["text"]
    registry = OptOutRegistry()
    request = OptOutRequest(id="req-1", requester="rights holder (bench)", received="2026-12-02",
                            contact_sha256="", domains=["optout.example"])
    request.add_text(cold_text)
    registry.add(request)
    registry.save(optout_path)
    register = load_sources(reg_path)
    results = {}
    for kind in args.engines.split(","):
        out = work / f"out-{kind}"
        t0 = time.perf_counter()
        result = run_audit(inputs, out, steps=default_steps(fast=args.steps == "fast"),
                           passes=default_passes(optouts=OptOutRegistry.load(optout_path)),
                           engine=make_engine(kind, workers=2, ray_address=None, batch_size=256), sources=register)
        report = write_report(result, out, pdf=kind == "local")
        results[kind] = (time.perf_counter() - t0, result, report, (out / "decisions.jsonl").read_bytes())
    first = next(iter(results.values()))
    print(f"corpus: {first[1].records} records in {len(inputs)} sources; work dir {work}")
    print(f"{'source':<24}{'records':>8}{'kept':>7}{'harmful':>9}{'share':>8}  {'95 % CI':<15}{'usable':>7}  licence")
    for s in first[2]["sources"]:
        ci = f"{s['ci95'][0]:.3f}–{s['ci95'][1]:.3f}" if s["ci95"] else "—"
        share = f"{s['harmful_share']:.3f}" if s["harmful_share"] is not None else "—"
        print(f"{s['id']:<24}{s['records']:>8}{s['kept']:>7}{s['harmful']:>9}{share:>8}  {ci:<15}{str(s['usable']):>7}  "
              f"{s['licence']}")
    print(f"opt-out excluded: {first[2]['totals']['optout_excluded']}; conforms: {first[2]['conforms']}")
    for kind, (secs, result, _, _) in results.items():
        print(f"engine {kind:<6} {secs:7.1f} s  {result.records / secs:7.1f} records/s")
    if len(results) > 1:
        same = len({r[3] for r in results.values()}) == 1
        print(f"decisions identical across engines: {same}")


if __name__ == "__main__":
    main()
