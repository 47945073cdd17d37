"""The corpus-audit report from ``decisions.jsonl`` (Interim Measures Art 7; GB/T 45654 §5.1 a 2,
Annex B.2.1 a–b).

Per source: records, the illegal/harmful share (29 risks of A.1–A.4, unjudged counted against) with
its Wilson 95 % interval, usable at the profile's 5 % ceiling, the licence and whether its evidence
was verified, PI, opt-outs and exclusions. Then the two seeded samples and the verdict:
``conforms`` only when every source in the filtered corpus is usable and has a known, verified
licence, both samples meet their size and bar, and every decision line could be read.
The file is read twice, streaming (counts, then the samples); memory holds the samples only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hegui.assessment.report.stats import wilson
from hegui.corpus.report.classify import CLEAN, HARMFUL, NOT_ASSESSED, UNJUDGED, Decision, classify, pi_types, reason_head
from hegui.corpus.report.errors import CorpusReportError
from hegui.corpus.report.profiles import DEFAULT_PROFILE, CorpusProfile, load_corpus_profile
from hegui.corpus.report.samples import (MANUAL, TECHNICAL, BottomK, manual_result, rank, technical_result,
                                         technical_size)

SCHEMA = "hegui-corpus-report/1"
KIND = "corpus-audit"
UNKNOWN_LICENCES = frozenset({"", "unknown", "none", "null", "?", "未知"})
_MAX_MALFORMED = 20
_TEXT_KEEP = 4000


def read_decisions(path: Path) -> Iterator[tuple[int, Decision | None, str, dict[str, Any] | None]]:
    """``(line number, decision or None, problem, raw row)`` for every non-blank line."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CorpusReportError(location=str(path), detail=f"cannot read decisions / 无法读取决定文件: {exc}") from exc
    with fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield n, None, f"not JSON / 不是 JSON: {str(exc)[:80]}", None
                continue
            if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
                yield n, None, "not a decision (no id) / 不是决定记录（缺少 id）", None
                continue
            yield n, classify(row), "", row


def _licence(entry: Mapping[str, Any] | None) -> tuple[str, bool, bool]:
    """(licence, known, evidence verified); a source missing from the register is unknown."""
    if not isinstance(entry, Mapping):
        return "unknown", False, False
    lic = str(entry.get("licence") or "").strip()[:120]
    known = lic.lower() not in UNKNOWN_LICENCES
    return (lic if known else "unknown"), known, known and entry.get("licence_evidence_ok") is True


def _new_source() -> dict[str, Any]:
    return {"records": 0, "kept": 0, HARMFUL: 0, "harmful_a5": 0, UNJUDGED: 0, NOT_ASSESSED: 0, CLEAN: 0,
            "pi_records": 0, "pi_kept": 0, "optout_excluded": 0, "excluded": Counter(), "pi_types": Counter(),
            "languages": Counter()}


def _population(d: Decision, profile: CorpusProfile) -> bool:
    return d.kept or profile.sample_from == "all"


def _sample_row(row: Mapping[str, Any], d: Decision) -> dict[str, Any]:
    """What the worksheet needs of a sampled record: the redacted text when a step left one (the
    PI step's ``redacted_text``), else the raw text, which the worksheet masks itself."""
    pi = d.findings.get("pi")
    meta = row.get("meta")
    candidates = [(row.get("redacted_text"), True), (pi.get("redacted_text") if isinstance(pi, Mapping) else None, True),
                  (meta.get("redacted_text") if isinstance(meta, Mapping) else None, True), (row.get("text"), False)]
    text, redacted = next(((v, r) for v, r in candidates if isinstance(v, str)), (None, False))
    return {"id": d.id, "source": d.source, "text": text[:_TEXT_KEEP] if text is not None else None,
            "redacted": redacted, "status": d.status, "risks": d.risks, "reasons": d.reasons[:10]}


def build_corpus_report(decisions_path: Path, *, sources: Mapping[str, Mapping[str, Any]] | None = None,
                        profile: str | Path | CorpusProfile = DEFAULT_PROFILE, seed: int = 0,
                        manual_verdicts: Mapping[str, bool] | None = None, inputs: Any = None, engine: Any = None,
                        now: dt.datetime | None = None, with_sample_rows: bool = False) -> dict[str, Any]:
    """The report (see docs/corpus-report.md). ``with_sample_rows`` adds ``_manual_rows`` (not JSON
    output: the worksheet's records)."""
    prof = load_corpus_profile(profile)
    sources = sources or {}
    path = Path(decisions_path)
    per: dict[str, dict[str, Any]] = defaultdict(_new_source)
    pop: Counter[str] = Counter()
    malformed: list[dict[str, Any]] = []
    n_malformed = lines = 0
    optouts: Counter[str] = Counter()
    digest = hashlib.sha256()
    for n, d, problem, _ in read_decisions(path):
        lines += 1
        if d is None:
            n_malformed += 1
            if len(malformed) < _MAX_MALFORMED:
                malformed.append({"location": f"{path.name}:{n}", "detail": problem})
            continue
        digest.update(d.id.encode("utf-8", "surrogatepass") + b"\n")
        s = per[d.source]
        s["records"] += 1
        s["kept"] += d.kept
        s[d.status] += 1
        pis = pi_types(d.findings)
        if pis:
            s["pi_records"] += 1
            s["pi_kept"] += d.kept
            s["pi_types"].update(pis)
        lang = d.findings.get("language")
        if isinstance(lang, Mapping) and isinstance(lang.get("lang"), str):
            s["languages"][lang["lang"][:16]] += 1
        heads = {reason_head(r) for r in d.reasons}
        s["excluded"].update(heads)
        if "optout" in heads:
            s["optout_excluded"] += 1
            optouts.update({r.split(":", 1)[1][:120] if ":" in r else "?" for r in d.reasons if reason_head(r) == "optout"})
        if _population(d, prof):
            pop[d.source] += 1
    # second pass: the seeded samples
    tech_k = technical_size(pop, prof.technical_sample.min_fraction)
    tech = {s: BottomK(k) for s, k in tech_k.items()}
    total_pop = sum(pop.values())
    manual = BottomK(min(prof.manual_sample.min, total_pop))
    for _, d, _, row in read_decisions(path):
        if d is None or row is None or not _population(d, prof):
            continue
        tech[d.source].offer(rank(seed, TECHNICAL, d.id), d.id, d.passes)
        manual.offer(rank(seed, MANUAL, d.id), d.id, _sample_row(row, d) if with_sample_rows else None)
    tech_rows = [item for s in sorted(tech) for item in tech[s].items()]
    manual_rows = manual.items()
    report = _assemble(prof, per, sources, optouts, seed)
    report["profile_ref"] = str(profile) if isinstance(profile, (str, Path)) else prof.id
    report["technical_sample"] = technical_result(
        tech_rows, total_pop, fraction=prof.technical_sample.min_fraction, bar=prof.technical_sample.bar,
        clause=prof.technical_sample.clause)
    report["technical_sample"]["per_source"] = {s: tech_k[s] for s in sorted(tech_k)}
    report["manual_sample"] = manual_result(
        [rid for rid, _ in manual_rows], total_pop, manual_verdicts, minimum=prof.manual_sample.min,
        bar=prof.manual_sample.bar, clause=prof.manual_sample.clause, accept_census=prof.manual_sample.accept_census)
    when = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    report.update({"generated_at": when, "finished": when, "inputs": _jsonable(inputs), "engine": _jsonable(engine),
                   "decisions": {"file": path.name, "lines": lines, "malformed": n_malformed,
                                 "malformed_first": malformed, "ids_sha256": digest.hexdigest()}})
    report["problems"] = problems(report)
    report["conforms"] = not report["problems"]
    if with_sample_rows:
        report["_manual_rows"] = [row for _, row in manual_rows]
    return report


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False)) if value is not None else None


def _assemble(prof: CorpusProfile, per: Mapping[str, dict[str, Any]], sources: Mapping[str, Mapping[str, Any]],
              optouts: Counter[str], seed: int) -> dict[str, Any]:
    rule = prof.source_share
    rows, licences, reasons, pi_all = [], Counter(), Counter(), Counter()
    for sid in sorted(set(per) | {str(k) for k in sources}):
        s = per.get(sid) or _new_source()
        entry = sources.get(sid)
        lic, known, verified = _licence(entry)
        denom = s["records"] - s[NOT_ASSESSED]
        against = s[HARMFUL] + s[UNJUDGED]
        ci = wilson(against, denom)
        share = against / denom if denom else None
        decide = share if rule.decide_on == "point" else (ci[1] if ci else None)
        licences[lic] += s["records"]
        reasons.update(s["excluded"])
        pi_all.update(s["pi_types"])
        rows.append({
            "id": sid, "records": s["records"], "harmful_share": share, "ci95": [ci[0], ci[1]] if ci else None,
            "usable": decide is not None and decide <= rule.max, "licence": lic,
            "pi_records": s["pi_records"], "optout_excluded": s["optout_excluded"],
            "kept": s["kept"], "judged": denom, "harmful": s[HARMFUL], "unjudged": s[UNJUDGED],
            "harmful_a5": s["harmful_a5"], "not_assessed": s[NOT_ASSESSED], "licence_known": known,
            "licence_evidence_ok": verified, "pi_kept": s["pi_kept"],
            "type": str((entry or {}).get("type") or "unknown")[:40], "registered": isinstance(entry, Mapping),
            "excluded": dict(sorted(s["excluded"].items())), "pi_types": dict(sorted(s["pi_types"].items())),
            "languages": dict(s["languages"].most_common(10))})
    tot = {k: sum(r[k] for r in rows) for k in ("records", "kept", "harmful", "unjudged", "not_assessed",
                                                  "pi_records", "optout_excluded")}
    tot["excluded"] = tot["records"] - tot["kept"]
    return {"schema": SCHEMA, "kind": KIND, "profile": prof.id, "profile_version": prof.version,
            "profile_title_zh": prof.title_zh, "profile_title_en": prof.title_en, "seed": seed,
            "rules": {"source_share": {"clause": rule.clause, "max": rule.max, "decide_on": rule.decide_on,
                                       "risks": "A.1–A.4 (29)"},
                      "sample_from": prof.sample_from},
            "sources": rows, "totals": tot, "reasons": dict(sorted(reasons.items())),
            "optouts": dict(sorted(optouts.items())), "licences": dict(sorted(licences.items())),
            "pi_types": dict(sorted(pi_all.items())),
            "source_register": _jsonable({str(k): dict(v) for k, v in sources.items() if isinstance(v, Mapping)})}


def problems(report: Mapping[str, Any]) -> list[dict[str, str]]:
    """Why the corpus does not conform, bilingual; empty when it does (fail closed)."""
    out: list[dict[str, str]] = []

    def add(code: str, zh: str, en: str) -> None:
        out.append({"code": code, "zh": zh, "en": en})

    dec = report.get("decisions") or {}
    if dec.get("malformed"):
        first = ", ".join(m["location"] for m in dec.get("malformed_first", [])[:3])
        add("malformed", f"{dec['malformed']} 行决定记录无法读取（{first}）", f"{dec['malformed']} unreadable decision lines ({first})")
    tot = report.get("totals") or {}
    if not tot.get("records"):
        add("empty", "没有任何记录", "no records")
    used = [s for s in report.get("sources", []) if s.get("kept")]
    bad = [s["id"] for s in used if not s.get("usable")]
    if bad:
        add("unusable_source", f"违法不良信息占比超过上限（或无法判定）的来源仍在训练语料中：{', '.join(bad)}",
            f"sources above the harmful-share ceiling (or not assessable) are in the training corpus: {', '.join(bad)}")
    unlic = [s["id"] for s in used if not s.get("licence_evidence_ok")]
    if unlic:
        add("licence_unknown", f"来源的许可或授权未知或证明未核验，却仍在训练语料中：{', '.join(unlic)}",
            f"sources whose licence is unknown or whose evidence is not verified are in the training corpus: {', '.join(unlic)}")
    for key, zh, en in (("technical_sample", "技术抽检", "technical sample"), ("manual_sample", "人工抽检", "manual sample")):
        sec = report.get(key) or {}
        if sec.get("conforms"):
            continue
        rate = sec.get("pass_rate")
        r = f"{rate:.2%}" if isinstance(rate, (int, float)) else "—"
        detail_zh = f"{zh}（{sec.get('clause', '')}）：样本 {sec.get('n', 0)} / 最低 {sec.get('min', '?')}，合格率 {r}，要求 ≥ {sec.get('bar', 0):.0%}"
        detail_en = f"{en} ({sec.get('clause', '')}): {sec.get('n', 0)} sampled / minimum {sec.get('min', '?')}, pass rate {r}, required ≥ {sec.get('bar', 0):.0%}"
        if sec.get("not_reviewed"):
            detail_zh += f"；{sec['not_reviewed']} 条未人工审核（导入 manual-sample.xlsx）"
            detail_en += f"; {sec['not_reviewed']} not reviewed (import manual-sample.xlsx)"
        if sec.get("under_size"):
            detail_zh += "；样本量不足"
            detail_en += "; sample under size"
        add(key, detail_zh, detail_en)
    return out
