"""Per-record text steps: language, quality signals and content fingerprints.

GB/T 45654 §5.2 and Interim Measures Art 7 (4) (quality of training data: accuracy, diversity —
duplicates); Art 19 (the regulator asks for the types and scale of the data: languages). No network
model: language is read from the script of the letters; thresholds are data
(``hegui/data/corpus/quality.yaml``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import yaml

from hegui.corpus.fingerprint import SHINGLE, content_hash, minhash
from hegui.corpus.record import CorpusRecord
from hegui.corpus.steps import BaseStep

ZH_MIN_HAN = 0.3  # Han characters among letters (a Han character carries about a word)
EN_MIN_LATIN = 0.5
EN_MIN_STOPWORDS = 0.05  # share of English function words among Latin words
KANA_MAX = 0.1  # above this share of kana the text is Japanese (reported as "other")
LANGUAGE_SCAN = 100_000  # characters read for the language
_EN_STOP = frozenset(
    "the of and to a in is it that for on was with as are be this by at from or an not have has but "
    "they you he she we his her their which will would there were been one all can if more when "
    "what so about into than its who do does no".split())
_WORD = re.compile(r"[A-Za-z]+")


def _is_han(ch: str) -> bool:
    return ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"
            or "\U00020000" <= ch <= "\U0003134f")


@lru_cache(maxsize=1)
def traditional_chars() -> frozenset[str]:
    """Characters OpenCC maps to a different simplified character (traditional-only forms)."""
    text = (resources.files("opencc") / "dictionary" / "TSCharacters.txt").read_text(encoding="utf-8")
    out = set()
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1 and parts[1].split(" ")[0] != parts[0]:
            out.add(parts[0])
    return frozenset(out)


class LanguageStep(BaseStep):
    """Language by script: ``zh`` (Han ≥ 30 % of letters, little kana), ``en`` (Latin ≥ 50 % and
    English function words ≥ 5 % of words), else ``other`` (``none`` without letters).
    Finding: ``{"lang", "han", "latin", "other_letters", "traditional_share"}`` (shares of letters;
    ``traditional_share``: traditional-only forms among Han characters). Never excludes."""

    name: ClassVar[str] = "language"
    version: ClassVar[str] = "1"

    def one(self, rec: CorpusRecord) -> None:
        text = rec.text[:LANGUAGE_SCAN]
        han = latin = kana = other = trad = 0
        tchars = traditional_chars()
        for ch in text:
            if ch.isascii():
                if ch.isalpha():
                    latin += 1
                continue
            if _is_han(ch):
                han += 1
                trad += ch in tchars
            elif "\u3040" <= ch <= "\u30ff":
                kana += 1
            elif ch.isalpha():
                if ord(ch) < 0x250:
                    latin += 1
                else:
                    other += 1
        letters = han + latin + kana + other
        if not letters:
            lang = "none"
        elif han / letters >= ZH_MIN_HAN and kana / letters <= KANA_MAX:
            lang = "zh"
        elif latin / letters >= EN_MIN_LATIN and _english(text):
            lang = "en"
        else:
            lang = "other"
        share = (lambda n: round(n / letters, 4)) if letters else (lambda n: 0.0)
        rec.findings[self.name] = {"lang": lang, "han": share(han), "latin": share(latin),
                                   "other_letters": share(kana + other),
                                   "traditional_share": round(trad / han, 4) if han else 0.0}


def _english(text: str) -> bool:
    words = _WORD.findall(text[:20_000])
    if not words:
        return False
    return sum(1 for w in words if w.lower() in _EN_STOP) / len(words) >= EN_MIN_STOPWORDS


# -- quality --------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def load_quality(path: str | None = None) -> dict[str, Any]:
    """The quality thresholds (shipped file, or ``path``), with the mojibake patterns compiled."""
    if path is None:
        text = (resources.files("hegui.data") / "corpus" / "quality.yaml").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    for key in ("flag", "floor"):
        if not isinstance(data.get(key), dict):
            raise ValueError(f"quality thresholds: {key!r} missing")
    data["_mojibake"] = re.compile("|".join(data.get("mojibake") or ["\ufffd"]))
    return data


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,200})?/?>|&(?:[a-z]{2,8}|#\d{2,6}|#x[0-9a-f]{2,5});", re.I)
QUALITY_SCAN = 1_000_000  # the signals are read on at most this many characters


class QualityStep(BaseStep):
    """Quality signals (GB/T 45654 §5.2). Finding: ``{"chars", "symbol_share", "digit_share",
    "non_text_share", "repeated_line_share", "max_char_run", "top_char_share", "mojibake",
    "html_tags", "low_quality", "flags": [signal names]}``. Low quality is a finding; only the hard
    floor (empty text, non-text share above ``floor.max_non_text``) excludes, reason ``quality``."""

    name: ClassVar[str] = "quality"
    version: ClassVar[str] = "1"

    def __init__(self, *, thresholds_file: str | None = None) -> None:
        self.thresholds_file = thresholds_file

    def one(self, rec: CorpusRecord) -> None:
        q = load_quality(self.thresholds_file)
        flag, floor = q["flag"], q["floor"]
        full_len = len(rec.text)
        text = rec.text[:QUALITY_SCAN]
        counts = Counter(ch for ch in text if not ch.isspace())
        visible = sum(counts.values())
        symbols = digits = letters = 0
        for ch, n in counts.items():
            cat = unicodedata.category(ch)
            if cat[0] == "L":
                letters += n
            elif cat == "Nd":
                digits += n
            elif cat[0] in "PSC":
                symbols += n
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        line_counts = Counter(lines)
        repeated = sum(n for n in line_counts.values() if n > 1)
        run = best = 0
        prev = ""
        for ch in text:
            run = run + 1 if ch == prev else 1
            prev = ch
            best = max(best, run)
        top = counts.most_common(1)[0][1] / visible if visible else 0.0
        sig = {"chars": full_len,
               "symbol_share": round(symbols / visible, 4) if visible else 0.0,
               "digit_share": round(digits / visible, 4) if visible else 0.0,
               "non_text_share": round(1 - letters / visible, 4) if visible else 1.0,
               "repeated_line_share": round(repeated / len(lines), 4) if lines else 0.0,
               "max_char_run": best,
               "top_char_share": round(top, 4),
               "mojibake": len(q["_mojibake"].findall(text)),
               "html_tags": len(_TAG.findall(text))}
        flags = [name for name, bad in (
            ("min_chars", full_len < flag["min_chars"]), ("max_chars", full_len > flag["max_chars"]),
            ("max_symbol_share", sig["symbol_share"] > flag["max_symbol_share"]),
            ("max_digit_share", sig["digit_share"] > flag["max_digit_share"]),
            ("max_repeated_line_share", sig["repeated_line_share"] > flag["max_repeated_line_share"]),
            ("max_char_run", best > flag["max_char_run"]),
            ("max_top_char_share", visible >= 50 and top > flag["max_top_char_share"]),
            ("max_mojibake", sig["mojibake"] > flag["max_mojibake"]),
            ("max_html_tags", sig["html_tags"] > flag["max_html_tags"])) if bad]
        below_floor = visible == 0 or sig["non_text_share"] > floor["max_non_text"]
        rec.findings[self.name] = {**sig, "low_quality": bool(flags) or below_floor, "flags": flags,
                                   "below_floor": below_floor}
        if below_floor:
            rec.exclude("quality")


class FingerprintStep(BaseStep):
    """Exact hash and MinHash signature of the normalised text, for the duplicate and opt-out
    passes (computed once per record, identical under every engine). Finding:
    ``{"hash": "sha256:…", "minhash": [128 ints] | None, "shingle": 5}``. Never excludes."""

    name: ClassVar[str] = "fingerprint"
    version: ClassVar[str] = "1"

    def one(self, rec: CorpusRecord) -> None:
        rec.findings[self.name] = {"hash": content_hash(rec.text), "minhash": minhash(rec.text),
                                   "shingle": SHINGLE}
