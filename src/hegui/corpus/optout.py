"""Rights holders' opt-out registry (Interim Measures Art 7 (2): no infringement of IP rights;
Copyright Law Art 24; the issue-12 "opt-out" duty): requests that named content not be used for
training, matched against every corpus record by URL pattern, domain, exact content hash and
near-duplicate fingerprint.

Storage: one JSONL file (default ``<var_dir>/corpus/optouts.jsonl``), first line a header
``{"format": "hegui-optouts", "version": 1}``, one request per line, rewritten atomically with mode
0600 — a file, not a database table, so a corpus audit runs anywhere the corpus is, without the
gateway's database. PIPL Arts 6 and 19 (minimum necessary): the registry keeps the requester's name
as given (usually an organisation) and only a SHA-256 of the contact details — the contact itself
stays in the operator's correspondence; sample texts are never stored, only their hash and MinHash.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from hegui.corpus.fingerprint import NUM_PERM, content_hash, jaccard, minhash
from hegui.errors import ValidationFailed
from hegui.fileio import atomic_open

FORMAT = "hegui-optouts"
VERSION = 1
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_FIELD = 2000


class OptOutError(ValidationFailed):
    """A request or a registry/import file is malformed (``location`` is ``file:line``)."""

    code = "CORPUS_OPTOUT_INVALID"
    http_status = 422
    message_zh = "退出请求无效（{location}）：{detail}"
    message_en = "Invalid opt-out request ({location}): {detail}"


def contact_digest(contact: str) -> str:
    """SHA-256 of the case-folded, trimmed contact (PIPL minimum necessary: never the contact itself)."""
    return "sha256:" + hashlib.sha256(contact.strip().casefold().encode("utf-8")).hexdigest() if contact.strip() else ""


def _domain(d: str) -> str:
    d = d.strip().casefold().rstrip(".")
    if d.startswith("*."):
        d = d[2:]
    try:
        d = d.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"not a domain: {d!r}") from exc
    if not _DOMAIN.match(d):
        raise ValueError(f"not a domain: {d!r}")
    return d


@dataclass(slots=True)
class OptOutRequest:
    """One request. ``fingerprints``: MinHash signatures of sample texts the requester supplied."""

    id: str
    requester: str
    received: str  # ISO date
    contact_sha256: str = ""
    url_patterns: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    fingerprints: list[list[int]] = field(default_factory=list)
    note: str = ""

    def validate(self) -> OptOutRequest:
        """Normalise and check every field; ``ValueError`` names the bad one."""
        if not isinstance(self.id, str) or len(self.id) > 64:
            raise ValueError("bad request id")
        if not self.requester.strip() or len(self.requester) > MAX_FIELD:
            raise ValueError("requester missing or too long")
        date.fromisoformat(self.received)
        self.domains = list(dict.fromkeys(_domain(d) for d in self.domains))
        for p in self.url_patterns:
            if not p.strip() or len(p) > MAX_FIELD:
                raise ValueError(f"bad url pattern: {p[:80]!r}")
        self.hashes = [h.strip().lower() for h in self.hashes]
        for h in self.hashes:
            if not _HASH.match(h):
                raise ValueError(f"bad content hash {h[:80]!r} (expected sha256:<64 hex>)")
        for fp in self.fingerprints:
            if len(fp) != NUM_PERM or not all(isinstance(v, int) and 0 <= v < 2**32 for v in fp):
                raise ValueError(f"bad fingerprint (expected {NUM_PERM} 32-bit ints)")
        if not (self.url_patterns or self.domains or self.hashes or self.fingerprints):
            raise ValueError("the request names no scope (url pattern, domain, hash or text)")
        if len(self.note) > MAX_FIELD:
            raise ValueError("note too long")
        return self

    def add_text(self, text: str) -> None:
        """Add a sample text's exact hash and MinHash (the text itself is not kept)."""
        self.hashes.append(content_hash(text))
        sig = minhash(text)
        if sig is not None:
            self.fingerprints.append(sig)

    def public(self) -> dict:
        """The request without fingerprints (for listings)."""
        d = asdict(self)
        d["fingerprints"] = len(self.fingerprints)
        return d


class OptOutRegistry:
    """The requests of one registry file; :meth:`match` says which requests a record falls under."""

    def __init__(self, requests: Iterable[OptOutRequest] = (), path: Path | None = None) -> None:
        self.requests = list(requests)
        self.path = path

    # -- storage ----------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path) -> OptOutRegistry:
        """Read a registry file (a missing file is an empty registry); bad lines raise with file:line."""
        path = Path(path)
        if not path.exists():
            return cls(path=path)
        reqs: list[OptOutRequest] = []
        with path.open(encoding="utf-8") as fh:
            for no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    if no == 1 and obj.get("format") == FORMAT:
                        if obj.get("version") != VERSION:
                            raise ValueError(f"unsupported registry version {obj.get('version')!r}")
                        continue
                    reqs.append(_request(obj).validate())
                except (ValueError, TypeError, AttributeError) as exc:
                    raise OptOutError(location=f"{path}:{no}", detail=str(exc)[:300]) from exc
        ids = [r.id for r in reqs]
        if len(ids) != len(set(ids)):
            raise OptOutError(location=str(path), detail="duplicate request id")
        return cls(reqs, path)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the whole registry atomically, mode 0600."""
        dst = Path(path or self.path or "optouts.jsonl")
        dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with atomic_open(dst, text=True, mode=0o600) as fh:
            fh.write(json.dumps({"format": FORMAT, "version": VERSION}) + "\n")
            for r in self.requests:
                fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
        self.path = dst
        return dst

    def next_id(self) -> str:
        n = max((int(r.id[3:]) for r in self.requests if re.fullmatch(r"OO-\d+", r.id)), default=0)
        return f"OO-{n + 1:04d}"

    def add(self, req: OptOutRequest) -> OptOutRequest:
        if not req.id:
            req.id = self.next_id()
        if any(r.id == req.id for r in self.requests):
            raise OptOutError(location=req.id, detail="a request with this id exists")
        try:
            req.validate()
        except ValueError as exc:
            raise OptOutError(location=req.id, detail=str(exc)) from exc
        self.requests.append(req)
        return req

    def get(self, rid: str) -> OptOutRequest | None:
        return next((r for r in self.requests if r.id == rid), None)

    # -- matching ---------------------------------------------------------------------------------

    def match_direct(self, url: str, content: str | None) -> list[tuple[str, str]]:
        """``(request id, how)`` for every request whose URL pattern, domain or hash names the record
        (``how``: ``url``, ``domain`` or ``hash``). Near-duplicates are matched by :class:`OptOutPass`."""
        out: list[tuple[str, str]] = []
        host = _host(url)
        for r in self.requests:
            if url and any(fnmatch.fnmatchcase(url, p) for p in r.url_patterns):
                out.append((r.id, "url"))
            elif host and any(host == d or host.endswith("." + d) for d in r.domains):
                out.append((r.id, "domain"))
            elif content and content in r.hashes:
                out.append((r.id, "hash"))
        return out

    def fingerprints(self) -> Iterator[tuple[str, int, list[int]]]:
        for r in self.requests:
            for i, fp in enumerate(r.fingerprints):
                yield r.id, i, fp


def _host(url: str) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return ""
    try:
        return host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return host.rstrip(".")


def _strs(v: object, name: str) -> list[str]:
    if v is None or v == "":
        return []
    if isinstance(v, str):
        return [s for s in (x.strip() for x in re.split(r"[;\s]+", v)) if s]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ValueError(f"{name} must be a list of strings")


def _request(obj: object) -> OptOutRequest:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    known = set(OptOutRequest.__dataclass_fields__) | {"contact", "texts"}
    extra = set(obj) - known
    if extra:
        raise ValueError(f"unknown field(s): {', '.join(sorted(extra))[:200]}")
    contact = obj.get("contact") or ""
    if not isinstance(contact, str):
        raise ValueError("contact must be a string")
    req = OptOutRequest(id=str(obj.get("id") or ""), requester=str(obj.get("requester") or ""),
                        received=str(obj.get("received") or date.today().isoformat()),
                        contact_sha256=str(obj.get("contact_sha256") or contact_digest(contact)),
                        url_patterns=_strs(obj.get("url_patterns"), "url_patterns"),
                        domains=_strs(obj.get("domains"), "domains"), hashes=_strs(obj.get("hashes"), "hashes"),
                        fingerprints=[list(fp) for fp in obj.get("fingerprints") or []],
                        note=str(obj.get("note") or ""))
    texts = obj.get("texts") or []
    if isinstance(texts, str):
        texts = [texts]
    for t in texts:
        if not isinstance(t, str):
            raise ValueError("texts must be strings")
        req.add_text(t)
    return req


def read_requests(path: str | Path) -> list[tuple[int, OptOutRequest]]:
    """``(line, request)`` from a CSV (header: requester, contact, received, url_patterns, domains, hashes,
    texts, note, id; lists separated by ``;`` or spaces) or JSONL file; every bad line is reported
    together, each with ``file:line``."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OptOutError(location=str(path), detail=f"not UTF-8 (byte {exc.start})") from exc
    rows: list[tuple[int, object]] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(raw, newline=""))
        if not reader.fieldnames or "requester" not in reader.fieldnames:
            raise OptOutError(location=f"{path}:1", detail="CSV header must name 'requester'")
        for row in reader:
            rows.append((reader.line_num, {k: v for k, v in row.items() if k and v not in (None, "")}))
    else:
        for no, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    rows.append((no, json.loads(line)))
                except ValueError as exc:
                    rows.append((no, exc))
    out, errors = [], []
    for no, obj in rows:
        try:
            if isinstance(obj, Exception):
                raise ValueError(f"not valid JSON: {obj}")
            out.append((no, _request(obj).validate()))
        except (ValueError, TypeError) as exc:
            errors.append(f"{path}:{no}: {str(exc)[:200]}")
    if errors:
        raise OptOutError(location=errors[0].rsplit(": ", 1)[0].split(": ")[0], detail="; ".join(errors[:20])
                          + (f" (+{len(errors) - 20} more)" if len(errors) > 20 else ""))
    return out


def import_requests(registry: OptOutRegistry, path: str | Path) -> list[OptOutRequest]:
    """Validate every request of ``path`` first, then add them all (nothing is added on an error)."""
    trial = OptOutRegistry(list(registry.requests))
    errors = []
    added = []
    for no, r in read_requests(path):
        try:
            added.append(trial.add(r))
        except OptOutError as exc:
            errors.append(f"{path}:{no}: {exc.fields.get('detail')}")
    if errors:
        raise OptOutError(location=errors[0].split(": ")[0], detail="; ".join(errors[:20]))
    registry.requests = trial.requests
    return added


def excluded_for(request_id: str, decisions: str | Path) -> list[dict]:
    """What was excluded for one request, from an audit's ``decisions.jsonl``: id, source, url and
    reasons — never the text (what the requester may be shown)."""
    tag = f"optout:{request_id}"
    out = []
    with Path(decisions).open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise OptOutError(location=f"{decisions}:{no}", detail="not valid JSON") from exc
            if isinstance(row, dict) and tag in (row.get("reasons") or []):
                out.append({"id": row.get("id"), "source": row.get("source"), "url": row.get("url", ""),
                            "match": (row.get("optout") or {}).get(request_id)})
    return out


def counts(records: Iterable[object]) -> dict[str, int]:
    """Records excluded per request id (from records or decision rows with ``reasons``)."""
    out: dict[str, int] = {}
    for r in records:
        reasons = r.get("reasons", []) if isinstance(r, dict) else getattr(r, "reasons", [])
        for reason in reasons:
            if reason.startswith("optout:"):
                out[reason[7:]] = out.get(reason[7:], 0) + 1
    return dict(sorted(out.items()))


__all__ = ["OptOutError", "OptOutRegistry", "OptOutRequest", "contact_digest", "counts", "excluded_for",
           "import_requests", "jaccard", "read_requests"]
