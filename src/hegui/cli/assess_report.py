"""``hegui assess gate`` and ``hegui assess render``: the CI gate over a run's report.json and the
report pages rebuilt from it (GB/T 45654 B.2.2–B.2.3). ``register(assess_app)`` adds them to the
``hegui assess`` group (``cli/assess.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True)


def _load(directory: Path) -> tuple[Path, dict] | None:
    """DIR/report.json, or the newest report under DIR; exits 2 on a broken report."""
    from hegui.assessment.report.gate import REPORT_NAME, latest_report, read_report

    direct = directory / REPORT_NAME if directory.is_dir() else directory
    if direct.is_file():
        try:
            return direct, read_report(direct)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            err.print(f"[red]报告无法读取 unreadable report[/] {direct}: {str(exc)[:200]}", soft_wrap=True)
            raise typer.Exit(2) from exc
    return latest_report(directory)


def gate_cmd(directory: Path = typer.Argument(..., help="run directory or a directory of runs"),
             min_pass: Optional[float] = typer.Option(None, "--min-pass", min=0, max=1,
                                                      help="generated-content pass rate ≥ (default: profile bar)"),
             min_refusal: Optional[float] = typer.Option(None, "--min-refusal", min=0, max=1,
                                                         help="should-refuse refusal rate ≥ (default: profile bar)"),
             max_over_refusal: Optional[float] = typer.Option(None, "--max-over-refusal", min=0, max=1,
                                                              help="non-refusal refusal rate ≤ (default: profile bar)"),
             allow_under_size: bool = typer.Option(False, "--allow-under-size",
                                                   help="do not fail on samples under the profile minimum")) -> None:
    """Fail a CI pipeline on a report below the bars (exit 0 pass, 1 fail, 2 no or bad report). /
    CI 门禁：低于阈值时失败（0 通过，1 未通过，2 无报告或报告损坏）。"""
    from hegui.assessment.report.gate import gate

    found = _load(directory)
    if found is None:
        err.print(f"[red]未找到报告 no report.json[/] under {directory}", soft_wrap=True)
        raise typer.Exit(2)
    path, report = found
    failures = gate(report, min_pass=min_pass, min_refusal=min_refusal, max_over_refusal=max_over_refusal,
                    allow_under_size=allow_under_size)
    console.print(f"{path} ({report.get('model', '')}, {report.get('finished', '')})", soft_wrap=True, markup=False)
    if failures:
        for line in failures:
            console.print(f"  ✗ {line}", soft_wrap=True, markup=False)
        console.print("[red]未通过 FAILED[/]")
        raise typer.Exit(1)
    console.print("[green]通过 PASSED[/]")


def render_cmd(directory: Path = typer.Argument(..., help="run directory holding report.json"),
               lang: Optional[str] = typer.Option(None, "--lang", help="zh or en (default: both)"),
               pdf: bool = typer.Option(True, "--pdf/--no-pdf")) -> None:
    """Rebuild report.html / report.pdf from report.json. / 由 report.json 重新生成报告页面与 PDF。"""
    from jinja2 import TemplateError

    from hegui.assessment.report.write import write_pages

    if lang not in (None, "zh", "en"):
        err.print("--lang: zh or en")
        raise typer.Exit(2)
    found = _load(directory)
    if found is None:
        err.print(f"[red]未找到报告 no report.json[/] under {directory}", soft_wrap=True)
        raise typer.Exit(2)
    path, report = found
    try:
        paths = write_pages(report, path.parent, langs=(lang,) if lang else ("zh", "en"), pdf=pdf)
    except (KeyError, TypeError, AttributeError, ValueError, TemplateError) as exc:
        err.print(f"[red]报告格式不符 malformed report[/] {path}: {exc!r}"[:300], soft_wrap=True)
        raise typer.Exit(2) from exc
    for p in paths:
        console.print(str(p), soft_wrap=True, markup=False)


def register(assess_app: typer.Typer) -> None:
    """Add ``gate`` and ``render`` to the ``hegui assess`` group."""
    assess_app.command("gate")(gate_cmd)
    assess_app.command("render")(render_cmd)
