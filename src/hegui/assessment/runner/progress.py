"""A progress bar with counts and ETA for ``hegui assess run`` (rich); silent when stderr is not a
terminal or with ``--quiet``."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from hegui.assessment.models import Answer, AnswerStatus


class ProgressSink(Protocol):
    def advance(self, answer: Answer) -> None: ...


class RunProgress:
    """``with RunProgress(total, done) as p: p.advance(answer)``."""

    def __init__(self, total: int, done: int = 0, *, quiet: bool = False, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.counts = {s: 0 for s in AnswerStatus}
        self._bar: Progress | None = None
        self._task = None
        if not quiet and self.console.is_terminal:
            self._bar = Progress(TextColumn("[bold]评估 assess[/]"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                 TimeRemainingColumn(), console=self.console, transient=False)
            self._task = self._bar.add_task("assess", total=total, completed=done, counts=self._text())

    def _text(self) -> str:
        c = self.counts
        return (f"[green]ok {c[AnswerStatus.OK]}[/] [yellow]拒答 refused {c[AnswerStatus.REFUSED]}[/] "
                f"[red]错误 error {c[AnswerStatus.ERROR]}[/]")

    def advance(self, answer: Answer) -> None:
        self.counts[answer.status] += 1
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, counts=self._text())

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
