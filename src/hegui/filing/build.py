"""Build or check a dossier (``hegui filing dossier``): every piece of the track built from live
data into ``DIR/NN-<piece>/``, ``DIR/dossier.pdf`` (cover, contents, one page per piece, the
assessment report appended), ``DIR/manifest.json`` (sha256 and size of every file, statuses, the
filing clock, a settings digest without secrets) and ``DIR.zip`` (deterministic). The folder is
built beside ``DIR`` and renamed into place; files 0600, folders 0700 (business data)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hegui
from hegui.errors import ValidationFailed
from hegui.filing.model import Built, Dossier, Piece, PieceStatus, Track
from hegui.filing.pieces import pieces_for
from hegui.fileio import fsync_dir, private_dir, write_atomic

SECRET_WORDS = ("key", "secret", "password", "token", "url")  # storage.url may hold a password
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class Outcome:
    no: int
    piece: Piece
    built: Built
    files: list[str] = field(default_factory=list)  # paths relative to DIR

    @property
    def folder(self) -> str:
        return f"{self.no:02d}-{self.piece.id}"

    def to_dict(self) -> dict[str, Any]:
        b = self.built
        return {"no": self.no, "id": self.piece.id, "title_zh": self.piece.title_zh, "title_en": self.piece.title_en,
                "duty": self.piece.duty, "status": b.status.value, "reason_zh": b.reason_zh, "reason_en": b.reason_en,
                "fix_zh": b.fix_zh, "fix_en": b.fix_en, "files": self.files}


def run_pieces(dossier: Dossier, track: Track) -> list[Outcome]:
    """Build every piece of ``track`` in memory (a builder that raises counts as missing)."""
    out = []
    for no, piece in enumerate(pieces_for(track), 1):
        try:
            built = piece.build(dossier, track)
        except Exception as exc:  # fail closed: a broken builder is a missing piece, never a silent pass
            built = Built(PieceStatus.MISSING, reason_zh=f"生成出错：{exc}", reason_en=f"builder failed: {exc}",
                          fix_zh="修正上述问题后重试", fix_en="fix the problem above and retry")
        out.append(Outcome(no, piece, built))
    return out


def blocking(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.built.status.blocks]


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<redacted>" if any(w in k.lower() for w in SECRET_WORDS) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def settings_digest(dossier: Dossier) -> str:
    """sha256 of the settings with every key, secret, password, token and URL left out."""
    data = _scrub(dossier.settings.model_dump(mode="json", exclude={"config_file", "var_dir"}))
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cover(dossier: Dossier, track: Track, digest: str) -> dict[str, Any]:
    svc = dossier.settings.service
    zh, en = dossier.clock.lines()
    return {"title_zh": f"{track.zh}材料 — {svc.service_name}", "title_en": f"{track.value} filing dossier — {svc.service_name}",
            "rows": [("服务提供者 Provider", f"{svc.provider_name}（{svc.provider_code}）"),
                     ("服务名称 Service", svc.service_name),
                     ("备案类型 Track", f"{track.zh} {track.value}"),
                     ("算法备案号 Algorithm filing no.", svc.filing_number or "—"),
                     ("大模型备案号 Model filing no.", svc.model_filing_number or "—"),
                     ("备案期限 Filing clock", f"{zh} / {en}"),
                     ("生成时间 Generated", dossier.now.isoformat(timespec="seconds")),
                     ("hegui", f"{hegui.__version__}; settings sha256 {digest[:16]}…")]}


def build(dossier: Dossier, track: Track, out_dir: Path, *, pdf: bool = True) -> dict[str, Any]:
    """Write the dossier to ``out_dir`` (which must not exist or be empty) and ``out_dir``.zip;
    returns the manifest."""
    from hegui.filing.render import dossier_html, pdf_bytes

    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValidationFailed(detail=f"{out_dir} exists and is not empty / {out_dir} 已存在且非空")
    outcomes = run_pieces(dossier, track)
    digest = settings_digest(dossier)
    private_dir(out_dir.parent)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        os.chmod(work, 0o700)
        attachments: list[Path] = []
        for o in outcomes:
            folder = private_dir(work / o.folder)
            b = o.built
            note = (f"{o.piece.title_zh} / {o.piece.title_en}\n状态 status: {b.status.zh} {b.status.value}\n"
                    f"义务 duty: {o.piece.duty}\n{b.reason_zh}\n{b.reason_en}\n"
                    + (f"处理 fix: {b.fix_zh}\n{b.fix_en}\n" if b.fix_zh or b.fix_en else ""))
            write_atomic(folder / "STATUS.txt", note, mode=0o600, durable=False)
            o.files.append(f"{o.folder}/STATUS.txt")
            for name in sorted(o.built.files):
                write_atomic(folder / name, o.built.files[name], mode=0o600, durable=False)
                o.files.append(f"{o.folder}/{name}")
            attachments += [folder / n for n in o.built.attach_pdf if n in o.built.files]
        manifest: dict[str, Any] = {
            "format": 1, "track": track.value, "generated_at": dossier.now.isoformat(timespec="seconds"),
            "hegui_version": hegui.__version__, "settings_sha256": digest, "filing_clock": dossier.clock.to_dict(),
            "complete": not blocking(outcomes), "pieces": [o.to_dict() for o in outcomes]}
        if pdf:
            toc = [{**o.to_dict(), "status_zh": o.built.status.zh} for o in outcomes]
            docs = [o.built.doc for o in outcomes if o.built.doc is not None]
            html = dossier_html(_cover(dossier, track, digest), toc, docs,
                                [str(p.relative_to(work)) for p in attachments])
            write_atomic(work / "dossier.pdf", pdf_bytes(html, attachments), mode=0o600, durable=False)
        files = sorted(p for p in work.rglob("*") if p.is_file())
        manifest["files"] = [{"path": str(p.relative_to(work)), "sha256": _sha(p), "size": p.stat().st_size}
                             for p in files]
        write_atomic(work / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", mode=0o600)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(work, out_dir)
        fsync_dir(out_dir.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    write_zip(out_dir, out_dir.with_name(out_dir.name + ".zip"))
    return manifest


def write_zip(folder: Path, dst: Path) -> Path:
    """Every file of ``folder`` in sorted order with a fixed time stamp: the same folder gives the
    same bytes (the manifest inside carries the hashes)."""
    from hegui.fileio import atomic_path

    with atomic_path(dst, mode=0o600) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o600 << 16
                zf.writestr(info, path.read_bytes())
    return dst


def verify(folder: Path) -> list[str]:
    """Files whose hash or size differs from ``manifest.json`` (empty when the folder is intact)."""
    manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for f in manifest["files"]:
        p = Path(folder) / f["path"]
        if not p.is_file() or p.stat().st_size != f["size"] or _sha(p) != f["sha256"]:
            bad.append(f["path"])
    return bad
