"""The evidence package of one generated output (issue 15): everything a court needs to see the
user's intellectual input (Beijing Internet Court, *Li v. Liu*, 2023 — model, prompts, negative
prompts, parameters, iterations, selection), sealed against change (Electronic Signature Law
Art 13–14; Supreme People's Court Provisions on Evidence in Civil Procedure Art 93–94 on electronic data).

One ZIP, canonical form (:mod:`hegui.provenance.zipform`), written atomically, mode 0600:

* ``records.json`` — the lineage, oldest first: each record's chain fields, prev/entry hash,
  unsealed inputs (``null`` once erased, PIPL Art 47) and the selection time;
* ``chain.json`` — the user's chain excerpt (seq, prev_hash, entry_hash) over the lineage's span;
* ``outputs/<content id>.<ext>`` — the stored outputs that exist (bytes as recorded);
* ``media/<content id>.c2pa.<ext>`` — the final image with a signed C2PA manifest;
* ``summary.pdf`` — the zh/en summary; ``hashes.sha256`` — ``sha256sum`` lines of every file;
* ``manifest.json`` — files and SHA-256s, signer, time; ``manifest.sig`` — its signature by the
  provider key; ``signer.pem`` — the certificate chain; ``manifest.tsr`` — RFC 3161 reply (optional).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hegui.errors import ValidationFailed
from hegui.fileio import write_atomic
from hegui.provenance import c2pa_media, tsa, zipform
from hegui.provenance.records import ProvenanceStore, entry_fields, iso_utc, sha256_hex
from hegui.provenance.signer import ProviderSigner
from hegui.provenance.summary import summary_pdf

FORMAT = "hegui-provenance-package/1"
OUTPUT_EXTS = ("png", "jpg", "jpeg", "webp", "txt", "json", "wav", "mp3", "flac", "mp4")
SIGNED_FILES = ("manifest.json", "manifest.sig", "manifest.tsr")
_CID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _cid(content_id: str) -> str:
    if not _CID.match(content_id or ""):
        raise ValidationFailed(message_en=f"content id {content_id[:80]!r} is not a safe file name",
                               message_zh=f"内容标识 {content_id[:80]!r} 不是安全的文件名")
    return content_id


def _iso(t: dt.datetime | None) -> str | None:
    return iso_utc(t, "seconds")


def json_bytes(value: Any) -> bytes:
    """Pretty, stable JSON (sorted keys, UTF-8) for package members a person may open."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def find_output(outputs_dir: Path, content_id: str) -> Path | None:
    for ext in OUTPUT_EXTS:
        p = outputs_dir / f"{content_id}.{ext}"
        if p.is_file():
            return p
    return None


def signer_info(signer: ProviderSigner) -> dict[str, str]:
    c = signer.certificate
    return {"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(), "serial": str(c.serial_number),
            "alg": signer.alg}


def export(store: ProvenanceStore, content_id: str, *, outputs_dir: str | Path, out: str | Path,
           signer: ProviderSigner, provider: str = "", now: dt.datetime | None = None,
           tsa_post: Callable[[str, bytes], bytes] | None = None) -> Path:
    """Write the evidence package of ``content_id`` to ``out`` (atomic, 0600) and return ``out``.

    ``tsa_post`` replaces the HTTP POST to ``signer.tsa_url`` (tests); with a real TSA, c2pa also
    time-stamps the image's manifest."""
    content_id = _cid(content_id)
    outputs_dir, out = Path(outputs_dir), Path(out)
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    rows = store.lineage(content_id)
    if not rows or rows[-1].content_id != content_id:
        store.get(content_id)  # raises NotFound (zh/en)
    members: dict[str, bytes] = {}
    records: list[dict[str, Any]] = []
    for row in rows:
        cid = _cid(row.content_id)
        rec: dict[str, Any] = {"fields": entry_fields(row), "prev_hash": row.prev_hash, "entry_hash": row.entry_hash,
                               "inputs": store.inputs(row), "selected_at": _iso(row.selected_at),
                               "inputs_erased_at": _iso(row.deleted_at), "output_file": None}
        path = find_output(outputs_dir, cid)
        if path is not None:
            name = f"outputs/{cid}.{path.suffix[1:]}"
            members[name] = path.read_bytes()
            if sha256_hex(members[name]) != row.output_sha256:
                raise ValidationFailed(message_en=f"{path}: the stored output does not match its record (altered?)",
                                       message_zh=f"{path}：存储的输出与其记录的哈希不符（可能被篡改）")
            rec["output_file"] = name
        records.append(rec)
    user = rows[-1].user_id
    broken = store.verify_chain(user)
    if broken:
        raise ValidationFailed(message_en=f"the provenance chain of this user is broken: {'; '.join(broken[:5])}",
                               message_zh=f"该用户的创作过程哈希链已被破坏：{'; '.join(broken[:5])}")
    lo, hi = rows[0].seq, rows[-1].seq
    chain = [{"seq": r.seq, "prev_hash": r.prev_hash, "entry_hash": r.entry_hash}
             for r in store.chain(user) if lo <= r.seq <= hi]
    members["records.json"] = json_bytes({"format": FORMAT, "content_id": content_id, "records": records})
    members["chain.json"] = json_bytes({"user_id": user, "from_seq": lo, "to_seq": hi, "entries": chain})
    final = records[-1]["output_file"]
    ext = final.rsplit(".", 1)[-1] if final else ""
    if final and ext in c2pa_media.MIME:
        definition = c2pa_media.manifest_definition(content_id, records, "hegui")
        members[f"media/{content_id}.c2pa.{ext}"] = c2pa_media.embed(
            members[final], c2pa_media.MIME[ext], definition, signer, use_tsa=tsa_post is None)
    info = signer_info(signer)
    members["signer.pem"] = signer.chain_pem
    files = sorted((n, sha256_hex(b)) for n, b in members.items())
    members["summary.pdf"] = summary_pdf(content_id=content_id, provider=provider, exported_at=_iso(now) or "",
                                         signer=info, records=records, files=files,
                                         images={n: b for n, b in members.items() if n.startswith("outputs/")})
    files = sorted((n, sha256_hex(b)) for n, b in members.items())
    members["hashes.sha256"] = "".join(f"{d}  {n}\n" for n, d in files).encode("ascii")
    manifest = {"format": FORMAT, "content_id": content_id, "provider": provider, "exported_at": _iso(now),
                "signer": info, "files": [{"name": n, "sha256": sha256_hex(members[n]), "size": len(members[n])}
                                          for n in sorted(members)]}
    members["manifest.json"] = json_bytes(manifest)
    members["manifest.sig"] = signer.sign(members["manifest.json"])
    if signer.tsa_url:
        members["manifest.tsr"] = tsa.timestamp(members["manifest.json"], signer.tsa_url, tsa_post)
    write_atomic(out, zipform.build(members), mode=0o600)
    return out


__all__ = ["FORMAT", "export", "find_output", "json_bytes", "signer_info"]
