"""Explicit labels for generated text (GB 45438-2025 §5.1, §5.6; Labeling Measures Art 4).

A text label must carry both elements: the *AI* element (人工智能 / AI) and the *generation*
element (生成 / generated). It can sit at the start, the end, or both. For chat UIs the gateway
also returns a machine-readable field and header so the client can show a continuous label (§5.6).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

AI_ELEMENTS = ("AI", "人工智能", "Ai")
GENERATION_ELEMENTS = ("生成", "合成", "generated", "Generated", "synthesized")


class TextLabelPosition(str, enum.Enum):
    PREFIX = "prefix"
    SUFFIX = "suffix"
    BOTH = "both"


def has_both_elements(label: str) -> bool:
    """True when a label text names both the AI and the generation element (§5.1)."""
    return any(a in label for a in AI_ELEMENTS) and any(g in label for g in GENERATION_ELEMENTS)


@dataclass(frozen=True, slots=True)
class TextLabel:
    prefix: str = "【AI生成】"
    suffix: str = "\n\n[AI-generated] 本内容由人工智能生成"
    position: TextLabelPosition = TextLabelPosition.PREFIX

    def __post_init__(self) -> None:
        for text, used in ((self.prefix, self.position != TextLabelPosition.SUFFIX),
                           (self.suffix, self.position != TextLabelPosition.PREFIX)):
            if used and not has_both_elements(text):
                raise ValueError(f"text label {text!r} must contain both the AI element and the "
                                 "generation element (GB 45438 §5.1)")

    @property
    def head(self) -> str:
        return self.prefix if self.position in (TextLabelPosition.PREFIX, TextLabelPosition.BOTH) else ""

    @property
    def tail(self) -> str:
        return self.suffix if self.position in (TextLabelPosition.SUFFIX, TextLabelPosition.BOTH) else ""

    def apply(self, text: str) -> str:
        return f"{self.head}{text}{self.tail}"

    def is_applied(self, text: str) -> bool:
        return text.startswith(self.head) and text.endswith(self.tail)
