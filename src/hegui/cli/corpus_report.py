"""``hegui corpus review import DIR FILE`` and ``hegui corpus render DIR``: the manual-sample
worksheet read back (GB/T 45654 B.2.1 a) and the corpus report rebuilt from an audit folder's
decisions with the profile, seed and source register its report.json recorded."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from hegui.errors import HeguiError

review_app = typer.Typer(help="Manual sample of the training corpus (B.2.1 a) / 训练语料人工抽检", no_args_is_help=True)
out = Console()


def _fail(exc: HeguiError) -> None:
    Console(stderr=True).print(f"[red]错误 error[/] [{exc.code}] {exc.bilingual()}", soft_wrap=True)
    raise typer.Exit(2)


def _said(report: dict, audit_dir: Path) -> None:
    conforms = bool(report.get("conforms"))
    out.print(f"{'符合 conforms' if conforms else '不符合 does not conform'} — {audit_dir / 'report.json'}", soft_wrap=True)
    for p in report.get("problems", []):
        out.print(f"  - {p.get('zh', '')} / {p.get('en', '')}", soft_wrap=True, markup=False)
    raise typer.Exit(0 if conforms else 1)


@review_app.command("import")
def import_cmd(audit_dir: Path = typer.Argument(..., help="the --out folder of an audit / 审计输出目录"),
               worksheet: Path = typer.Argument(..., help="the reviewed manual-sample.xlsx / 已审核的工作表"),
               pdf: bool = typer.Option(True, help="write the PDF pages too / 同时生成 PDF")) -> None:
    """Read the reviewers' verdicts and rebuild the report. / 导入人工结论并重新生成报告。"""
    from hegui.corpus.report.worksheet import import_manual_sample
    from hegui.corpus.report.write import manual_sample_ids, read_verdicts, rebuild

    try:
        verdicts = {**read_verdicts(audit_dir), **import_manual_sample(worksheet, known_ids=manual_sample_ids(audit_dir))}
        report = rebuild(audit_dir, manual_verdicts=verdicts, pdf=pdf)
    except HeguiError as exc:
        _fail(exc)
    except (OSError, ValueError) as exc:
        out.print(f"[red]错误 error[/] {audit_dir}: {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    out.print(f"{len(verdicts)} 条人工结论 human verdicts", soft_wrap=True)
    _said(report, audit_dir)


def render_cmd(audit_dir: Path = typer.Argument(..., help="the --out folder of an audit / 审计输出目录"),
               pdf: bool = typer.Option(True, help="write the PDF pages too / 同时生成 PDF")) -> None:
    """Rebuild report.json and the zh/en pages from the decisions. / 由决定记录重新生成报告。"""
    from hegui.corpus.report.write import rebuild

    try:
        report = rebuild(audit_dir, pdf=pdf)
    except HeguiError as exc:
        _fail(exc)
    _said(report, audit_dir)


def register(corpus_app: typer.Typer) -> None:
    """Add ``review import`` and ``render`` to the ``hegui corpus`` group."""
    corpus_app.add_typer(review_app, name="review")
    corpus_app.command("render")(render_cmd)
