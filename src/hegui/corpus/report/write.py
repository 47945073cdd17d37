"""Everything a corpus audit leaves for the filing (Interim Measures Arts 7, 19; GB/T 45654 §5.1,
B.2.1): ``report.json``, ``report.html``/``.pdf`` (zh), ``report.en.html``/``.pdf``, the manual-sample
worksheet ``manual-sample.xlsx`` (written once: a reviewer may be filling it in) and, after an
import, ``manual-verdicts.json``. Each file is written atomically and 0600 (the worksheet holds
corpus text: PIPL Art 51).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hegui.corpus.report.compute import build_corpus_report
from hegui.corpus.report.errors import CorpusReportError
from hegui.corpus.report.profiles import DEFAULT_PROFILE, CorpusProfile
from hegui.fileio import write_atomic

FILE_MODE = 0o600
DECISIONS = "decisions.jsonl"
REPORT = "report.json"
WORKSHEET = "manual-sample.xlsx"
VERDICTS = "manual-verdicts.json"


def decisions_of(result_or_path: Any) -> Path:
    """The decisions file of an ``AuditResult`` (``decisions_path`` or ``out_dir``), a folder or a file."""
    for attr in ("decisions_path", "decisions"):
        value = getattr(result_or_path, attr, None)
        if isinstance(value, (str, Path)):
            return Path(value)
    out = getattr(result_or_path, "out_dir", None)
    path = Path(out if isinstance(out, (str, Path)) else result_or_path)
    return path / DECISIONS if path.is_dir() else path


def _report_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False) + "\n"


def _texts(out_dir: Path, ids: set[str]) -> dict[str, str]:
    """Texts of the sampled ids from the audit's JSONL outputs other than the decisions (the
    filtered, redacted corpus): lines ``{"id", "text"}``; unreadable lines are skipped."""
    found: dict[str, str] = {}
    if not ids:
        return found
    for path in sorted(out_dir.rglob("*.jsonl")):
        if path.name == DECISIONS:
            continue
        try:
            with open(path, "rb") as fh:
                for raw in fh:
                    try:
                        row = json.loads(raw)
                    except (ValueError, UnicodeDecodeError):
                        continue
                    if isinstance(row, dict) and row.get("id") in ids and isinstance(row.get("text"), str):
                        found.setdefault(row["id"], row["text"])
        except OSError:
            continue
    return found


def write_pages(report: Mapping[str, Any], out_dir: Path, *, langs: Iterable[str] = ("zh", "en"),
                pdf: bool = True) -> list[Path]:
    """``report.html``/``.pdf`` (zh) and ``report.<lang>.html``/``.pdf`` for the others."""
    from hegui.assessment.report.write import write_pages as write_report_pages
    from hegui.corpus.report.render import render_corpus_html, render_corpus_pdf

    return write_report_pages(report, out_dir, langs=langs, pdf=pdf, html_of=render_corpus_html,
                              pdf_of=render_corpus_pdf)


def source_entries(totals: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The audit's per-source totals (``hegui.corpus.audit.SourceTotals``) as the report reads them:
    ``{"type", "licence", "licence_evidence_ok", ...}`` — evidence counts only when its hash was verified."""
    out: dict[str, Mapping[str, Any]] = {}
    for sid, t in totals.items():
        if isinstance(t, Mapping):
            out[sid] = t
            continue
        info = dict(getattr(t, "info", {}) or {})
        out[sid] = {**info, "type": getattr(t, "type", info.get("type", "unknown")),
                    "licence": getattr(t, "licence", info.get("licence", "unknown")),
                    "licence_evidence_ok": info.get("licence_evidence") == "verified"}
    return out


def write_report(result_or_paths: Any, out_dir: Path | None = None, *,
                 sources: Mapping[str, Mapping[str, Any]] | None = None,
                 profile: str | Path | CorpusProfile = DEFAULT_PROFILE, seed: int = 0,
                 manual_verdicts: Mapping[str, bool] | None = None, langs: Iterable[str] = ("zh", "en"),
                 pdf: bool = True, inputs: Any = None, engine: Any = None,
                 texts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the report from the decisions and write every output into ``out_dir`` (the decisions'
    folder when ``None``); returns the report. ``sources`` defaults to the result's ``sources``."""
    decisions = decisions_of(result_or_paths)
    if not decisions.is_file():
        raise CorpusReportError(location=str(decisions), detail="no decisions file / 没有决定文件 decisions.jsonl")
    out = Path(out_dir) if out_dir is not None else decisions.parent
    out.mkdir(parents=True, exist_ok=True)
    if sources is None:
        sources = source_entries(getattr(result_or_paths, "sources", None) or {})
    inputs = inputs if inputs is not None else getattr(result_or_paths, "inputs", None)
    engine = engine if engine is not None else getattr(result_or_paths, "engine", None)
    report = build_corpus_report(decisions, sources=sources, profile=profile, seed=seed, manual_verdicts=manual_verdicts,
                                 inputs=inputs, engine=engine, with_sample_rows=True)
    rows = report.pop("_manual_rows")
    if not (out / WORKSHEET).exists():
        from hegui.corpus.report.worksheet import export_manual_sample

        missing = {r["id"] for r in rows if r.get("text") is None}
        found = {**_texts(decisions.parent, missing), **{k: v for k, v in (texts or {}).items() if k in missing}}
        for r in rows:
            if r["id"] in found:
                r["text"], r["redacted"] = found[r["id"]], False
        export_manual_sample(out / WORKSHEET, rows)
    if manual_verdicts:
        write_atomic(out / VERDICTS, json.dumps(dict(sorted(manual_verdicts.items())), ensure_ascii=False, indent=1) + "\n",
                     mode=FILE_MODE)
    write_atomic(out / REPORT, _report_json(report), mode=FILE_MODE)
    write_pages(report, out, langs=langs, pdf=pdf)
    return report


def read_verdicts(out_dir: Path) -> dict[str, bool]:
    """The imported manual verdicts kept in ``out_dir`` (empty when none)."""
    path = Path(out_dir) / VERDICTS
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusReportError(location=str(path), detail=f"unreadable verdicts / 无法读取人工结论: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, bool) for v in data.values()):
        raise CorpusReportError(location=str(path), detail="not {id: true|false} / 格式应为 {编号: true|false}")
    return {str(k): v for k, v in data.items()}


def _recorded(out: Path) -> dict[str, Any]:
    """The folder's report.json (its profile, seed and source register); ``{}`` when there is none."""
    path = out / REPORT
    if not path.exists():
        return {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusReportError(location=str(path), detail=f"unreadable report / 无法读取报告: {exc}") from exc
    if not isinstance(old, dict):
        raise CorpusReportError(location=str(path), detail="not a report / 不是报告")
    return old


def _settings(old: Mapping[str, Any]) -> dict[str, Any]:
    return {"sources": old.get("source_register") or {},
            "profile": str(old.get("profile_ref") or old.get("profile") or DEFAULT_PROFILE),
            "seed": old.get("seed") if isinstance(old.get("seed"), int) else 0}


def rebuild(out_dir: Path, *, manual_verdicts: Mapping[str, bool] | None = None, langs: Iterable[str] = ("zh", "en"),
            pdf: bool = True) -> dict[str, Any]:
    """Rebuild the report of an audit folder with the settings its report.json recorded (profile,
    seed, source register; the defaults when there is none) and the manual verdicts (given, or
    those imported before)."""
    out = Path(out_dir)
    old = _recorded(out)
    verdicts = dict(manual_verdicts) if manual_verdicts is not None else read_verdicts(out)
    return write_report(out, out, manual_verdicts=verdicts, langs=langs, pdf=pdf, inputs=old.get("inputs"),
                        engine=old.get("engine"), **_settings(old))


def manual_sample_ids(out_dir: Path) -> set[str]:
    """The ids of the folder's manual sample (recomputed from the decisions and recorded seed)."""
    out = Path(out_dir)
    rep = build_corpus_report(out / DECISIONS, with_sample_rows=True, **_settings(_recorded(out)))
    return {r["id"] for r in rep["_manual_rows"]}
