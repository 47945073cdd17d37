"""Load policy packs from directories; every error names ``file:line``.

A pack that is named but missing or invalid raises :class:`PackError` — never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hegui.moderation.errors import PackError, PackNotFound
from hegui.moderation.normalize import fold_term
from hegui.moderation.packs.schema import Pack, PackManifest, Term
from hegui.moderation.taxonomy import Taxonomy, default_taxonomy

MANIFEST = "pack.yaml"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TERM_CHARS = 64
MAX_WITHIN = 200
_VARIANT_LETTERS = set("pih-")


def shipped_pack_dirs() -> list[Path]:
    """The packs shipped with hegui, in load order (``core`` policy first)."""
    root = Path(str(resources.files("hegui.data") / "moderation" / "packs"))
    order = sorted((p for p in root.iterdir() if (p / MANIFEST).is_file()),
                   key=lambda p: (p.name != "core", p.name))
    return order


def load_packs(dirs: Iterable[Path | str], *, taxonomy: Taxonomy | None = None,
               replace: bool = False) -> list[Pack]:
    """Load every pack directory in order. A repeated id is an error, or with ``replace`` the
    later pack replaces the earlier one (operators overriding a shipped pack)."""
    packs: list[Pack] = []
    for d in dirs:
        pack = load_pack(Path(d), taxonomy=taxonomy)
        if any(p.id == pack.id for p in packs):
            if not replace:
                raise PackError(location=str(Path(d) / MANIFEST), detail=f"duplicate pack id {pack.id!r}")
            packs = [p for p in packs if p.id != pack.id]
        packs.append(pack)
    return packs


def load_pack(path: Path, *, taxonomy: Taxonomy | None = None) -> Pack:
    """Load and validate one pack directory."""
    taxonomy = taxonomy or default_taxonomy()
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise PackNotFound(location=str(manifest_path), detail="no pack.yaml / 缺少 pack.yaml")
    text = _read(manifest_path)
    manifest = _parse_manifest(text, manifest_path)
    _check_risks(manifest, manifest_path, text, taxonomy)
    files: list[Path] = [manifest_path]
    terms: list[Term] = []
    for pattern in manifest.terms:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise PackError(location=str(manifest_path), detail=f"term glob must stay inside the pack: {pattern}")
        for tsv in sorted(path.glob(pattern)):
            files.append(tsv)
            terms.extend(_parse_terms(tsv, manifest, taxonomy))
    mtime = max(f.stat().st_mtime_ns for f in files) / 1e9
    return Pack(manifest, path, tuple(terms), mtime, tuple(files))


def pack_mtime(pack: Pack) -> float:
    """Newest mtime of the pack's files now (new TSV files count too)."""
    if pack.path is None:
        return 0.0
    try:
        paths = [pack.path / MANIFEST]
        for pattern in pack.manifest.terms:
            paths.extend(pack.path.glob(pattern))
        return max(p.stat().st_mtime_ns for p in paths) / 1e9 + len(paths) * 1e-6
    except OSError:
        return -1.0


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PackError(location=f"{path}:1", detail=f"file larger than {MAX_FILE_BYTES} bytes")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(location=f"{path}:1", detail=f"not UTF-8: {exc.reason}") from exc
    except OSError as exc:
        raise PackNotFound(location=str(path), detail=str(exc)) from exc


def _parse_manifest(text: str, path: Path) -> PackManifest:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise PackError(location=f"{path}:{line}", detail=str(getattr(exc, "problem", exc))) from exc
    if not isinstance(data, dict):
        raise PackError(location=f"{path}:1", detail="pack.yaml must be a mapping / 必须是映射")
    try:
        return PackManifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        line = _line_of(node, err["loc"])
        where = ".".join(str(x) for x in err["loc"])
        raise PackError(location=f"{path}:{line}", detail=f"{where}: {err['msg']}") from exc


def _line_of(node: Any, loc: Sequence[Any]) -> int:
    """Line (1-based) of the YAML node at a pydantic error location (deepest node found)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    node, line = v, k.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _check_risks(manifest: PackManifest, path: Path, text: str, taxonomy: Taxonomy) -> None:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    for i, rid in enumerate(manifest.risks):
        if rid not in taxonomy:
            raise PackError(location=f"{path}:{_line_of(node, ['risks', i])}", detail=f"unknown risk {rid}")
    for name, prof in manifest.profiles.items():
        if prof.extends is not None and prof.extends not in manifest.profiles and prof.extends != "default":
            raise PackError(location=f"{path}:{_line_of(node, ['profiles', name, 'extends'])}",
                            detail=f"profile {name} extends unknown profile {prof.extends}")
        for rid, rule in prof.rules.items():
            if rid != "*" and rid not in taxonomy:
                raise PackError(location=f"{path}:{_line_of(node, ['profiles', name, 'rules', rid])}",
                                detail=f"unknown risk {rid}")
            if rule.guide_ceiling is not None and rule.threshold is not None and rule.guide_ceiling <= rule.threshold:
                raise PackError(location=f"{path}:{_line_of(node, ['profiles', name, 'rules', rid, 'guide_ceiling'])}",
                                detail=f"guide_ceiling {rule.guide_ceiling} must be above threshold {rule.threshold}")
    for rid in manifest.guidance:
        if rid != "*" and rid not in taxonomy:
            raise PackError(location=f"{path}:{_line_of(node, ['guidance', rid])}", detail=f"unknown risk {rid}")


def _split(cell: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in cell.split("|") if x.strip())


def _parse_terms(path: Path, manifest: PackManifest, taxonomy: Taxonomy) -> list[Term]:
    text = _read(path)
    out: list[Term] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#") or line.startswith("term\t"):
            continue
        cells = line.split("\t")
        loc = f"{path}:{no}"
        if len(cells) < 2 or len(cells) > 7:
            raise PackError(location=loc, detail=f"expected 2–7 tab-separated columns, got {len(cells)}")
        cells += [""] * (7 - len(cells))
        term, risk, sev, near, within, exclude, var = (c.strip() for c in cells)
        if risk not in taxonomy:
            raise PackError(location=loc, detail=f"unknown risk {risk!r}")
        if manifest.risks and risk not in manifest.risks:
            raise PackError(location=loc, detail=f"risk {risk} not declared in pack.yaml risks")
        folded = fold_term(term)
        if not folded or len(term) > MAX_TERM_CHARS:
            raise PackError(location=loc, detail=f"term {term!r} is empty after folding or longer than "
                                                 f"{MAX_TERM_CHARS} characters")
        try:
            severity = int(sev) if sev else 2
            within_n = int(within) if within else 0
        except ValueError as exc:
            raise PackError(location=loc, detail="severity and within must be integers") from exc
        if not 1 <= severity <= 3:
            raise PackError(location=loc, detail="severity must be 1, 2 or 3")
        near_t = _split(near)
        if near_t and not 1 <= within_n <= MAX_WITHIN:
            raise PackError(location=loc, detail=f"a near rule needs within between 1 and {MAX_WITHIN}")
        if var and not set(var) <= _VARIANT_LETTERS:
            raise PackError(location=loc, detail="variants must be letters p, i, h (or - for none)")
        out.append(Term(term, risk, severity, near_t, within_n, _split(exclude), var or None, loc))
    return out

