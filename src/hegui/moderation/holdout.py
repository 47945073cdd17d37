"""Evaluation data that no training run may read ("Generalise, don't fit").

The team's challenge banks (``bench/moderation/challenge``) measure how moderation holds on text no
model has seen; a training run that read them would turn that number into a lie. Training scripts
call :func:`refuse_held_out` on every input file and :func:`is_held_out_row` on every row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hegui.moderation.classifier.errors import TrainingDataInvalid

#: id prefixes of the challenge banks' rows (prompts, responses, abuse, names)
HELD_OUT_ID_PREFIXES = ("cb-", "cr-", "ca-", "cn-")
HELD_OUT_DIR = ("bench", "moderation", "challenge")
HELD_OUT_ROW = "a challenge-bank row: evaluation only / 挑战评测集数据仅用于评估"


def refuse_held_out(path: Path) -> None:
    """Raise :class:`TrainingDataInvalid` for a file inside the challenge-bank folder."""
    parts = Path(path).resolve().parts
    n = len(HELD_OUT_DIR)
    if any(parts[i:i + n] == HELD_OUT_DIR for i in range(len(parts))):
        raise TrainingDataInvalid(location=str(path), detail="the challenge bank is evaluation-only; "
                                  "never train on it / 挑战评测集仅用于评估，不得用于训练")


def is_held_out_row(row: dict[str, Any]) -> bool:
    return str(row.get("id", "")).startswith(HELD_OUT_ID_PREFIXES)
