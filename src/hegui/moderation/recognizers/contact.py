"""Off-platform contact handles, decoded when disguised (GB/T 45654 A3e; Interim Measures Art 4).

Spam, black-market and fraud posts divert users to QQ, WeChat or Telegram and hide the handle from
keyword filters: look-alike letters (``O`` for 0, ``l`` for 1), keycap, circled, parenthesised or
full-width digits (``1️⃣ ① ⑴ １``), Chinese numerals (``幺两三`` / ``壹贰叁``), digits spread out with
spaces or dots, and aliases of the platform name (扣扣, 企鹅, vx, 薇信, 纸飞机 …). The disguise is
the signal: a handle written plainly scores below the default flag threshold, a disguised one
above it (flag for review), never the refusal threshold on its own — lures next to a contact are
:mod:`hegui.moderation.recognizers.abuse`'s job.

Phone numbers written plainly stay with the PI recognizers (masked, not reported here); public
service numbers (95xxx, 96xxx, 100xx, 12xxx, 400/800) are never contacts.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right, insort
from itertools import islice
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from hegui.moderation.recognizers.base import MAX_TEXT, lead
from hegui.moderation.recognizers.content import ContentFinding, ContentRecognizer
from hegui.moderation.recognizers.sensitive import casefold_1to1

PLAIN_SCORE = 0.4  # below the default flag threshold (0.5): "微信 abc123" alone is ordinary
OBFUSCATED_SCORE = 0.65  # one kind of disguise: flagged for review
HEAVY_SCORE = 0.75  # two or more kinds: still below the refusal threshold (0.8) on its own
SOLICIT_SCORE = 0.55  # "加v", "v我", "主页有联系方式": flagged
MAX_MATCHES = 4096  # per pattern and text: bounded work on adversarial input

# alias -> (platform, evasive). ASCII aliases need ASCII word edges.
_ALIASES: dict[str, tuple[str, bool]] = {
    "qq": ("qq", False), "qq号": ("qq", False), "q q": ("qq", True), "q.q": ("qq", True), "q-q": ("qq", True),
    "q·q": ("qq", True), "q_q": ("qq", True), "ｑｑ": ("qq", True), "扣扣": ("qq", True),
    "抠抠": ("qq", True), "蔻蔻": ("qq", True), "寇寇": ("qq", True), "扣扣号": ("qq", True), "企鹅": ("qq", True),
    "企鹅号": ("qq", True), "🐧": ("qq", True),
    "qq群": ("qq_group", False), "q群": ("qq_group", False), "群号": ("qq_group", False),
    "扣群": ("qq_group", True), "企鹅群": ("qq_group", True), "加群": ("qq_group", False), "进群": ("qq_group", False),
    "入群": ("qq_group", False), "群聊": ("qq_group", False), "君羊": ("qq_group", True),  # 群 split in two
    "裙号": ("qq_group", True), "q裙": ("qq_group", True), "qq裙": ("qq_group", True), "扣裙": ("qq_group", True),
    "加裙": ("qq_group", True),  # 裙 for 群
    "微信": ("wechat", False), "微信号": ("wechat", False), "wechat": ("wechat", False),
    "weixin": ("wechat", False), "wx": ("wechat", False), "vx": ("wechat", True), "vx号": ("wechat", True),
    "v信": ("wechat", True), "威信": ("wechat", True), "薇信": ("wechat", True), "徽信": ("wechat", True),
    "微芯": ("wechat", True), "危信": ("wechat", True), "wei信": ("wechat", True), "微x": ("wechat", True),
    "绿泡泡": ("wechat", True), "卫星": ("wechat", True), "卫星号": ("wechat", True),
    "telegram": ("telegram", False), "tg": ("telegram", False), "电报": ("telegram", False),
    "纸飞机": ("telegram", True), "小飞机": ("telegram", True), "飞机": ("telegram", True),
    "✈": ("telegram", True), "whatsapp": ("whatsapp", False),
    # cue words without a platform: only a QQ-shaped number after them counts
    "联系方式": ("unknown", False), "联系": ("unknown", False), "联系我": ("unknown", False),
    "详询": ("unknown", False), "咨询": ("unknown", False), "加我": ("unknown", False),
    "找我": ("unknown", False), "有意者": ("unknown", False), "私聊": ("unknown", False),
}


def _alias_pattern() -> re.Pattern[str]:
    """One alternation of the lower-cased aliases, scanned over the lower-cased text. No flags and no
    groups, and every alternative starts with a literal (look-behinds after it, see
    :func:`~hegui.moderation.recognizers.base.lead`): ``re`` then skips in C to possible starts
    (``IGNORECASE`` or a named group around the alternation made the scan 10 times slower)."""
    parts = []
    for a in sorted(_ALIASES, key=len, reverse=True):
        esc = re.escape(a)
        if a[0].isascii():
            esc = lead(re.escape(a[0]), "a-z") + re.escape(a[1:])
        parts.append(esc + r"(?![a-z])" if a[-1].isascii() else esc)
    return re.compile("|".join(parts))


_ALIAS = _alias_pattern()
_BARE_V = re.compile(lead("[vV]") + r"(?=\s?[:：])")  # "V：abc123"
_GAP = re.compile(r"(?:[\s:：=＝~～>＞»→➡👉☞()（）【】\[\]「」<>《》\"“”'‘’#＃*/|\-—\ufe0f+＋➕]|号码|号|账号|帐号"
                  r"|是|为|id|搜索|搜|加)*", re.IGNORECASE)
MAX_GAP = 8
_TG_HANDLE = re.compile(r"@(?P<h>[A-Za-z][A-Za-z0-9_]{4,31})(?![A-Za-z0-9_])")
_ALNUM_HANDLE = re.compile(r"(?P<h>[A-Za-z][A-Za-z0-9_-]{5,19})(?![A-Za-z0-9_-])")
_SELF_NAMED = re.compile("(?:" + lead("w", "A-Za-z0-9_") + r"(?P<wxid>(?<=w)xid_[A-Za-z0-9_-]{4,30})|"
                         + lead("[th]", "A-Za-z0-9_") + r"(?:(?<=h)ttps?://t|(?<=t))\.me/(?P<tme>[A-Za-z0-9_]{5,32}))"
                         r"(?![A-Za-z0-9_])", re.IGNORECASE)
# the plus sign or 加 in front of a platform alias, "v我", "主页有联系方式"
_NOT_ADD = "增追参添附更叠外施强累递倍"
_SOLICIT_EVASIVE = re.compile(
    lead("[+＋➕✚]") + r"\ufe0f?\s?(?:我|vx|[vVqQ]|薇|扣扣|企鹅|飞机|tg|绿泡泡)(?![A-Za-z0-9])"
    "|" + lead("[加家佳]", _NOT_ADD) + r"(?:vx|[vVqQ]|薇|扣扣|企鹅|飞机|tg|TG|绿泡泡)(?![A-Za-z0-9])"
    r"|加我\s?[+＋➕✚]"
    "|" + lead("[vVqQ]") + r"(?:(?<=[vV])x)?我(?!们)"
    r"|(?:主页|首页|头像|简介|资料|签名|个签|置顶|空间)[^\n。！？!?]{0,4}?"
    r"(?:联系方式|[vVqQ](?![A-Za-z0-9])|vx|薇|扣扣|企鹅|飞机|tg|➕)")
_SOLICIT_PLAIN = re.compile(r"私聊|私信|私我|详聊|细聊|加我|找我|联系我")
# "加我微信", "添加您的QQ": moving the conversation to another platform, written plainly
_DIVERT = re.compile(r"(?:添加|加一下|加|联系)(?:我|我的|您的|你的|一下|我们的?)?\s?"
                     r"(?:微信|qq|ｑｑ|扣扣|企鹅|vx|wx|v信|飞机|tg|telegram|电报|whatsapp)(?![A-Za-z])", re.IGNORECASE)

_CN_DIGITS = {"零": "0", "〇": "0", "○": "0", "洞": "0", "一": "1", "壹": "1", "幺": "1", "二": "2", "贰": "2",
              "两": "2", "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6", "陆": "6",
              "七": "7", "柒": "7", "拐": "7", "八": "8", "捌": "8", "九": "9", "玖": "9", "勾": "9"}
_LOOKALIKE = {"O": "0", "o": "0", "О": "0", "о": "0", "Ο": "0", "ο": "0", "l": "1", "I": "1", "|": "1",
              "І": "1", "ӏ": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "b": "6", "B": "8", "g": "9", "q": "9"}
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_UNITS = frozenset("元块圆万千百亿个次年月日号点时分秒岁米斤克%％件人天周")
_SPACED_UNITS = frozenset("元块圆个次年月日点时分秒岁米斤克%％件人天周")  # not 百/千/万: "QQ 123456 百家乐"
_DATE_TIME = re.compile(r"(?:19|20)\d\d\D{1,2}\d{1,2}\D{1,2}\d{1,2}|\d{1,2}[:：]\d\d")
_OFFICIAL = re.compile(r"(?:95\d{3,6}|96\d{3}|100\d\d|12\d{3}|[48]00\d{7})")
_MOBILE = re.compile(r"1[3-9]\d{9}")


@lru_cache(maxsize=4096)
def digit_of(ch: str) -> tuple[str, str] | None:
    """(digit, kind) for a character that can stand for a digit, else None. Kinds: ``ascii``,
    ``unicode`` (full-width, circled, parenthesised, keycap base …), ``cn`` (Chinese numeral),
    ``lookalike`` (a letter that looks like a digit)."""
    if "0" <= ch <= "9":
        return ch, "ascii"
    if ch in _CN_DIGITS:
        return _CN_DIGITS[ch], "cn"
    if ch in _LOOKALIKE:
        return _LOOKALIKE[ch], "lookalike"
    d = unicodedata.digit(ch, None)
    if d is not None:
        return str(d), "unicode"
    return None


def _is_sep(ch: str) -> bool:
    """Punctuation, spaces and symbols (emoji) that may be spread between the digits of a handle."""
    return ch not in "+＋➕" and unicodedata.category(ch)[0] in "PZS"


@dataclass(frozen=True, slots=True)
class Number:
    end: int
    digits: str
    kinds: frozenset[str]  # digit kinds seen, plus "keycap" and "spaced"


def scan_number(text: str, i: int, lead_letters: bool) -> Number | None:
    """A disguised number starting at ``text[i]`` (5–11 digits), or None. Look-alike letters count
    only next to a real digit (``lead_letters``: also at the start, e.g. for QQ numbers)."""
    n, limit = len(text), min(len(text), i + 64)
    digits: list[str] = []
    kinds: set[str] = set()
    pending = seps = 0
    end = j = i
    real = 0
    while j < limit:
        c = text[j]
        got = digit_of(c)
        if got is not None and got[1] == "lookalike":
            nxt = digit_of(text[j + 1]) if j + 1 < n else None
            beside = (digits and end == j) or (nxt is not None and nxt[1] != "lookalike")
            if not beside and not (lead_letters and not digits):
                got = None
        if got is not None:
            digits.append(got[0])
            kinds.add(got[1])
            real += got[1] != "lookalike"
            seps += pending > 0
            pending = 0
            j += 1
            end = j
            continue
        cat = unicodedata.category(c)
        if cat[0] == "M" or c in _INVISIBLE:
            if c == "\u20e3":
                kinds.add("keycap")
            j += 1
            if digits and pending == 0:
                end = j
            continue
        if digits and pending < 2 and _is_sep(c):
            pending += 1
            j += 1
            continue
        break
    if not 5 <= len(digits) <= 11 or real < 3 or real < len(digits) - real:
        return None
    if end < n and text[end].isascii() and text[end].isalnum():
        return None
    if end < n and text[end] in _UNITS or text[end:end + 3].lstrip()[:1] in _SPACED_UNITS:
        return None  # 20000元, 20000 元, 3点: an amount or a time
    if seps >= 2:
        kinds.add("spaced")
    raw = unicodedata.normalize("NFKC", text[i:end])
    if _DATE_TIME.search(raw):
        return None
    return Number(end, "".join(digits), frozenset(kinds))


@dataclass(frozen=True, slots=True)
class Contact:
    """An off-platform contact: a ``handle`` (with ``canonical`` id), a ``divert`` phrase naming a
    platform ("加我微信") or a ``solicit`` phrase ("私聊", "v我")."""

    start: int
    end: int
    platform: str
    kind: str
    canonical: str
    obfuscation: tuple[str, ...]
    report: bool  # False: counts for lures only (plain phrases, phones the PI recognizers report)

    @property
    def obfuscated(self) -> bool:
        return bool(self.obfuscation)

    @property
    def score(self) -> float:
        if self.kind == "solicit":
            return SOLICIT_SCORE if self.obfuscated else PLAIN_SCORE
        if not self.obfuscation:
            return PLAIN_SCORE
        return OBFUSCATED_SCORE if len(self.obfuscation) == 1 else HEAVY_SCORE


def _handle_after(text: str, at: int, platform: str, gap_has_colon: bool) -> tuple[int, str, tuple[str, ...]] | None:
    """(end, canonical, obfuscation kinds) of the handle at ``text[at]``, or None."""
    num = scan_number(text, at, lead_letters=platform in ("qq", "qq_group"))
    if num is not None:
        if num.digits[0] == "0":
            return None
        kinds = tuple(sorted(k for k in num.kinds if k != "ascii"))
        if not kinds and _OFFICIAL.fullmatch(num.digits):
            return None
        return num.end, num.digits, kinds
    if platform == "unknown":
        return None
    m = _TG_HANDLE.match(text, at)
    if m is not None and platform in ("telegram", "whatsapp", "wechat"):
        return m.end(), "@" + m.group("h"), ()
    m = _ALNUM_HANDLE.match(text, at)
    if m is not None and platform != "qq_group":
        h = m.group("h")
        if platform == "telegram" and not gap_has_colon:
            return None  # "飞机MU5735": a flight, not a handle
        if any(c.isdigit() or c in "_-" for c in h):
            return m.end(), h, ()
    return None


_BACK_GAP = frozenset(" \t:：(（【[-—是我的为")
MAX_BACK_GAP = 6


def _handle_before(text: str, at: int) -> tuple[int, str, tuple[str, ...]] | None:
    """(start, canonical, obfuscation kinds) of a number just before ``text[at]`` ("①②…是我的企鹅")."""
    j = at
    while j > 0 and at - j < MAX_BACK_GAP and text[j - 1] in _BACK_GAP:
        j -= 1
    k = j
    while k > 0 and j - k < 64:
        c = text[k - 1]
        if digit_of(c) is None and not _is_sep(c) and unicodedata.category(c)[0] != "M" and c not in _INVISIBLE:
            break
        k -= 1
    start = next((i for i in range(k, j) if (d := digit_of(text[i])) is not None and d[1] != "lookalike"), None)
    if start is None or (start > 0 and text[start - 1].isascii() and text[start - 1].isalnum()):
        return None
    num = scan_number(text, start, lead_letters=False)
    if num is None or num.end > j or any(not _is_sep(c) for c in text[num.end:j]) or num.digits[0] == "0":
        return None
    kinds = tuple(sorted(k for k in num.kinds if k != "ascii"))
    if not kinds and _OFFICIAL.fullmatch(num.digits):
        return None
    return start, num.digits, kinds


_LAST: tuple[str, tuple[Contact, ...]] = ("", ())


class ContactRecognizer(ContentRecognizer):
    """Off-platform contact handles (entity ``CONTACT_HANDLE``) and evasive requests to make
    contact (``CONTACT_SOLICIT``); risk A3e (diverting users off the platform: other commercial
    violations)."""

    name = "contact_handle"
    entity_type = "CONTACT_HANDLE"
    risk_ids: ClassVar[tuple[str, ...]] = ("A3e",)
    languages: ClassVar[tuple[str, ...]] = ("zh", "en")

    def contacts(self, text: str) -> tuple[Contact, ...]:
        """Every contact in ``text``, reported or not, by start offset (at most
        :data:`MAX_MATCHES` of each kind: a text with that many is spam many times over).
        The last answer is kept (the registry asks again for the lure recognizer, same text)."""
        global _LAST
        last = _LAST
        if last[0] is text:  # the cache holds the text, so its identity cannot be reused meanwhile
            return last[1]
        out = tuple(self._contacts(text[:MAX_TEXT]))
        _LAST = (text, out)
        return out

    def _contacts(self, text: str) -> list[Contact]:
        out: list[Contact] = []
        low = casefold_1to1(text)
        found = [(m, *_ALIASES[m.group()]) for m in islice(_ALIAS.finditer(low), MAX_MATCHES)]
        found += [(m, "wechat", True) for m in islice(_BARE_V.finditer(text), MAX_MATCHES)]
        spans: list[tuple[int, int]] = []  # handles found so far, sorted

        def covered(pos: int) -> bool:
            i = bisect_right(spans, (pos, MAX_TEXT))
            return any(s <= pos < e for s, e in spans[max(0, i - 4):i])

        for m, platform, evasive in found:
            gap = _GAP.match(text, m.end())
            at = gap.end() if gap is not None else m.end()
            if at - m.end() > MAX_GAP:
                continue
            got = None
            if at < len(text) and (text[at] == "@" or text[at].isascii() and text[at].isalpha()
                                   or digit_of(text[at]) is not None):
                got = _handle_after(text, at, platform, any(c in ":：@" for c in text[m.end():at]))
            start, end = m.start(), m.end()
            if got is not None:
                end, canonical, kinds = got
            elif platform != "unknown" and (back := _handle_before(text, m.start())) is not None:
                start, canonical, kinds = back
                if covered(start):
                    continue
            else:
                continue
            insort(spans, (start, end))
            obf = tuple(sorted(set(kinds) | ({"alias"} if evasive else set())))
            report = True
            if not kinds and (_MOBILE.fullmatch(canonical) or platform == "unknown"):
                report = bool(obf)  # plain phone numbers: the PI recognizers; plain "联系12345678": lures only
            out.append(Contact(start, end, platform, "handle", canonical, obf, report))
        for m in islice(_SELF_NAMED.finditer(text), MAX_MATCHES):
            if covered(m.start()):
                continue  # "微信 wxid_…": already found after the alias
            wxid = m.group("wxid") is not None
            out.append(Contact(m.start(), m.end(), "wechat" if wxid else "telegram", "handle",
                               m.group(0) if wxid else m.group("tme"), (), True))
        for m in islice(_SOLICIT_EVASIVE.finditer(text), MAX_MATCHES):
            out.append(Contact(m.start(), m.end(), "unknown", "solicit", "", ("alias",), True))
        for m in islice(_SOLICIT_PLAIN.finditer(text), MAX_MATCHES):
            out.append(Contact(m.start(), m.end(), "unknown", "solicit", "", (), False))
        for m in islice(_DIVERT.finditer(text), MAX_MATCHES):
            out.append(Contact(m.start(), m.end(), "unknown", "divert", "", (), False))
        out.sort(key=lambda c: (c.start, -c.end))
        return out

    def analyze(self, text: str) -> list[ContentFinding]:  # type: ignore[override]
        text = text[:MAX_TEXT]
        out: list[ContentFinding] = []
        for c in self.contacts(text):
            if not c.report:
                continue
            etype = "CONTACT_SOLICIT" if c.kind == "solicit" else "CONTACT_HANDLE"
            out.append(self.content(c.start, c.end, text, c.score, entity_type=etype, platform=c.platform,
                                    canonical=c.canonical, category="+".join(c.obfuscation)))
        return out
