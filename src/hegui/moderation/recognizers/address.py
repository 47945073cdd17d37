"""Postal addresses and native places (PIPL Art 4; an exact address also reveals whereabouts, Art 28).

Patterns: province-led (province + city / district / town / road + number), road-led (road +
number + building/room), and native place (``，湖南汉寿人，``). Han text has no ``\\b``, so the left
edge of a road-led match is trimmed after cue characters (住在, 位于 …).
"""

from __future__ import annotations

import re

from hegui.moderation.recognizers.base import MAX_TEXT, PIFinding, Recognizer, anchored_finditer, load_data

_H = r"[\u4e00-\u9fff]"
_CITY = rf"{_H}{{1,6}}?(?:市|自治州|地区|盟)"
_DIST = rf"{_H}{{1,6}}?(?:区|县|旗)"
_TOWN = rf"{_H}{{1,8}}?(?:街道|镇|乡|村)"
_ROAD = rf"(?:{_H}|\d){{1,10}}?(?:大道|路|街|巷|胡同|弄)"
_NUM = r"[0-9一二三四五六七八九十百零]{1,6}号"
#: Every road-led match holds a road suffix directly followed by a house number, and starts at most
#: 9 + 7 + 10 + 10 = 36 characters before that suffix (the longest city, district, town and road
#: name parts above). Found by a fast literal scan, these cores anchor the costly lazy pattern.
_ROAD_CORE = re.compile(r"(?:大道|路|街|巷|胡同|弄)[0-9一二三四五六七八九十百零]{1,6}号")
_ROAD_BACK = 36
#: A native place ends in 人 before a clause mark; it starts at most (longest province name +
#: longest suffix + 3) characters before that 人.
_NATIVE_CORE = re.compile(r"人(?=[，,。；;])")
_SUFFIXES = ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区")
_UNIT = r"(?:[0-9A-Za-z一二三四五六七八九十]{1,5}(?:号楼|栋|幢|座|单元|层|楼|室|号))*"
_LEAD_CUES = ("家住", "住在", "住址", "地址", "户籍", "籍贯", "居住", "寄到", "送到", "搬到", "现居")
_CUES = ("家住", "住在", "住址", "地址", "位于", "坐落于", "寄到", "送到", "搬到", "在", "于", "是", "到", "住")


class AddressRecognizer(Recognizer):
    name = "address"
    entity_type = "ADDRESS"
    languages = ("zh",)

    def __init__(self) -> None:
        provs = sorted(load_data("places.yaml")["provinces"], key=len, reverse=True)
        prov = "(?:" + "|".join(provs) + r")(?:" + "|".join(_SUFFIXES) + ")?"
        self._native_back = max(map(len, provs), default=0) + max(map(len, _SUFFIXES)) + 3
        self._prov_led = re.compile(rf"{prov}(?P<city>{_CITY})?(?P<dist>{_DIST})?(?P<town>{_TOWN})?"
                                    rf"(?P<road>{_ROAD}{_NUM}{_UNIT})?")
        self._road_led = re.compile(rf"(?:{_CITY})?(?:{_DIST})?(?:{_TOWN})?{_ROAD}{_NUM}{_UNIT}")
        self._native = re.compile(rf"(?:(?<=[，,。；;：:])|^|(?<=籍贯))(?P<pi>{prov}{_H}{{0,3}}?人)(?=[，,。；;])")

    def _trim(self, text: str, start: int, end: int) -> int:
        window = text[start:end]
        cut = max((window.rfind(c) + len(c) for c in _CUES if 0 <= window.rfind(c) < len(window) - 4), default=0)
        return start + cut

    def analyze(self, text: str) -> list[PIFinding]:
        text = text[:MAX_TEXT]
        found: list[tuple[int, int, float]] = []
        for m in self._prov_led.finditer(text):
            city, dist, town, road = m.group("city", "dist", "town", "road")  # one call: 20+ matches a text
            if not (city or dist or town or road):
                continue
            if road:
                found.append((m.start(), m.end(), 0.9))
            elif text[m.end():m.end() + 1] == "人" and text[m.end() + 1:m.end() + 2] in "，,。；;":
                found.append((m.start(), m.end() + 1, 0.6))  # native place: 重庆市璧山县人
            elif any(c in text[max(0, m.start() - 4):m.start()] for c in _LEAD_CUES):
                found.append((m.start(), m.end(), 0.8))  # 家住四川省成都市武侯区
        road_cores = [m.start() for m in _ROAD_CORE.finditer(text)]
        for m in anchored_finditer(self._road_led, text, road_cores, _ROAD_BACK):
            if not any(s < m.end() and m.start() < e for s, e, _ in found):
                found.append((self._trim(text, m.start(), m.end()), m.end(), 0.8))
        native_cores = [m.start() for m in _NATIVE_CORE.finditer(text)]
        for m in anchored_finditer(self._native, text, native_cores, self._native_back):
            if not any(s < m.end("pi") and m.start("pi") < e for s, e, _ in found):
                found.append((m.start("pi"), m.end("pi"), 0.6))
        return [self.finding(s, e, text, sc) for s, e, sc in sorted(found)]
