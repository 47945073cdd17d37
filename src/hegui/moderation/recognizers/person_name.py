"""Chinese personal names (PIPL Art 4): a character sequence model plus a transliteration rule.

Names are found by the averaged-perceptron sequence model of
:mod:`~hegui.moderation.recognizers.name_model` (BMEO tags, Viterbi), whose weights ship in
``data/person_name.npz``; see ``docs/person-names.md`` for data and scores. Cheap checks keep the
precision up: a model span must be 2–4 Han characters and not start with a common word of
``data/names.yaml`` ``not_names`` (高中, 经理 …). Transliterated foreign names joined by a
middle dot (约翰·史密斯, 尼古拉斯·斯帕克斯) are found by a rule: Han runs of transliteration
characters on both sides of the dot.

The model file is validated when the recognizer is built; an invalid file raises
:class:`~hegui.moderation.recognizers.errors.NameModelInvalid` (fail closed: no silent fallback).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from hegui.moderation.recognizers.base import MAX_TEXT, PIFinding, Recognizer, load_data
from hegui.moderation.recognizers.name_model import NameModel, default_model_path, load_model

_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
# Characters used to transliterate foreign names (the common ones of the Xinhua transliteration tables).
TRANSLIT = set(
    "阿埃艾爱安昂奥巴拜班邦鲍贝本比彼毕宾波伯勃博布查达戴丹道德迪蒂丁东杜顿多厄恩尔法凡范菲费芬丰弗伏福富盖甘冈"
    "高戈哥格根贡古瓜哈海汉豪赫亨洪华怀霍基吉加贾杰金卡凯坎康考柯科克肯孔库夸奎拉莱赖兰朗劳勒雷蕾黎里理利莉丽"
    "连林琳刘留隆卢鲁路伦罗洛马玛迈麦曼芒梅门蒙米密敏明莫姆穆纳娜南内尼妮宁纽努诺欧帕佩彭皮珀普奇齐乔切琴琼丘"
    "萨塞桑瑟森沙莎尚舍申什施史斯松苏索塔泰坦汤唐特提廷图托瓦万威韦维温文沃乌伍武西希锡夏谢辛休雅亚扬耶伊因"
    "英尤于约泽扎詹珍兹佐翰逊娅丝芙黛薇琪妮洛伦蒂默白"
)
_DOT = re.compile(r"[·•‧・∙]")
# Cues that pin where a name ENDS (CVs, forms): 李海鹰先生, 冯元发，男. A model span that stops one
# character short of such a cue is extended to it, and a surname + 1–2 characters right before it is
# reported even when the model missed it (the rule of recognizer version 1, strong cues only).
_END_CUE = re.compile(r"先生|女士|[，,：:]\s?[男女][，,。；;\s）)]|（[男女]）")
_MAX_PART = 8


def transliterated_names(text: str) -> list[tuple[int, int]]:
    """Spans of dot-joined transliterated names: ≥2 parts, each 1–8 transliteration characters."""
    spans: list[tuple[int, int]] = []
    for m in _DOT.finditer(text):
        if spans and m.start() < spans[-1][1]:
            continue
        start = m.start()
        while start > 0 and m.start() - start < _MAX_PART and text[start - 1] in TRANSLIT:
            start -= 1
        if start == m.start():
            continue
        end, parts = m.start(), 1
        while end < len(text) and _DOT.match(text[end]):
            right = end + 1
            while right < len(text) and right - end - 1 < _MAX_PART and text[right] in TRANSLIT:
                right += 1
            if right == end + 1:
                break
            end, parts = right, parts + 1
        if parts >= 2 and end - start >= 4:
            spans.append((start, end))
    return spans


_TITLES = ("先生", "女士", "小姐")


def _not_a_name(text: str, s: int, e: int) -> bool:
    """Cheap precision checks: a title inside the span (李先生, 顾先|生) or 任 of 曾任/现任/历任."""
    if any(t in text[s:e + 1] for t in _TITLES):
        return True
    return text[s] == "任" and s > 0 and text[s - 1] in "曾现历兼出担继"


@lru_cache(maxsize=4)
def _cached_model(path: str, mtime_ns: int, size: int) -> NameModel:
    return load_model(path)


def shared_model(path: str | os.PathLike[str] | None = None) -> NameModel:
    """The validated model at ``path`` (default: the shipped one), loaded once per file version."""
    p = Path(path) if path is not None else default_model_path()
    try:
        st = p.stat()
        key = (st.st_mtime_ns, st.st_size)
    except OSError:
        key = (0, 0)  # load_model raises the bilingual error for a missing file
    return _cached_model(str(p), *key)


class ChineseNameRecognizer(Recognizer):
    """Person names in Chinese text (PIPL Art 4); entity type PERSON, risk A4f."""

    name = "person_name"
    version = "2"
    entity_type = "PERSON"
    languages = ("zh",)
    score = 0.85

    def __init__(self, model_path: str | os.PathLike[str] | None = None) -> None:
        self._model = shared_model(model_path)
        data = load_data("names.yaml")
        self._surnames = set(data["surnames"])
        self._compound = set(data["compound"])
        self._not_given = set(data["not_given"])
        self._not_names = set(data.get("not_names", ()))

    def _given_ok(self, chars: str) -> bool:
        return all("\u4e00" <= c <= "\u9fff" and c not in self._not_given for c in chars)

    def _cue_span(self, text: str, end: int) -> tuple[int, int] | None:
        """Surname (single or compound) + 1–2 given characters ending at ``end`` (3 tried first)."""
        for length in (3, 2, 4):
            start = end - length
            if start < 0:
                continue
            s_len = 2 if text[start:start + 2] in self._compound else 1 if text[start] in self._surnames else 0
            if s_len and 1 <= length - s_len <= 2 and self._given_ok(text[start + s_len:end]) and (
                    start == 0 or not "\u4e00" <= text[start - 1] <= "\u9fff" or length == 4):
                return start, end
        return None

    def _pin_to_cues(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        by_end = {e: (s, e) for s, e in spans}
        for m in _END_CUE.finditer(text):
            cue = m.start()
            if cue in by_end:
                continue
            short = by_end.get(cue - 1)
            if short and short[1] - short[0] <= 3 and self._given_ok(text[cue - 1]):
                by_end.pop(cue - 1)
                by_end[cue] = (short[0], cue)
                continue
            span = self._cue_span(text, cue)
            if span and not any(s < span[1] and span[0] < e for s, e in by_end.values()):
                by_end[cue] = span
        return sorted(by_end.values())

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        found = transliterated_names(text)
        taken = [False] * len(text)
        for s, e in found:
            taken[s:e] = [True] * (e - s)
        for s, e in self._pin_to_cues(text, self._model.spans(text)):
            if 2 <= e - s <= 4 and _HAN.match(text[s:e]) and not any(taken[s:e]) and not _not_a_name(text, s, e) \
                    and text[s:s + 2] not in self._not_names:
                found.append((s, e))
        return [self.finding(s, e, text, self.score) for s, e in sorted(found)]
