"""Evaluation data that no training run may read ("Generalise, don't fit").

The team's challenge banks (``bench/moderation/challenge``) measure how moderation holds on text no
model has seen, and the starter assessment banks (``data/assessment/banks``, GB/T 45654 B.1.2–B.1.3)
test the service; a training run that read either would turn those numbers into a lie. Training scripts
call :func:`refuse_held_out` on every input file and :func:`is_held_out_row` on every row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hegui.moderation.classifier.errors import TrainingDataInvalid

#: id prefixes of the challenge banks' rows (prompts, responses, abuse, names) and of the starter
#: assessment banks (``sb-g-``, ``sb-r-``, ``sb-n-``)
HELD_OUT_ID_PREFIXES = ("cb-", "cr-", "ca-", "cn-", "sb-")
HELD_OUT_DIR = ("bench", "moderation", "challenge")
ASSESSMENT_BANK_DIR = ("data", "assessment", "banks")
HELD_OUT_ROW = "a challenge- or assessment-bank row: evaluation only / 挑战评测集或安全评估题库数据仅用于评估"


def refuse_held_out(path: Path) -> None:
    """Raise :class:`TrainingDataInvalid` for a file inside the challenge-bank or the shipped
    assessment-bank folder."""
    parts = Path(path).resolve().parts
    if _inside(parts, HELD_OUT_DIR):
        raise TrainingDataInvalid(location=str(path), detail="the challenge bank is evaluation-only; "
                                  "never train on it / 挑战评测集仅用于评估，不得用于训练")
    if _inside(parts, ASSESSMENT_BANK_DIR):
        raise TrainingDataInvalid(location=str(path), detail="the assessment test bank is evaluation-only; "
                                  "never train on it / 安全评估测试题库仅用于评估，不得用于训练")


def _inside(parts: tuple[str, ...], folder: tuple[str, ...]) -> bool:
    n = len(folder)
    return any(parts[i:i + n] == folder for i in range(len(parts)))


def is_held_out_row(row: dict[str, Any]) -> bool:
    return str(row.get("id", "")).startswith(HELD_OUT_ID_PREFIXES)
