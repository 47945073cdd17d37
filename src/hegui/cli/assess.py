"""``hegui assess run`` / ``hegui assess status``: the security assessment of GB/T 45654 Annex B
(Interim Measures Art 17) against any OpenAI-compatible endpoint. A thin shell over
:mod:`hegui.assessment.runner`; judging and the report are :func:`hegui.assessment.evaluate.finish`.

Exit codes: 0 the run conforms, 1 it completed and does not conform, 2 an error (bad bank or
profile, endpoint unusable, interrupted) — the same command resumes.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from hegui.errors import HeguiError

app = typer.Typer(help="Security assessment (GB/T 45654) / 安全评估", no_args_is_help=True)
err = Console(stderr=True)
out = Console()


def _redacted(argv: list[str]) -> list[str]:
    """``argv`` with the value of ``--api-key`` hidden (it is never printed or stored)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if i and argv[i - 1] == "--api-key":
            out.append("***")
        elif arg.startswith("--api-key="):
            out.append("--api-key=***")
        else:
            out.append(arg)
    return out


def _resume_hint() -> str:
    cmd = " ".join(shlex.quote(a) for a in _redacted(["hegui", *sys.argv[1:]]))
    return (f"再次执行同一命令即可从中断处继续 / run the same command again to resume:\n  {cmd}"
            if cmd else "run the same command again to resume / 再次执行同一命令即可继续")


@app.command("run")
def run(endpoint: str = typer.Option(..., help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1"),
        model: str = typer.Option(..., help="model name sent to the endpoint / 模型名称"),
        bank: list[Path] = typer.Option(..., "--bank", help="bank file(s): JSONL, CSV, XLSX / 测试题库文件"),
        out_dir: Path = typer.Option(..., "--out", help="run directory (state, report) / 运行目录"),
        profile: str = typer.Option("gbt45654-2025", help="threshold profile name or YAML path / 阈值配置"),
        api_key: Optional[str] = typer.Option(None, envvar="HEGUI_ASSESS_API_KEY",
                                              help="Bearer key (never stored) / 接口密钥（不保存）"),
        user: Optional[str] = typer.Option(None, help="the OpenAI `user` field / user 字段"),
        concurrency: int = typer.Option(8, min=1, max=512, help="requests in flight / 并发数"),
        rps: Optional[float] = typer.Option(None, help="at most this many requests per second / 每秒请求上限"),
        timeout: float = typer.Option(60.0, help="seconds per request / 单次请求超时（秒）"),
        retries: int = typer.Option(3, min=0, max=20, help="retries per item / 重试次数"),
        seed: int = typer.Option(0, help="sampling seed / 抽样随机种子"),
        judge_endpoint: Optional[str] = typer.Option(None, help="optional LLM judge: OpenAI-compatible base URL / 可选大模型裁判"),
        judge_model: Optional[str] = typer.Option(None, help="the LLM judge's model / 裁判模型"),
        judge_api_key: Optional[str] = typer.Option(None, envvar="HEGUI_JUDGE_API_KEY", help="LLM judge key (never stored)"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar / 不显示进度条")) -> None:
    """Ask the endpoint every sampled bank question (resumable), judge, write the report.
    / 对接口逐题提问（可断点续跑），判定并生成评估报告。"""
    from hegui.assessment.profiles import load_profile
    from hegui.assessment.runner import RunConfig, RunProgress, RunState, ask_all, sample_items

    if bool(judge_endpoint) != bool(judge_model):
        raise typer.BadParameter("--judge-endpoint and --judge-model go together / 需同时给出裁判地址与模型")

    config = RunConfig(endpoint=endpoint, model=model, api_key=api_key, user=user, concurrency=concurrency,
                       rps=rps, timeout_s=timeout, retries=retries, seed=seed)
    prof = load_profile(profile)
    from hegui.assessment import banks as bank_io  # lazily: the bank reader is its own module

    items = bank_io.read_banks(bank)
    per_file = Counter(str(Path(it.file).resolve()) for it in items)
    hashes = [{"file": str(p), "sha256": bank_io.file_sha256(p), "items": per_file.get(str(p.resolve()), 0)}
              for p in bank]
    sample = sample_items(items, prof, seed=seed)
    meta = {"endpoint": endpoint, "model": model, "profile": {"id": prof.id, "version": prof.version},
            "seed": seed, "banks": hashes, "config": config.public(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "sample": {k.value: {"n_bank": v.n_bank, "n_sampled": v.n_sampled, "under_size": v.under_size,
                                 "minimum": v.minimum} for k, v in sample.by_bank.items()}}
    for kind, info in sample.by_bank.items():
        if info.under_size:
            err.print(f"[yellow]题库不足 under size[/] {kind.value}: {info.n_bank} < {info.minimum} — 全部使用，"
                      "报告将注明 / all used, the report says so", soft_wrap=True)
    state = RunState(out_dir).open_or_init(meta, sample.items)
    try:
        total = len(sample.items)
        pending = len(state.pending())
        if pending < total:
            err.print(f"继续运行 resuming: {total - pending}/{total} answered 已回答", soft_wrap=True)
        try:
            with RunProgress(total, total - pending, quiet=quiet, console=err) as bar:
                stats = asyncio.run(ask_all(config, state, progress=bar))
        except KeyboardInterrupt:
            err.print(f"[yellow]已中断，已保存已有回答 interrupted, answers so far are saved.[/]\n{_resume_hint()}",
                      soft_wrap=True)
            raise typer.Exit(2) from None
        except HeguiError as exc:
            err.print(f"[red]错误 error[/] [{exc.code}] {exc.bilingual()}\n{_resume_hint()}", soft_wrap=True)
            raise typer.Exit(2) from None
        if not quiet:
            err.print(f"asked 提问 {stats.asked} (ok {stats.ok}, refused 拒答 {stats.refused}, error 错误 "
                      f"{stats.error}), already done 已完成 {stats.skipped}, {stats.elapsed_s:.1f}s, "
                      f"{stats.per_s:.1f}/s", soft_wrap=True)
        left = state.counts()
        errors = sum(c["error"] for c in left.values())
        if errors:
            err.print(f"[yellow]{errors} 题无可用回答 items have no usable answer[/] (counted against the service "
                      f"in the report / 报告中计为不通过); rerun to ask them again / 重新执行可重试", soft_wrap=True)
        from hegui.assessment import evaluate

        state.set_meta(bank_check=bank_io.check_banks(items, prof, today=date.today()).to_dict())
        report = evaluate.finish(state, prof, out_dir, lang="zh",
                                 judges=_judges(judge_endpoint, judge_model, judge_api_key),
                                 log=None if quiet else lambda m: err.print(m, soft_wrap=True))
    finally:
        state.close()
    conforms = bool(report.get("conforms"))
    out.print(f"[{'green' if conforms else 'red'}]{'符合 conforms' if conforms else '不符合 does not conform'}[/] "
              f"— report 报告: {out_dir / 'report.json'}", soft_wrap=True)
    raise typer.Exit(0 if conforms else 1)


def _judges(endpoint: Optional[str], model: Optional[str], api_key: Optional[str]) -> list:
    from hegui.assessment.judges import LLMJudgeConfig, default_judges

    return default_judges(llm=LLMJudgeConfig(endpoint=endpoint, model=model, api_key=api_key) if endpoint else None)


@app.command("status")
def status(run_dir: Path = typer.Argument(..., help="the --out directory of a run / 运行目录")) -> None:
    """Progress of a run: answered, pending, errors per bank. / 查看评估运行进度。"""
    from hegui.assessment.runner import RunState

    with RunState(run_dir).open() as state:
        meta = state.meta()
        counts = state.counts()
    out.print(f"model 模型 [bold]{meta.get('model')}[/] @ {meta.get('endpoint')} · profile {meta.get('profile', {}).get('id')}"
              f" · seed {meta.get('seed')} · started 开始 {meta.get('started')}"
              + (f" · finished 完成 {meta['finished']}" if meta.get("finished") else ""), soft_wrap=True)
    table = Table(title="评估进度 assessment progress")
    for col in ("题库 bank", "抽样 items", "已回答 ok", "拒答 refused", "错误 error", "待提问 pending"):
        table.add_column(col, justify="right" if col[0] != "题" else "left")
    total = {"items": 0, "ok": 0, "refused": 0, "error": 0, "pending": 0}
    for bank_name, c in sorted(counts.items()):
        table.add_row(bank_name, *(str(c[k]) for k in ("items", "ok", "refused", "error", "pending")))
        for k in total:
            total[k] += c[k]
    table.add_row("[bold]all 合计[/]", *(str(total[k]) for k in ("items", "ok", "refused", "error", "pending")))
    out.print(table)
    todo = total["pending"] + total["error"]
    out.print("complete 已全部回答" if not todo else f"{todo} to ask 待提问 (pending + errors): rerun `hegui assess run` "
              "with the same arguments / 用相同参数再次执行即可继续", soft_wrap=True)


def _register_more() -> None:
    from hegui.cli import assess_report, assess_review

    assess_report.register(app)
    assess_review.register(app)


_register_more()
