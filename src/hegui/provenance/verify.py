"""Verify an evidence package (issue 15; Electronic Signature Law Art 13: any change after signing
can be found). Every check is named; any failure makes the package invalid. Checks:

``zip`` canonical form and member CRCs · ``manifest`` signature by ``signer.pem`` · ``certificate``
chain, validity at export time, and (with trust anchors) the root · ``files`` each SHA-256 against
the manifest and ``hashes.sha256`` · ``records`` inputs hash, entry hash, lineage links, output
hashes · ``chain`` links of the excerpt · ``c2pa`` manifest valid, signed by the same certificate,
its ``cn.hegui.provenance`` assertion equal to records.json · ``timestamp`` reply status (when present).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.provenance import c2pa_media, tsa, zipform
from hegui.provenance.package import FORMAT, SIGNED_FILES
from hegui.provenance.records import canonical, chain_hash, sha256_hex
from hegui.provenance.signer import check_chain, verify_signature


@dataclass(slots=True)
class VerifyReport:
    """``problems``: (check, what) pairs — empty means valid. ``notes``: facts that are not failures."""

    path: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    content_id: str | None = None
    anchored: bool = False

    @property
    def valid(self) -> bool:
        return not self.problems

    def fail(self, check: str, what: str) -> None:
        self.problems.append((check, what))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "valid": self.valid, "content_id": self.content_id, "anchored": self.anchored,
                "checks": self.checks, "problems": [{"check": c, "problem": p} for c, p in self.problems],
                "notes": self.notes}


def _json(rep: VerifyReport, members: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(members[name])
    except KeyError:
        rep.fail("files", f"{name}: missing")
    except (ValueError, UnicodeDecodeError) as exc:
        rep.fail("files", f"{name}: not valid JSON ({exc})")
    return None


def _manifest(rep: VerifyReport, members: dict[str, bytes], trust_pem: bytes | None) -> dict[str, Any] | None:
    rep.checks += ["manifest", "certificate", "files"]
    man = _json(rep, members, "manifest.json")
    chain = members.get("signer.pem", b"")
    if not isinstance(man, dict) or man.get("format") != FORMAT:
        rep.fail("manifest", "manifest.json: not a hegui provenance manifest")
        return None
    alg = str((man.get("signer") or {}).get("alg", ""))
    for p in verify_signature(chain, members["manifest.json"], members.get("manifest.sig", b""), alg):
        rep.fail("manifest", f"manifest.sig: {p}")
    try:
        at = dt.datetime.fromisoformat(str(man.get("exported_at")))
    except ValueError:
        rep.fail("manifest", "manifest.json: exported_at is not a time")
        at = dt.datetime.now(dt.timezone.utc)
    problems, rep.anchored = check_chain(chain, at, trust_pem)
    for p in problems:
        rep.fail("certificate", f"signer.pem: {p}")
    if not trust_pem:
        rep.notes.append("certificate not checked against a trust anchor (pass --trust CA.pem) / 未对照受信任根证书核验")
    listed = {f.get("name"): f for f in man.get("files") or [] if isinstance(f, dict)}
    for name in sorted(set(members) - set(SIGNED_FILES)):
        entry = listed.get(name)
        if entry is None:
            rep.fail("files", f"{name}: not listed in the signed manifest")
        elif entry.get("sha256") != sha256_hex(members[name]) or entry.get("size") != len(members[name]):
            rep.fail("files", f"{name}: SHA-256 differs from the signed manifest (file altered)")
    for name in sorted(set(listed) - set(members)):
        rep.fail("files", f"{name}: listed in the manifest but missing")
    expect = "".join(f"{sha256_hex(members[n])}  {n}\n" for n in sorted(set(members) - set(SIGNED_FILES) - {"hashes.sha256"}))
    if members.get("hashes.sha256") != expect.encode("ascii"):
        rep.fail("files", "hashes.sha256: does not match the files")
    return man


def _records(rep: VerifyReport, members: dict[str, bytes], man: dict[str, Any]) -> list[dict[str, Any]]:
    rep.checks += ["records", "chain"]
    doc = _json(rep, members, "records.json")
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list) or not doc["records"]:
        rep.fail("records", "records.json: no records")
        return []
    recs: list[dict[str, Any]] = doc["records"]
    if doc.get("content_id") != man.get("content_id") or recs[-1].get("fields", {}).get("content_id") != man.get("content_id"):
        rep.fail("records", "records.json: content id differs from the manifest")
    prev_cid = None
    for i, r in enumerate(recs):
        f = r.get("fields") or {}
        cid = f.get("content_id")
        if i and f.get("parent_content_id") != prev_cid:
            rep.fail("records", f"records.json: {cid} does not continue from {prev_cid}")
        if chain_hash(str(r.get("prev_hash")), f) != r.get("entry_hash"):
            rep.fail("records", f"records.json: {cid} entry hash does not match its fields (record altered)")
        if r.get("inputs") is not None and sha256_hex(canonical(r["inputs"])) != f.get("inputs_sha256"):
            rep.fail("records", f"records.json: {cid} inputs do not match inputs_sha256")
        out = r.get("output_file")
        if out is not None and (out not in members or sha256_hex(members[out]) != f.get("output_sha256")):
            rep.fail("records", f"{out}: output does not match output_sha256 of {cid}")
        prev_cid = cid
    ch = _json(rep, members, "chain.json")
    entries = ch.get("entries") if isinstance(ch, dict) else None
    if not isinstance(entries, list) or not entries:
        rep.fail("chain", "chain.json: no entries")
        return recs
    for a, b in zip(entries, entries[1:]):
        if b.get("seq") != a.get("seq", 0) + 1 or b.get("prev_hash") != a.get("entry_hash"):
            rep.fail("chain", f"chain.json: seq {b.get('seq')} does not link to seq {a.get('seq')}")
    by_seq = {e.get("seq"): e for e in entries}
    for r in recs:
        f = r.get("fields") or {}
        e = by_seq.get(f.get("seq"))
        if e is None or e.get("entry_hash") != r.get("entry_hash") or e.get("prev_hash") != r.get("prev_hash"):
            rep.fail("chain", f"chain.json: {f.get('content_id')} (seq {f.get('seq')}) not in the chain excerpt")
        if isinstance(ch, dict) and f.get("user_id") != ch.get("user_id"):
            rep.fail("chain", f"chain.json: {f.get('content_id')} belongs to another user")
    return recs


def _pixels(data: bytes) -> bytes | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return bytes(str((im.mode, im.size)), "ascii") + im.tobytes()
    except Exception:  # noqa: BLE001 - an unreadable image differs from any readable one
        return None


def _c2pa(rep: VerifyReport, members: dict[str, bytes], man: dict[str, Any], recs: list[dict[str, Any]]) -> None:
    media = [n for n in members if n.startswith("media/")]
    if not media:
        rep.notes.append("no image with a C2PA manifest in this package / 本证据包无带 C2PA 清单的图像")
        return
    rep.checks.append("c2pa")
    for name in media:
        mime = c2pa_media.MIME.get(name.rsplit(".", 1)[-1])
        if mime is None:
            rep.fail("c2pa", f"{name}: unknown media type")
            continue
        problems, data, sig = c2pa_media.read(members[name], mime)
        for p in problems:
            rep.fail("c2pa", f"{name}: {p}")
        if data is not None and canonical(data) != canonical(c2pa_media.assertion_data(str(man.get("content_id")), recs)):
            rep.fail("c2pa", f"{name}: {c2pa_media.ASSERTION} assertion differs from records.json")
        final = recs[-1].get("output_file")
        if final in members and (_pixels(members[name]) is None or _pixels(members[final]) != _pixels(members[name])):
            rep.fail("c2pa", f"{name}: image differs from {final} (the recorded output)")
        if sig and str(sig.get("cert_serial_number")) != str((man.get("signer") or {}).get("serial")):
            rep.fail("c2pa", f"{name}: C2PA manifest signed by another certificate than the package")


def _guard(rep: VerifyReport, check: str, fn: Callable[[], Any]) -> Any:
    """Run one stage; malformed (attacker-shaped) content fails that check instead of crashing."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - every field is attacker-controlled: fail closed, name the check
        rep.fail(check, f"malformed content ({type(exc).__name__}: {str(exc)[:200]})")
        return None


def verify(path: str | Path, *, trust_pem: bytes | None = None) -> VerifyReport:
    """Check the package at ``path``; ``trust_pem``: the CA certificate(s) the verifier trusts."""
    rep = VerifyReport(str(path))
    rep.checks.append("zip")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        rep.fail("zip", f"cannot read {path}: {exc}")
        return rep
    members, problems = zipform.read(data)
    for p in problems:
        rep.fail("zip", p)
    if not problems:
        for p in zipform.canonical_problems(data, members):
            rep.fail("zip", p)
    if "manifest.json" not in members:
        rep.fail("manifest", "manifest.json: missing")
        return rep
    man = _guard(rep, "manifest", lambda: _manifest(rep, members, trust_pem))
    if man is None:
        return rep
    rep.content_id = str(man.get("content_id"))
    recs = _guard(rep, "records", lambda: _records(rep, members, man))
    if recs:
        _guard(rep, "c2pa", lambda: _c2pa(rep, members, man, recs))
    if "manifest.tsr" in members:
        rep.checks.append("timestamp")
        try:
            if tsa.response_status(members["manifest.tsr"]) > 1:
                rep.fail("timestamp", "manifest.tsr: the TSA refused")
        except (ValueError, IndexError) as exc:
            rep.fail("timestamp", f"manifest.tsr: not a time-stamp reply ({exc})")
        rep.notes.append("RFC 3161 token present; its signature is not validated here / 时间戳令牌的签名未在此核验")
    return rep


__all__ = ["VerifyReport", "verify"]
