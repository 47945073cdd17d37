"""Double annotation on a sample (Interim Measures Art 8: quality assessment with sample checks):
two annotators' labels for the same items → Cohen's κ, percent agreement, a confusion summary.

κ = (p_o − p_e) / (1 − p_e), p_o the observed agreement and p_e the agreement expected by chance
from each annotator's label frequencies (Cohen, J. 1960, "A coefficient of agreement for nominal
scales", Educational and Psychological Measurement 20(1):37–46).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hegui.annotation.errors import LabelFileError
from hegui.errors import ValidationFailed

MAX_LABEL = 200
MAX_ITEMS = 2_000_000


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's κ of two equal-length label sequences; ``None`` when undefined (p_e = 1)."""
    if len(a) != len(b) or not a:
        raise ValueError("two non-empty label sequences of equal length are needed")
    n = len(a)
    p_o = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if p_e >= 1:
        return None
    return (p_o - p_e) / (1 - p_e)


def read_labels(path: Path) -> dict[str, str]:
    """``item_id → label`` from CSV (header ``item_id,label``) or JSONL (``{"item_id", "label"}``);
    a bad or duplicated line is an error with file:line, never skipped."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(message_en=f"{path}: cannot read ({exc.strerror})",
                               message_zh=f"{path}：无法读取（{exc.strerror}）") from None
    try:
        body = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LabelFileError(location=str(path), detail_en="not UTF-8 text", detail_zh="不是 UTF-8 文本") from None
    rows: list[tuple[int, Any, Any]] = []
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        for no, line in enumerate(body.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise LabelFileError(location=f"{path}:{no}", detail_en="not a JSON object",
                                     detail_zh="不是 JSON 对象") from None
            if not isinstance(obj, dict):
                raise LabelFileError(location=f"{path}:{no}", detail_en="not a JSON object", detail_zh="不是 JSON 对象")
            rows.append((no, obj.get("item_id"), obj.get("label")))
    else:
        reader = csv.reader(io.StringIO(body))
        header = [h.strip().lower() for h in next(reader, [])]
        if "item_id" not in header or "label" not in header:
            raise LabelFileError(location=f"{path}:1", detail_en="the header must name item_id and label",
                                 detail_zh="表头须包含 item_id 与 label")
        i, j = header.index("item_id"), header.index("label")
        for no, rec in enumerate(reader, 2):
            if not any(c.strip() for c in rec):
                continue
            rows.append((no, rec[i] if i < len(rec) else None, rec[j] if j < len(rec) else None))
    out: dict[str, str] = {}
    for no, item, label in rows:
        item = "" if item is None else str(item).strip()
        label = "" if label is None else str(label).strip()
        if not item or not label:
            raise LabelFileError(location=f"{path}:{no}", detail_en="item_id and label are both required",
                                 detail_zh="item_id 与 label 均不能为空")
        if len(item) > MAX_LABEL or len(label) > MAX_LABEL:
            raise LabelFileError(location=f"{path}:{no}", detail_en=f"longer than {MAX_LABEL} characters",
                                 detail_zh=f"超过 {MAX_LABEL} 个字符")
        if item in out:
            raise LabelFileError(location=f"{path}:{no}", detail_en=f"item {item[:40]!r} is labelled twice",
                                 detail_zh=f"条目 {item[:40]!r} 重复标注")
        out[item] = label
        if len(out) > MAX_ITEMS:
            raise LabelFileError(location=f"{path}:{no}", detail_en=f"more than {MAX_ITEMS} items",
                                 detail_zh=f"超过 {MAX_ITEMS} 条")
    if not out:
        raise LabelFileError(location=str(path), detail_en="no labelled items", detail_zh="没有标注条目")
    return out


@dataclass
class AgreementResult:
    items: int
    kappa: float | None
    percent: float
    confusion: list[dict[str, Any]] = field(default_factory=list)  # disagreements, most frequent first
    only_a: int = 0
    only_b: int = 0
    labels: list[str] = field(default_factory=list)


def compare(a: dict[str, str], b: dict[str, str], top: int = 20) -> AgreementResult:
    """Agreement on the items both annotated; items only one of them labelled are counted."""
    common = sorted(set(a) & set(b))
    if not common:
        raise ValidationFailed(message_en="the two files share no item_id", message_zh="两个文件没有相同的 item_id")
    la, lb = [a[k] for k in common], [b[k] for k in common]
    pairs = Counter((x, y) for x, y in zip(la, lb) if x != y)
    return AgreementResult(
        items=len(common), kappa=cohen_kappa(la, lb), percent=sum(x == y for x, y in zip(la, lb)) / len(common),
        confusion=[{"a": x, "b": y, "count": c} for (x, y), c in pairs.most_common(top)],
        only_a=len(set(a) - set(b)), only_b=len(set(b) - set(a)), labels=sorted(set(la) | set(lb)))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
