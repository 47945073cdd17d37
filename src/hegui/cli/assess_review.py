"""``hegui assess review export|import``: the human-review worksheet of the manual method
(GB/T 45654 B.2.2 b). Export writes the run's answers to XLSX; import reads the reviewers' verdicts
back into the run's state (``judge="human"``, which decides over the automatic judges) and rebuilds
the report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from hegui.assessment.models import BankKind

review_app = typer.Typer(help="Human review worksheet (manual method, B.2.2 b) / 人工抽检工作表", no_args_is_help=True)
out = Console()


@review_app.command("export")
def export_cmd(run_dir: Path = typer.Argument(..., help="the --out directory of a run / 运行目录"),
               bank: str = typer.Option("generated", help="generated | should_refuse | non_refusal | all"),
               dest: Optional[Path] = typer.Option(None, "--out", help="XLSX path (default DIR/review-<bank>.xlsx)"),
               lang: str = typer.Option("zh", help="zh | en")) -> None:
    """Write the answers of a run to a review worksheet. / 导出人工抽检工作表。"""
    from hegui.assessment.judges import export_worksheet
    from hegui.assessment.runner import RunState

    kinds = list(BankKind) if bank == "all" else [BankKind(bank)]
    with RunState(run_dir).open() as state:
        answers, verdicts = state.answers(), state.verdicts()
        rows = [(item, answers[item.id], verdicts.get(item.id, [])) for item in state.items()
                if item.bank in kinds and item.id in answers]
    path = export_worksheet(dest or run_dir / f"review-{bank}.xlsx", rows, lang=lang)
    out.print(f"{len(rows)} 条待审 rows to review → {path}", soft_wrap=True)


@review_app.command("import")
def import_cmd(run_dir: Path = typer.Argument(..., help="the --out directory of a run / 运行目录"),
               worksheet: Path = typer.Argument(..., help="the reviewed XLSX / 已审核的工作表"),
               lang: str = typer.Option("zh", help="report language / 报告语言")) -> None:
    """Read reviewers' verdicts into the run and rebuild the report. / 导入人工结论并重新生成报告。"""
    from hegui.assessment import evaluate
    from hegui.assessment.judges import import_worksheet
    from hegui.assessment.profiles import load_profile
    from hegui.assessment.runner import RunState

    with RunState(run_dir).open() as state:
        verdicts = import_worksheet(worksheet, known_ids={i.id for i in state.items()})
        state.save_verdicts(verdicts)
        profile = load_profile(state.meta()["profile"]["id"])
        report = evaluate.finish(state, profile, run_dir, lang=lang)
    conforms = bool(report.get("conforms"))
    out.print(f"{len(verdicts)} 条人工结论 human verdicts imported; "
              f"{'符合 conforms' if conforms else '不符合 does not conform'} — {run_dir / 'report.json'}", soft_wrap=True)
    raise typer.Exit(0 if conforms else 1)


def register(assess_app: typer.Typer) -> None:
    assess_app.add_typer(review_app, name="review")
