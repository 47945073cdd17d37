"""``hegui corpus audit``: the training-data audit (Interim Measures Arts 7, 19; GB/T 45654 §5,
Annex B.2.1). A thin shell over :func:`hegui.corpus.audit.run_audit`; the steps come from
:mod:`hegui.corpus.steps`, the passes from :mod:`hegui.corpus.passes`, the report from
:mod:`hegui.corpus.report` (all imported when the command runs).

Exit codes: 0 the audit conforms, 1 it does not (yet: the manual sample needs review), 2 an error (bad input, bad register, interrupted) — the same command resumes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from hegui.errors import ConfigError

app = typer.Typer(help="Training-data audit / 训练语料审核", no_args_is_help=True)
out = Console()


def _optouts(path: Optional[Path], config: Optional[Path]) -> Any:
    """The opt-out registry: ``--optouts`` or ``<var_dir>/corpus/optouts.jsonl`` when present."""
    if path is None:
        try:
            from hegui.settings import load_settings

            path = Path(load_settings(config).var_dir) / "corpus" / "optouts.jsonl"
        except Exception:  # noqa: BLE001 - no settings: no default registry
            return None
        if not path.is_file():
            return None
    from hegui.corpus.optout import OptOutRegistry

    return OptOutRegistry.load(path)


@app.command("audit")
def audit(inputs: list[Path] = typer.Option(..., "--in", help="JSONL, Parquet, CSV, WARC file or text folder (repeat) / 输入"),
          out_dir: Path = typer.Option(..., "--out", help="output directory / 输出目录"),
          engine: str = typer.Option("local", help="local | ray / 执行引擎"),
          ray_address: Optional[str] = typer.Option(None, help="Ray cluster address (auto, ray://host:10001) / Ray 集群地址"),
          workers: Optional[int] = typer.Option(None, min=1, help="processes (local) or CPUs (local Ray) / 进程数"),
          sources: Optional[Path] = typer.Option(None, "--sources", help="source register sources.yaml / 来源登记表"),
          steps: str = typer.Option("default", help="default | fast / 步骤集"),
          optouts: Optional[Path] = typer.Option(None, "--optouts", help="opt-out registry / 退出登记"),
          text_field: Optional[str] = typer.Option(None, help="JSON/CSV/Parquet text field / 文本字段"),
          lines: bool = typer.Option(False, "--lines", help="text files: one record per line / 文本按行"),
          batch_size: int = typer.Option(256, min=1, help="records per batch / 批大小"),
          no_resume: bool = typer.Option(False, "--no-resume", help="start over / 不续跑"),
          seed: int = typer.Option(0, help="sampling seed / 抽样随机种子"),
          config: Optional[Path] = typer.Option(None, "--config", "-c", help="path to hegui.toml")) -> None:
    """Audit a training corpus: decisions, filtered corpus, report. / 审核训练语料。"""
    from hegui.corpus.audit import run_audit
    from hegui.corpus.engine import make_engine
    from hegui.corpus.passes import default_passes
    from hegui.corpus.readers import ReadOptions
    from hegui.corpus.report import write_report
    from hegui.corpus.sources import load_sources
    from hegui.corpus.steps import default_steps

    if steps not in ("default", "fast"):
        raise ConfigError(detail=f"--steps {steps!r}: default | fast")
    register = load_sources(sources) if sources else None
    step_list = default_steps(fast=steps == "fast")
    pass_list = default_passes(optouts=_optouts(optouts, config))
    eng = make_engine(engine, workers=workers, ray_address=ray_address, batch_size=batch_size)
    result = run_audit(inputs, out_dir, steps=step_list, passes=pass_list, engine=eng, sources=register,
                       resume=not no_resume, read_options=ReadOptions(text_field=text_field, lines=lines))
    report = write_report(result, out_dir, seed=seed)
    table = Table(title=f"语料审核 corpus audit — {result.records} records, {result.kept} kept, "
                        f"{result.problems} problems ({result.engine}, {result.seconds:.1f} s)")
    for col in ("来源 Source", "类型 Type", "许可 Licence", "记录 Records", "保留 Kept", "排除 Excluded"):
        table.add_column(col, overflow="fold")
    for t in result.sources.values():
        kinds: Counter[str] = Counter()
        for reason, n in t.excluded.items():
            kinds[reason.split(":", 1)[0]] += n  # duplicate:<id> → duplicate
        table.add_row(t.id, t.type, t.licence, str(t.records), str(t.kept),
                      ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())))
    out.print(table)
    if result.shards_resumed:
        out.print(f"续跑：跳过 {result.shards_resumed} 个已完成分片 / resumed: {result.shards_resumed} finished shards skipped")
    out.print(f"{out_dir}/decisions.jsonl · filtered/ · problems.jsonl · audit.json · report.json/html/pdf · "
              "manual-sample.xlsx", soft_wrap=True)
    conforms = bool(report.get("conforms"))
    out.print(f"[{'green' if conforms else 'red'}]{'符合 conforms' if conforms else '不符合 does not conform'}[/] "
              "(人工抽检须导入工作表 the manual sample needs the reviewed worksheet: hegui corpus review import)",
              soft_wrap=True)
    raise typer.Exit(0 if conforms else 1)


def _register_more() -> None:
    from hegui.cli import corpus_report

    corpus_report.register(app)


_register_more()
