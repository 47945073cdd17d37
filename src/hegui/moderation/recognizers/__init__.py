"""Personal-information recognizers and masking (PIPL Arts 4, 28, 51; GB/T 45654 A4e/A4f)."""

from hegui.moderation.recognizers.base import PatternRecognizer, PIFinding, Recognizer
from hegui.moderation.recognizers.errors import RecognizerConflict
from hegui.moderation.recognizers.registry import BUILTINS, RecognizerRegistry

__all__ = ["BUILTINS", "PIFinding", "PatternRecognizer", "Recognizer", "RecognizerConflict", "RecognizerRegistry"]
