"""``hegui label`` — add, inspect and propagate AIGC labels (Labeling Measures Arts 4–6;
GB 45438-2025 §5, §6, Annex E). There is deliberately no command that removes a label (Art 10).

Inputs are never modified unless ``--in-place`` is given; every output is written atomically
(temp file + fsync + rename).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from hegui.errors import HeguiError

app = typer.Typer(help="AIGC labels: add, inspect, propagate (GB 45438-2025). 生成合成内容标识。",
                  no_args_is_help=True)


class DeclaredOpt(str, Enum):
    """The uploader's declaration, as ``POST /v1/hegui/inspect`` takes it (not_ai = human)."""

    ai = "ai"
    human = "human"
    not_ai = "not_ai"
    unknown = "unknown"


class LabelOpt(str, Enum):
    one = "1"
    two = "2"
    three = "3"


def _fail(err: HeguiError) -> None:
    typer.echo(f"{err.code}: {err.bilingual()}", err=True)
    raise typer.Exit(1)


def _target(src: Path, out: Path | None, in_place: bool) -> Path:
    from hegui.labeling.errors import LabelWriteFailed

    if out is not None and in_place:
        raise LabelWriteFailed(path=str(src), detail="use either --out or --in-place")
    if in_place:
        return src
    if out is not None:
        return out
    return src.with_name(f"{src.stem}.labeled{src.suffix}")


@app.command()
def add(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
        producer: Annotated[str, typer.Option("--producer", help="TC260-PG-20252A provider code (27 chars)")],
        content_id: Annotated[str, typer.Option("--id", help="ProduceID: unique content ID")],
        explicit: Annotated[bool, typer.Option("--explicit", help="also burn in the explicit label (§5)")] = False,
        watermark: Annotated[bool, typer.Option("--watermark", help="also embed the invisible watermark")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="output path (default FILE.labeled.EXT)")] = None,
        in_place: Annotated[bool, typer.Option("--in-place", help="replace FILE atomically")] = False) -> None:
    """Write the implicit label (one per file, replacing any) — 写入隐式标识."""
    from hegui.labeling.api import write_label_file
    from hegui.labeling.atomic import write_atomic
    from hegui.labeling.errors import LabelCarrierUnsupported
    from hegui.labeling.label import ImplicitLabel
    from hegui.labeling.sidecar import TEXT_EXTENSIONS, sidecar_bytes, sidecar_path

    try:
        label = ImplicitLabel.generated(producer, content_id)
        label.check()
        dst = _target(file, out, in_place)
        is_text = file.suffix.lower() in TEXT_EXTENSIONS
        if is_text and watermark:
            raise LabelCarrierUnsupported(detail="text files cannot carry a watermark")
        with tempfile.TemporaryDirectory(prefix="hegui-label-") as tmp:
            work = _burn_in(file, Path(tmp), content_id, explicit=explicit, watermark=watermark)
            if is_text:  # no metadata carrier: documented sidecar next to the output
                if dst != file or work != file:
                    write_atomic(dst, work.read_bytes())
                write_atomic(sidecar_path(dst), sidecar_bytes(label))
                typer.echo(f"{dst} (+ {sidecar_path(dst).name}: no metadata carrier for plain text)")
                return
            write_label_file(work, label, dst=dst)  # streamed, bounded memory; metadata last
        typer.echo(str(dst))
    except HeguiError as err:
        _fail(err)


def _burn_in(src: Path, tmp: Path, content_id: str, *, explicit: bool, watermark: bool) -> Path:
    """The explicit label (§5 / Art 4 ¶2) and the watermark, both re-encoding, into temp files;
    ``src`` itself when neither is asked for. The implicit label is written after them."""
    work = src
    if explicit:
        from hegui.labeling.explicit import apply_explicit

        work = apply_explicit(src, tmp / f"explicit{src.suffix}")
    if watermark:
        from hegui.labeling.explicit import check_image_file, default_policy
        from hegui.labeling.watermark import embed, payload_for_content_id

        check_image_file(work, default_policy().image)  # bounded memory before the whole file is read
        marked = tmp / f"watermarked{src.suffix}"
        marked.write_bytes(embed(work.read_bytes(), payload_for_content_id(content_id)))
        work = marked
    return work


def _walk(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file() and not q.name.endswith(".aigc.json"))
        else:
            yield p


@app.command("inspect")
def inspect_cmd(files: Annotated[list[Path], typer.Argument(help="files or directories (recursive)")],
                as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
                declared: Annotated[DeclaredOpt | None, typer.Option("--declared", help="uploader's declaration")] = None,
                c2pa: Annotated[bool, typer.Option("--c2pa/--no-c2pa")] = True,
                watermark: Annotated[bool, typer.Option("--watermark/--no-watermark")] = True,
                audio_cue: Annotated[bool, typer.Option("--audio-cue/--no-audio-cue",
                                                        help="look for the §5.3 rhythm cue in audio")] = True) -> None:
    """Classify files as confirmed / possible / suspected / none (Measures Art 6) — 检测标识."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from hegui.labeling.carriers import default_registry
    from hegui.labeling.inspector import inspect
    from hegui.labeling.service import parse_declared

    reg = default_registry()
    todo = list(_walk(files))
    missing = [p for p in files if not p.exists()]
    err_console = Console(stderr=True)
    results = []
    with Progress(console=err_console, transient=True, disable=len(todo) < 2 or not err_console.is_terminal) as prog:
        task = prog.add_task("inspecting", total=len(todo))
        for p in todo:
            r = inspect(p, parse_declared(declared.value if declared else None), registry=reg, check_c2pa=c2pa,
                        check_watermark=watermark, check_audio_cue=audio_cue)
            results.append(r)
            if as_json:
                sys.stdout.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
            prog.advance(task)
    for p in missing:
        typer.echo(f"LABEL_FILE_MISSING: 文件不存在 / file not found: {p}", err=True)
    if not as_json:
        t = Table("file", "class", "carrier", "verdict", "evidence")
        for r in results:
            t.add_row(r.file, r.klass, r.carrier or "-", r.verdict, "; ".join(r.evidence + r.errors)[:200])
        Console().print(t)
    if missing:
        raise typer.Exit(1)


@app.command()
def propagate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
              propagator: Annotated[str, typer.Option("--propagator", help="platform's provider code")],
              propagate_id: Annotated[str, typer.Option("--id", help="PropagateID")],
              label: Annotated[LabelOpt | None, typer.Option(
                  "--label", help="class for unlabelled content: 2 possible, 3 suspected")] = None,
              out: Annotated[Path | None, typer.Option("--out")] = None,
              in_place: Annotated[bool, typer.Option("--in-place")] = False) -> None:
    """Write the platform's propagation fields, keeping the producer's (Measures Art 6) — 写入传播标识."""
    from hegui.labeling.api import read_label_file, write_label_file
    from hegui.labeling.errors import LabelInvalid
    from hegui.labeling.label import ImplicitLabel

    try:
        current = read_label_file(file)
        dst = _target(file, out, in_place)
        if current.label is not None:
            keep = current.label.Label if current.label.Label in ("1", "2", "3") else None
            # never downgrade a "1" (reference §8): an explicit --label only raises the class
            new = keep if label is None or (keep and keep < label.value) else label.value
            updated = current.label.propagated(propagator, propagate_id, label=new)
        elif label is not None and label.value in ("2", "3"):
            updated = ImplicitLabel(label.value, "", "", "", propagator, propagate_id, "")
        else:
            raise LabelInvalid(detail="file has no implicit label; pass --label 2 (declared) or 3 (suspected)")
        write_label_file(file, updated, dst=dst)
        typer.echo(str(dst))
    except HeguiError as err:
        _fail(err)
