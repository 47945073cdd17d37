"""The Annex E implicit label: seven string fields, two JSON forms (GB 45438-2025 §6.1, Annex E).

Writing is strict (all seven keys, Annex E order, string values, character rule of Annex E j,
TC260-PG-20252A provider codes). Reading is lenient: wrapped or bare JSON, pretty-printed,
HTML-escaped, double-encoded, lowerCamelCase or misspelled keys, numeric ``Label`` — each leniency
is reported as a warning so the inspector can flag it.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from hegui.codes import validate_provider_code
from hegui.labeling.errors import LabelInvalid
from hegui.labeling.policy import LabelPolicy, default_policy

FIELDS: tuple[str, ...] = ("Label", "ContentProducer", "ProduceID", "ReservedCode1",
                           "ContentPropagator", "PropagateID", "ReservedCode2")
LABEL_VALUES = ("1", "2", "3")
# Annex E j: GB 18030 code points 0x21, 0x23–0x5B, 0x5D–0x7E (printable ASCII without space, " and \).
_CHARSET_RE = re.compile(r'^[\x21\x23-\x5b\x5d-\x7e]*$')
_PROVIDER_FIELDS = ("ContentProducer", "ContentPropagator")


@dataclass(frozen=True, slots=True)
class ImplicitLabel:
    """One Annex E label. ``Label``: "1" AI-generated, "2" possibly, "3" suspected."""

    Label: str = "1"
    ContentProducer: str = ""
    ProduceID: str = ""
    ReservedCode1: str = ""
    ContentPropagator: str = ""
    PropagateID: str = ""
    ReservedCode2: str = ""

    @classmethod
    def generated(cls, producer: str, produce_id: str, *, reserved1: str = "") -> ImplicitLabel:
        """A generator's first write: propagator fields equal producer fields (Annex E Note 1)."""
        return cls("1", producer, produce_id, reserved1, producer, produce_id, "")

    def propagated(self, propagator: str, propagate_id: str, *, label: str | None = None,
                   reserved2: str | None = None) -> ImplicitLabel:
        """A platform's update: keeps the producer fields, replaces the propagation fields (Art 6)."""
        return replace(self, Label=label or self.Label, ContentPropagator=propagator,
                       PropagateID=propagate_id,
                       ReservedCode2=self.ReservedCode2 if reserved2 is None else reserved2)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def problems(self, policy: LabelPolicy | None = None) -> tuple[list[str], list[str]]:
        """(errors, warnings) under the write-side policy."""
        policy = policy or default_policy()
        errors: list[str] = []
        warnings: list[str] = []
        if self.Label not in LABEL_VALUES:
            errors.append(f"Label must be one of 1/2/3, got {self.Label!r}")
        # A generator's label ("1") names its producer; a platform marking unlabelled content
        # "2"/"3" (Measures Art 6) may not know one, so only the propagator is required then.
        required = ("ContentProducer", "ProduceID") if self.Label == "1" else ("ContentPropagator", "PropagateID")
        for name in required:
            if not getattr(self, name):
                errors.append(f"{name} is empty")
        for name in FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str):
                errors.append(f"{name} is not a string")
            elif not _CHARSET_RE.match(value):
                _sev(policy.charset_on_write, errors, warnings,
                     f"{name} has characters outside Annex E j (printable ASCII, no space/quote/backslash)")
            elif len(value.encode()) > policy.max_label_bytes:
                errors.append(f"{name} is longer than {policy.max_label_bytes} bytes")
        for name in _PROVIDER_FIELDS:
            value = getattr(self, name)
            if value and (reason := validate_provider_code(value)):
                _sev(policy.provider_code_on_write, errors, warnings,
                     f"{name} is not a TC260-PG-20252A provider code: {reason}")
        return errors, warnings

    def check(self, policy: LabelPolicy | None = None) -> ImplicitLabel:
        """Raise :class:`LabelInvalid` unless the label may be written."""
        errors, _ = self.problems(policy)
        if errors:
            raise LabelInvalid(detail="; ".join(errors))
        return self

    def to_json(self, form: Literal["bare", "wrapped"] | None = None) -> str:
        """Compact JSON in Annex E key order; bare by default (policy ``json_form``)."""
        form = form or default_policy().json_form
        body = {k: getattr(self, k) for k in FIELDS}
        obj: dict[str, Any] = {"AIGC": body} if form == "wrapped" else body
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _sev(level: str, errors: list[str], warnings: list[str], msg: str) -> None:
    if level == "error":
        errors.append(msg)
    elif level == "warn":
        warnings.append(msg)


@dataclass(slots=True)
class ParsedLabel:
    """Result of parsing one label value: the label (or None) plus what was wrong with it."""

    label: ImplicitLabel | None
    form: str = ""  # "bare" | "wrapped" | "yaml"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _decode_json(text: str, warnings: list[str]) -> Any:
    text = text.strip().lstrip("\ufeff")
    for attempt in range(3):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            unescaped = html.unescape(text)
            if unescaped != text:
                warnings.append("value was XML/HTML-escaped twice")
                text = unescaped
                continue
            raise
        if isinstance(value, str) and attempt < 2:
            warnings.append("JSON was double-encoded as a string")
            text = value
            continue
        return value
    return json.loads(text)


def parse_label_value(value: Any, *, policy: LabelPolicy | None = None) -> ParsedLabel:
    """Parse a carrier's AIGC value (JSON text, bytes or an already-decoded mapping)."""
    policy = policy or default_policy()
    out = ParsedLabel(None)
    if isinstance(value, bytes):
        if len(value) > policy.max_label_bytes * 8:
            out.errors.append("label value too large")
            return out
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if len(value) > policy.max_label_bytes * 8:
            out.errors.append("label value too large")
            return out
        if value.strip() in ("", "{}"):
            out.errors.append("label value is empty")
            return out
        try:
            value = _decode_json(value, out.warnings)
        except (json.JSONDecodeError, RecursionError) as exc:
            out.errors.append(f"label is not valid JSON: {exc}")
            return out
    else:
        out.form = "yaml"
    if not isinstance(value, dict):
        out.errors.append("label JSON is not an object")
        return out
    if "AIGC" in value and isinstance(value["AIGC"], (dict, str)):
        inner = value["AIGC"]
        if isinstance(inner, str):
            try:
                inner = _decode_json(inner, out.warnings)
            except json.JSONDecodeError as exc:
                out.errors.append(f"inner AIGC value is not JSON: {exc}")
                return out
        if not isinstance(inner, dict):
            out.errors.append("AIGC member is not an object")
            return out
        out.form = out.form or "wrapped"
        extra = set(value) - {"AIGC"}
        if extra:
            out.warnings.append(f"unknown keys beside AIGC: {sorted(extra)}")
        value = inner
    else:
        out.form = out.form or "bare"
    fields: dict[str, str] = {}
    for key, raw in value.items():
        canon = key if key in FIELDS else policy.key_aliases.get(str(key).lower().replace("_", ""))
        if canon is None:
            out.warnings.append(f"unknown key {key!r}")
            continue
        if canon != key:
            out.warnings.append(f"non-standard key spelling {key!r} (Annex E: {canon!r})")
        if canon in fields:
            out.errors.append(f"duplicate key {canon!r}")
            continue
        if isinstance(raw, bool) or raw is None or isinstance(raw, (dict, list)):
            out.errors.append(f"{canon} is not a string")
            raw = "" if raw is None else json.dumps(raw, separators=(",", ":"))
        elif not isinstance(raw, str):
            out.warnings.append(f"{canon} is a number, Annex E requires a string")
            raw = str(raw)
        fields[canon] = raw
    for core in ("Label", "ContentProducer", "ProduceID"):
        if core not in fields:
            out.errors.append(f"missing core key {core!r}")
    for name in FIELDS:
        if name not in fields and name not in ("Label", "ContentProducer", "ProduceID"):
            out.warnings.append(f"missing key {name!r}")
    if list(k for k in fields) != [k for k in FIELDS if k in fields]:
        out.warnings.append("keys are not in Annex E order")
    label = ImplicitLabel(**{k: fields.get(k, "") for k in FIELDS})
    if label.Label not in LABEL_VALUES and "Label" in fields:
        out.errors.append(f"Label must be 1/2/3, got {label.Label!r}")
    for name in FIELDS:
        v = getattr(label, name)
        if v and not _CHARSET_RE.match(v):
            msg = f"{name} has characters outside Annex E j"
            (out.errors if policy.charset_on_read == "error" else out.warnings).append(msg)
    for name in _PROVIDER_FIELDS:
        v = getattr(label, name)
        if v and policy.provider_code_on_read != "off" and (reason := validate_provider_code(v)):
            msg = f"{name} {v!r} is not a TC260-PG-20252A code ({reason})"
            (out.errors if policy.provider_code_on_read == "error" else out.warnings).append(msg)
        if v and set(v) == {"0"}:
            out.warnings.append(f"{name} is an all-zero placeholder")
    if not label.ContentPropagator:
        out.warnings.append("propagator fields are empty")
    out.label = label
    return out
