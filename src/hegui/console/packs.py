"""Operator policy packs and lexicon edits, coordinated with the moderation engine through files.

A pack is a directory (``pack.yaml`` + ``*.tsv`` term files, see ``docs/moderation.md``).
The console keeps, under ``<var_dir>/packs``:

- ``versions/<id>/<UTC stamp>/``: every uploaded version, never changed afterwards;
- ``live/<id>``: a symbolic link to the active version, swapped atomically (``os.replace`` of a
  new link), so the engine's hot reload never sees a half-written pack. Put ``<var_dir>/packs/live/<id>``
  in ``moderation.pack_dirs`` for the engine to load it;
- ``history.jsonl``: one line per activation, so a rollback re-activates the previous version.

Uploads (a ``.zip`` of the pack's files, or a lone ``pack.yaml``) are validated with the engine's
own loader (:func:`hegui.moderation.packs.loader.load_pack`), whose errors name ``file:line``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import os
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from hegui.errors import HeguiError, NotFound, ValidationFailed
from hegui.fileio import write_atomic
from hegui.moderation.packs.loader import MANIFEST, load_pack
from hegui.settings import HeguiSettings

LEXICON_PACK = "console-lexicon"
MAX_UPLOAD = 20_000_000
MAX_FILES = 64
_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.(yaml|yml|tsv)$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_STAMP = re.compile(r"^[0-9]{8}T[0-9]{12}Z$")



@dataclass
class PackVersion:
    id: str
    stamp: str
    version: str  # the manifest's own version string
    path: Path
    terms: int
    active: bool


class PackStore:
    def __init__(self, settings: HeguiSettings) -> None:
        self.root = Path(settings.var_dir) / "packs"
        self.live = self.root / "live"
        self.versions = self.root / "versions"
        self.history = self.root / "history.jsonl"

    # -- upload and validation ---------------------------------------------------------------
    def upload(self, filename: str, data: bytes) -> PackVersion:
        files = self._files_of(filename, data)
        staging = self.root / ".staging" / uuid.uuid4().hex
        try:
            for name, content in files.items():
                write_atomic(staging / name, content)
            pack = self._validate(staging)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = self.versions / pack.id / stamp
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return PackVersion(pack.id, stamp, pack.manifest.version, target, len(pack.terms), False)

    def _files_of(self, filename: str, data: bytes) -> dict[str, bytes]:
        if len(data) > MAX_UPLOAD:
            raise ValidationFailed(detail=f"pack upload larger than {MAX_UPLOAD // 1_000_000} MB")
        if data[:4] == b"PK\x03\x04":
            out: dict[str, bytes] = {}
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    infos = [i for i in z.infolist() if not i.is_dir()]
                    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_UPLOAD:
                        raise ValidationFailed(detail="pack archive has too many or too large files")
                    for info in infos:
                        name = Path(info.filename).name
                        if not _FILE.match(name) or name in out:
                            raise ValidationFailed(message_en=f"unexpected file in the pack archive: {info.filename}",
                                                   message_zh=f"策略包压缩文件中有不允许的文件：{info.filename}")
                        out[name] = z.read(info)
            except zipfile.BadZipFile as exc:
                raise ValidationFailed(detail=f"not a valid zip archive: {exc}") from exc
            if MANIFEST not in out:
                raise ValidationFailed(message_en="the archive has no pack.yaml", message_zh="压缩文件中缺少 pack.yaml")
            return out
        if not filename.lower().endswith((".yaml", ".yml")):
            raise ValidationFailed(message_en="upload a .zip of the pack directory or its pack.yaml",
                                   message_zh="请上传策略包目录的 .zip 压缩文件或其 pack.yaml")
        return {MANIFEST: data}

    def _validate(self, path: Path):
        try:
            return load_pack(path)
        except HeguiError as exc:  # PackError names file:line; show it without the staging path
            raise ValidationFailed(message_en=f"pack rejected: {exc.message('en')}".replace(str(path) + "/", ""),
                                   message_zh=f"策略包未通过校验：{exc.message('zh')}".replace(str(path) + "/", "")) from exc

    # -- listing and diff ----------------------------------------------------------------------
    def active_stamp(self, pack_id: str) -> str | None:
        link = self.live / pack_id
        return Path(os.readlink(link)).name if link.is_symlink() else None

    def list(self) -> list[PackVersion]:
        out = []
        if self.versions.exists():
            for d in sorted(p for p in self.versions.iterdir() if p.is_dir()):
                active = self.active_stamp(d.name)
                for v in sorted((p for p in d.iterdir() if _STAMP.match(p.name)), reverse=True):
                    manifest = yaml.safe_load((v / MANIFEST).read_text(encoding="utf-8")) or {}
                    terms = sum(1 for f in v.glob("*.tsv") for line in f.read_text(encoding="utf-8").splitlines()
                                if line.strip() and not line.startswith("#"))
                    out.append(PackVersion(d.name, v.name, str(manifest.get("version", "")), v, terms,
                                           v.name == active))
        return out

    def diff(self, pack_id: str, stamp: str) -> str:
        new_dir = self._version_dir(pack_id, stamp)
        link = self.live / pack_id
        old_dir = link.resolve() if link.is_symlink() else None
        names = sorted({p.name for p in new_dir.iterdir()} | ({p.name for p in old_dir.iterdir()} if old_dir else set()))
        chunks = []
        for name in names:
            old = (old_dir / name).read_text(encoding="utf-8").splitlines() if old_dir and (old_dir / name).exists() else []
            new = (new_dir / name).read_text(encoding="utf-8").splitlines() if (new_dir / name).exists() else []
            chunks.extend(difflib.unified_diff(old, new, f"live/{pack_id}/{name}", f"{stamp}/{name}", lineterm=""))
        return "\n".join(chunks)

    # -- activation ----------------------------------------------------------------------------
    def activate(self, pack_id: str, stamp: str, actor: str) -> None:
        target = self._version_dir(pack_id, stamp)
        self._validate(target)
        self.live.mkdir(parents=True, exist_ok=True)
        tmp = self.live / f".{pack_id}.{uuid.uuid4().hex[:8]}"
        os.symlink(os.path.relpath(target, self.live), tmp)
        os.replace(tmp, self.live / pack_id)  # atomic swap of the live link
        line = json.dumps({"id": pack_id, "stamp": stamp, "actor": actor,
                           "at": dt.datetime.now(dt.UTC).isoformat()}) + "\n"
        existing = self.history.read_bytes() if self.history.exists() else b""
        write_atomic(self.history, existing + line.encode())

    def rollback(self, pack_id: str, actor: str) -> str:
        seq = [h["stamp"] for h in self._history() if h["id"] == pack_id]
        current = self.active_stamp(pack_id)
        earlier = [s for s in seq if s != current]
        if not earlier:
            raise ValidationFailed(message_en=f"{pack_id}: no earlier version to roll back to",
                                   message_zh=f"{pack_id}：没有可回滚的早期版本")
        self.activate(pack_id, earlier[-1], actor)
        return earlier[-1]

    def _history(self) -> list[dict]:
        if not self.history.exists():
            return []
        return [json.loads(x) for x in self.history.read_text(encoding="utf-8").splitlines() if x.strip()]

    # -- lexicon edits from the review queue -----------------------------------------------------
    def add_term(self, term: str, risk: str, actor: str) -> str:
        """A new version of the ``console-lexicon`` pack with one more term, validated and activated."""
        term = term.strip()
        if not term or len(term) > 64 or "\t" in term or "\n" in term:
            raise ValidationFailed(message_en="term must be 1–64 characters on one line",
                                   message_zh="词条须为 1–64 个字符且不含换行")
        if not re.match(r"^A[1-5][a-z]$", risk or ""):
            raise ValidationFailed(message_en="risk must be a GB/T 45654 risk id such as A1h",
                                   message_zh="风险须为 GB/T 45654 风险编号，如 A1h")
        link = self.live / LEXICON_PACK
        rows: list[str] = []
        version = 0
        if link.is_symlink():
            current = link.resolve()
            version = int((yaml.safe_load((current / MANIFEST).read_text(encoding="utf-8")) or {}).get("version", 0))
            tsv = current / "terms.tsv"
            rows = [r for r in tsv.read_text(encoding="utf-8").splitlines() if r.strip() and not r.startswith("#")]
        if any(r.split("\t")[:2] == [term, risk] for r in rows):
            raise ValidationFailed(message_en="term already in the lexicon", message_zh="词条已在词库中")
        rows.append(f"{term}\t{risk}\t2")
        risks = sorted({r.split("\t")[1] for r in rows})
        manifest = {"format": 1, "id": LEXICON_PACK, "version": str(version + 1),
                    "name_zh": "控制台审核新增词条", "name_en": "terms added in the console review queue",
                    "risks": risks, "terms": ["*.tsv"]}
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(MANIFEST, yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))
            z.writestr("terms.tsv", "# term\trisk\tseverity\n" + "\n".join(rows) + "\n")
        v = self.upload("console-lexicon.zip", buf.getvalue())
        self.activate(LEXICON_PACK, v.stamp, actor)
        return v.version

    def _version_dir(self, pack_id: str, stamp: str) -> Path:
        if not _ID.match(pack_id or "") or not _STAMP.match(stamp or ""):
            raise NotFound(detail=f"pack {pack_id}@{stamp}")
        p = self.versions / pack_id / stamp
        if not (p / MANIFEST).exists():
            raise NotFound(detail=f"pack {pack_id}@{stamp}")
        return p
