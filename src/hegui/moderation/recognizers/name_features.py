"""Character features for the person-name sequence model (PIPL Art 4: a name identifies a person).

Every character position gets :data:`N_TEMPLATES` hashed feature ids, computed for the whole text
at once with numpy (no Python loop over characters): the character and its neighbours (±2),
character bigrams and a trigram, a small per-character *lexical code* (surname frequency bucket,
compound-surname start/second, given-name-character frequency bucket, character class) and its
conjunctions with neighbours, and title/context cues (先生 女士 教授 记者 说 表示 称 @ 、 ：…)
before or after the position. The ids index one hashed weight table of ``2**bits`` rows.

The lexicon (surnames with frequency buckets, given-name characters) travels inside the weights
file, so run time needs no data set; the cue words are fixed here and their digest is recorded in
the weights header, so a model trained with other cues is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

# Cue words that usually come right BEFORE a name (the name starts after them).
CUES_BEFORE: tuple[str, ...] = (
    "记者", "通讯员", "主持人", "发言人", "导演", "演员", "歌手", "作者", "作家", "编辑", "教授", "老师", "医生",
    "律师", "博士", "院士", "校长", "主任", "经理", "董事长", "书记", "局长", "市长", "省长", "队长", "班长",
    "同学", "同事", "朋友", "网友", "博主", "选手", "球员", "教练", "员工", "患者", "病人", "学生", "嫌疑人",
    "我叫", "名叫", "叫做", "姓名", "联系人", "收件人", "寄件人", "持卡人", "负责人", "申请人", "被告人", "原告",
    "户主", "经办人", "签名", "署名", "@", "、", "：", ":", "和", "与", "及", "跟", "同", "给", "向", "对", "由",
    "被", "是", "叫", "找", "请", "让", "问", "据", "#", "“", "《", "（", "(", "，", "。", "！", "？", "；",
    "转发", "回复", "感谢", "恭喜", "祝贺", "亲爱的", "尊敬的",
)
# Cue words that usually come right AFTER a name.
CUES_AFTER: tuple[str, ...] = (
    "先生", "女士", "小姐", "同志", "老师", "教授", "博士", "医生", "律师", "记者", "经理", "总经理", "董事长", "主任",
    "校长", "局长", "书记", "院长", "院士", "导演", "主演", "说", "表示", "称", "指出", "认为", "介绍", "透露",
    "强调", "回应", "告诉", "坦言", "笑着", "解释", "建议", "提出", "发现", "希望", "曾经", "曾任", "现任",
    "出生", "生于", "毕业", "担任", "今年", "昨天", "今天", "也", "还", "在", "的", "和", "与", "、", "，",
    "。", "：", ":", "！", "？", "等", "等人", "一起", "同学", "本人", "男", "女", "（", "(", "”", "》", "#",
    "家", "们", "发布", "获得", "带领", "主持", "出席", "签署", "称赞", "问道", "答道",
)

N_TEMPLATES = 30
_CLS_HAN, _CLS_LATIN, _CLS_DIGIT, _CLS_PUNCT, _CLS_SPACE, _CLS_OTHER = range(6)
_PAD_L, _PAD_R = 0x110001, 0x110002  # codepoints beyond Unicode mark the text edges
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
PAD = 4  # positions of padding on each side (the widest template looks 4 away)


def cue_digest() -> str:
    """SHA-256 of the cue lists: a model is valid only with the cues it was trained with."""
    return hashlib.sha256(("\n".join(CUES_BEFORE) + "\x00" + "\n".join(CUES_AFTER)).encode()).hexdigest()


def _pair_keys(words: tuple[str, ...], *, last: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sorted one- and two-character keys of ``words`` (longer words: their last/first two)."""
    singles, pairs = set(), set()
    for w in words:
        if len(w) == 1:
            singles.add(ord(w))
        else:
            a, b = (w[-2:] if last else w[:2])
            pairs.add((ord(a) << 21) | ord(b))
    return np.array(sorted(singles), dtype=np.uint64), np.array(sorted(pairs), dtype=np.uint64)


_BEFORE_1, _BEFORE_2 = _pair_keys(CUES_BEFORE, last=True)
_AFTER_1, _AFTER_2 = _pair_keys(CUES_AFTER, last=False)


def _member(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Boolean mask: ``values`` found in sorted ``keys`` (vectorised, no Python loop)."""
    if keys.size == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(keys, values), keys.size - 1)
    return keys[pos] == values


@dataclass(frozen=True)
class NameLexicon:
    """Surnames (with frequency buckets 1–4), compound surnames, given-name characters (buckets 1–4)."""

    surname_cp: np.ndarray  # uint32, sorted single-character surnames
    surname_bucket: np.ndarray  # uint8, 1..4
    compound: np.ndarray  # uint64 sorted keys (first << 21 | second)
    given_cp: np.ndarray  # uint32, sorted
    given_bucket: np.ndarray  # uint8, 1..4

    def lookup(self, cp: np.ndarray, keys: np.ndarray, buckets: np.ndarray) -> np.ndarray:
        if keys.size == 0:
            return np.zeros(cp.shape, dtype=np.uint64)
        pos = np.minimum(np.searchsorted(keys, cp), keys.size - 1)
        return np.where(keys[pos] == cp, buckets[pos], 0).astype(np.uint64)


def codepoints(text: str) -> np.ndarray:
    """The text's codepoints as uint64, with :data:`PAD` edge markers on each side."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    return np.concatenate([np.full(PAD, _PAD_L, np.uint64), cp, np.full(PAD, _PAD_R, np.uint64)])


def char_class(cp: np.ndarray) -> np.ndarray:
    """0 Han, 1 Latin letter (incl. full-width), 2 digit, 3 punctuation/symbol, 4 space, 5 other."""
    cls = np.full(cp.shape, _CLS_OTHER, dtype=np.uint64)
    han = ((cp >= 0x4E00) & (cp <= 0x9FFF)) | ((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0x20000) & (cp <= 0x2FFFF))
    latin = ((cp | 32) >= 0x61) & ((cp | 32) <= 0x7A) | ((cp >= 0xFF21) & (cp <= 0xFF5A))
    digit = ((cp >= 0x30) & (cp <= 0x39)) | ((cp >= 0xFF10) & (cp <= 0xFF19))
    space = (cp == 0x20) | (cp == 0x3000) | ((cp >= 0x09) & (cp <= 0x0D))
    punct = (((cp >= 0x21) & (cp <= 0x7E)) & ~latin & ~digit) | ((cp >= 0x3000) & (cp <= 0x303F)) | (
        (cp >= 0xFF00) & (cp <= 0xFFEF) & ~latin & ~digit) | ((cp >= 0x2000) & (cp <= 0x206F)) | (cp == 0xB7)
    cls[punct] = _CLS_PUNCT
    cls[space] = _CLS_SPACE
    cls[digit] = _CLS_DIGIT
    cls[latin] = _CLS_LATIN
    cls[han] = _CLS_HAN
    return cls


def features(text: str, lex: NameLexicon, bits: int) -> np.ndarray:
    """``(len(text), N_TEMPLATES)`` int64 row ids into a ``2**bits``-row weight table."""
    return _features(codepoints(text), lex, bits)


def features_batch(texts: list[str], lex: NameLexicon, bits: int) -> list[np.ndarray]:
    """:func:`features` of many texts in one vectorised pass (same result, much faster in training)."""
    if not texts:
        return []
    pad_r, pad_l = np.full(PAD, _PAD_R, np.uint64), np.full(PAD, _PAD_L, np.uint64)
    parts, starts, pos = [pad_l], [], PAD
    for t in texts:
        cp = np.frombuffer(t.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
        starts.append(pos - PAD)
        parts += [cp, pad_r, pad_l]
        pos += len(t) + 2 * PAD
    ids = _features(np.concatenate(parts[:-1]), lex, bits)
    return [ids[s:s + len(t)] for s, t in zip(starts, texts)]


def _features(cp: np.ndarray, lex: NameLexicon, bits: int) -> np.ndarray:
    n = len(cp) - 2 * PAD
    cls = char_class(cp)
    sur = lex.lookup(cp, lex.surname_cp.astype(np.uint64), lex.surname_bucket)
    giv = lex.lookup(cp, lex.given_cp.astype(np.uint64), lex.given_bucket)
    pair = (cp[:-1] << np.uint64(21)) | cp[1:]
    comp = np.zeros(cp.shape, dtype=np.uint64)
    starts = _member(pair, lex.compound)
    comp[:-1][starts] = 1
    comp[1:][starts] = 2
    code = sur | (giv << np.uint64(3)) | (comp << np.uint64(6)) | (cls << np.uint64(8))
    # cue ending at position j (a "before" cue), cue starting at position j (an "after" cue)
    before_end = _member(cp, _BEFORE_1).astype(np.uint64)
    before_end[1:] |= _member(pair, _BEFORE_2).astype(np.uint64) << np.uint64(1)
    after_start = _member(cp, _AFTER_1).astype(np.uint64)
    after_start[:-1] |= _member(pair, _AFTER_2).astype(np.uint64) << np.uint64(1)

    atoms = {"c": _mix(cp, 1), "l": _mix(code, 2), "b": _mix(before_end, 3), "a": _mix(after_start, 4)}
    out = np.empty((N_TEMPLATES, n), dtype=np.uint64)
    shift = np.uint64(64 - bits)
    for t, parts in enumerate(TEMPLATES):
        h = np.full(n, _TEMPLATE_SALT[t], dtype=np.uint64)
        for atom, k in parts:
            h ^= atoms[atom][PAD + k:PAD + k + n] * _ROLE[(atom, k)]
        h *= _M3
        out[t] = h >> shift
    return out.T.astype(np.intp)


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix64 finaliser of ``x + salt``: a well-spread 64-bit value per position."""
    h = x + np.uint64((salt * int(_M1)) & 0xFFFFFFFFFFFFFFFF)
    h = (h ^ (h >> np.uint64(30))) * _M2
    h = (h ^ (h >> np.uint64(27))) * _M3
    return h ^ (h >> np.uint64(31))


# Each template: the (atom, offset) parts it conjoins. Atoms: c = character, l = lexical code,
# b = a "before" cue ends here, a = an "after" cue starts here.
TEMPLATES: tuple[tuple[tuple[str, int], ...], ...] = (
    (),
    (("c", -2),), (("c", -1),), (("c", 0),), (("c", 1),), (("c", 2),),
    (("c", -2), ("c", -1)), (("c", -1), ("c", 0)), (("c", 0), ("c", 1)), (("c", 1), ("c", 2)),
    (("c", -1), ("c", 1)), (("c", -1), ("c", 0), ("c", 1)),
    (("l", 0),), (("l", -1), ("l", 0)), (("l", 0), ("l", 1)),
    (("l", -1), ("l", 0), ("l", 1)), (("l", -2), ("l", -1), ("l", 0)), (("l", 0), ("l", 1), ("l", 2)),
    (("l", -3), ("l", -2), ("l", -1), ("l", 0)), (("l", 0), ("l", 1), ("l", 2), ("l", 3)),
    (("b", -1), ("l", 0), ("l", 1)), (("b", -2), ("l", -1), ("l", 0)), (("b", -3), ("l", -2), ("l", -1), ("l", 0)),
    (("a", 1), ("l", 0), ("l", -1)), (("a", 2), ("l", 0), ("l", 1)), (("a", 3), ("l", 0), ("l", 1), ("l", 2)),
    (("a", 4), ("l", 0)), (("b", -1), ("a", 3), ("l", 0)), (("b", -1), ("a", 2), ("l", 0)),
    (("c", 0), ("l", 1), ("l", 2)),
)
assert len(TEMPLATES) == N_TEMPLATES
_ROLE = {key: np.uint64((0x9E3779B97F4A7C15 * (2 * i + 3)) & 0xFFFFFFFFFFFFFFFF | 1)
         for i, key in enumerate(sorted({p for t in TEMPLATES for p in t}))}
_TEMPLATE_SALT = [np.uint64((0xD6E8FEB86659FD93 * (t + 1)) & 0xFFFFFFFFFFFFFFFF) for t in range(N_TEMPLATES)]
