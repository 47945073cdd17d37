"""Training and held-out data for the person-name model (development only; never needed at run time).

Sources (all permissive): ``chinese_names`` (Apache-2.0: surnames with frequency, given-name
characters, 255k historical names), the team's sentence templates (``data/name_templates.txt``)
and common-word list (below), and real sentences from CrossWOZ / KdConv (Apache-2.0) and CMRC 2018
(CC BY-SA 4.0), used as name-free negatives and as carriers for inserted names. ResumeNER is never
read here (evaluation only).

Held-out split: templates by a hash of the line, surnames by a hash of the surname, real sentences
by a hash of their id; held-out names use only held-out surnames.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from hegui.moderation.recognizers.name_features import NameLexicon

Example = tuple[str, list[tuple[int, int]]]  # text, name spans

# Common given-name characters of modern names (written by the team from general knowledge).
MODERN_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞辉建国文兰云凤海林斌宇浩凯健俊帆帅旭宁龙波晨欣佳琳婷"
    "雪慧莉倩颖晶丹蕾薇琴梅燕玲洁瑶璐露楠彬博诚成峰东亮光辰达德福贵宏家金锦康乐力立良茂民鸣奇琪庆青清荣瑞盛胜世树"
    "顺松泰腾天挺武祥翔新鑫星兴雄轩学亚阳毅永友元远跃泽振志智忠中子宗卫春秋冬小晓嘉思雨梦诗可雅怡婉美月欢悦馨蓉莹"
    "芬芝珍珠翠爱淑惠巧素彩鸿峻晖啸鹤岩石山川江河湖耀铭钰琦璇瑾瑜琛彤妍媛婕姗娅妮娴莺凡一三仁义礼信孝廉士宝立春"
)
# Ordinary words that start with a surname character: never names (negative examples).
COMMON_WORDS = (
    "高兴 高速 高铁 高考 高级 高手 高度 高峰 王国 王者 王牌 张贴 张望 张扬 林立 林荫 黄金 黄色 黄昏 黄瓜 金融 金额 "
    "金牌 周末 周年 周围 周边 周期 方便 方法 方面 方案 方向 马上 马路 于是 白天 白色 白菜 文化 文件 文章 文明 明天 "
    "明白 明星 明确 常常 常见 江湖 石头 石油 程序 程度 钱包 关心 关系 关注 安全 安排 安静 许多 许可 曾经 田野 董事 "
    "余额 杜绝 叶子 丁香 任何 任务 钟表 陆续 范围 夏天 付款 付出 熊猫 江南 段落 雷达 龙虾 史诗 历史 陶瓷 黎明 贺卡 "
    "顾客 顾问 毛衣 万一 严格 严重 武术 莫名 向往 汤圆 常规 温度 温暖 康复 施工 牛奶 安装 齐全 庞大 颜色 庄园 章节 "
    "申请 欧元 关门 兰花 焦虑 左边 柳树 甘心 祝福 包裹 宁静 尚未 符合 舒服 纪念 梅花 童年 凌晨 毕业 单位 季节 成功 "
    "苗条 盛大 曲线 蓝天 路口 游泳 辛苦 管理 柴油 华丽 房间 时间 和平 商量 沙发 司机 司法 东方 公平 平安 朱红 "
    "胡同 胡萝卜 何况 罗马 郑重 梁柱 谢谢 宋朝 唐朝 韩国 邓州 肖像 潘多拉 蔡甸 魏晋 吕梁 "
    "姚安 卢沟桥 姜汁 崔嵬 谭家菜 汪汪 贾鲁河 韦编 邹城 孟子 秦朝 尹湾 薛家湾 侯门 龚滩 邵阳 钱塘 覃塘"
).split()


NOT_GIVEN = set("的了是在和与也都就还又被把给从向对说着过吗呢吧啊氏某等")


# Places (many start with a surname character: 沈阳, 兰州, 安徽 …), organisation kinds and job titles
# for CV and news templates; slots {P}, {O}, {T}.
PLACES = (
    "北京 上海 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 "
    "陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 石家庄 太原 沈阳 长春 哈尔滨 南京 杭州 合肥 福州 南昌 济南 "
    "郑州 武汉 长沙 广州 海口 成都 贵阳 昆明 西安 兰州 西宁 银川 南宁 拉萨 大连 青岛 宁波 厦门 深圳 苏州 无锡 常州 温州 "
    "金华 台州 嘉兴 湖州 绍兴 黄石 荆州 宜昌 襄阳 洛阳 开封 许昌 唐山 邯郸 保定 秦皇岛 沧州 廊坊 大同 包头 鞍山 抚顺 "
    "丹东 锦州 营口 大庆 芜湖 蚌埠 安庆 黄山 泉州 漳州 九江 赣州 淄博 烟台 潍坊 济宁 泰安 威海 日照 临沂 珠海 汕头 佛山 "
    "江门 湛江 茂名 肇庆 惠州 梅州 东莞 中山 柳州 桂林 北海 三亚 绵阳 宜宾 南充 遵义 大理 丽江 宝鸡 咸阳 延安 通化 "
    "华中 华南 华东 西北 东北 中国 全国"
).split()
ORGS = ("大学 理工大学 师范大学 有限公司 股份有限公司 集团 集团有限公司 银行 分行 支行 研究院 研究所 设计院 证券公司 "
        "电力公司 化工厂 制药厂 电缆厂 人民医院 中医院 市政府 人民法院 检察院 税务局 财政局 教育局 电视台 日报社 出版社 "
        "科技有限公司 实业有限公司 投资有限公司 会计师事务所 律师事务所 经济技术开发区 高新区管委会").split()
TITLES = ("总经理 副总经理 董事长 副董事长 董事 监事 独立董事 总裁 副总裁 财务总监 总会计师 总工程师 高级工程师 工程师 "
          "会计师 经济师 教授 副教授 讲师 研究员 主任 副主任 处长 科长 局长 厂长 副厂长 党委书记 党委委员 党委副书记 "
          "董事会秘书 部长 经理 主管 科员 行长 副行长 院长 所长 秘书长 委员").split()


@dataclass
class NameSources:
    surnames: list[tuple[str, int]]  # (surname, tf)
    given_weights: Counter[str]
    ancient: list[str]  # historical names in simplified-compatible characters


def stable_bucket(key: str, mod: int, salt: str = "hegui-names") -> int:
    return int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()[:8], 16) % mod


def is_heldout_surname(s: str) -> bool:
    return stable_bucket("surname:" + s, 10) == 0


def is_heldout_template(t: str) -> bool:
    return stable_bucket("template:" + t, 5) == 0


def is_heldout_sentence(sid: str) -> bool:
    return stable_bucket("sentence:" + sid, 10) == 0


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def real_sentences(data_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """``{source: [(id, text)]}`` for crosswoz, kdconv (travel / film+music) and cmrc2018."""
    out: dict[str, list[tuple[str, str]]] = {"crosswoz": [], "kdconv_travel": [], "kdconv_chat": [], "cmrc": []}
    for split in ("val", "test"):
        out["crosswoz"] += [(r["id"], r["text"]) for r in read_jsonl(data_dir / "crosswoz" / f"{split}.jsonl")]
    for split in ("dev", "test"):
        for r in read_jsonl(data_dir / "kdconv" / f"{split}.jsonl"):
            key = "kdconv_travel" if r["category"].endswith("travel") else "kdconv_chat"
            out[key].append((r["id"], r["text"]))
    out["cmrc"] = [(r["id"], r["text"]) for r in read_jsonl(data_dir / "cmrc2018" / "questions.jsonl")]
    return {k: [(i, t) for i, t in v if 4 <= len(t) <= 200] for k, v in out.items()}


def load_sources(data_dir: Path, simplified: set[str]) -> NameSources:
    """Name lists from ``chinese_names``; historical names kept only if every character occurs in
    ``simplified`` (characters seen in the simplified-Chinese corpora), i.e. not traditional-only."""
    base = data_dir / "chinese_names"
    surnames = [(r["text"], int(r["tf"])) for r in read_jsonl(base / "surnames.jsonl")]
    given: Counter[str] = Counter()
    for ch in MODERN_GIVEN:
        given[ch] += 6
    for r in read_jsonl(base / "given_name_chars.jsonl"):
        given[r["text"]] += 2
    sur_set = {s for s, tf in surnames if tf >= 20}  # historical names only with a common surname
    ancient = []
    for line in (base / "ancient_names.txt").read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if not 2 <= len(name) <= 4 or not all(c in simplified for c in name):
            continue
        s_len = 2 if name[:2] in sur_set else 1 if name[:1] in sur_set else 0
        if s_len and 1 <= len(name) - s_len <= 2 and not any(c in NOT_GIVEN for c in name[s_len:]):
            ancient.append(name)
            for c in name[s_len:]:
                given[c] += 1
    return NameSources(surnames, given, ancient)


def build_lexicon(src: NameSources) -> NameLexicon:
    """Surname buckets by tf (≥1000: 4, ≥100: 3, ≥20: 2, else 1); given-character buckets by rank."""
    def sur_bucket(tf: int) -> int:
        return 4 if tf >= 1000 else 3 if tf >= 100 else 2 if tf >= 20 else 1
    singles = sorted((ord(s), sur_bucket(tf)) for s, tf in src.surnames if len(s) == 1)
    comps = sorted({(ord(s[0]) << 21) | ord(s[1]) for s, _ in src.surnames if len(s) == 2})
    ranked = [c for c, _ in src.given_weights.most_common() if len(c) == 1]
    given = sorted((ord(c), 4 if r < 200 else 3 if r < 600 else 2 if r < 1500 else 1)
                   for r, c in enumerate(ranked[:3000]))
    return NameLexicon(np.array([a for a, _ in singles], np.uint32), np.array([b for _, b in singles], np.uint8),
                       np.array(comps, np.uint64), np.array([a for a, _ in given], np.uint32),
                       np.array([b for _, b in given], np.uint8))


class NameSampler:
    """Draws full names from one side of the surname split (train or held-out)."""

    def __init__(self, src: NameSources, heldout: bool | None, rng: random.Random) -> None:
        """``heldout``: True/False one side of the surname split, None every surname."""
        pick = [(s, tf) for s, tf in src.surnames if heldout is None or is_heldout_surname(s) == heldout]
        self.surnames = [s for s, _ in pick]
        self.weights = [tf ** 0.8 for _, tf in pick]
        self.compound = [x for x in self.surnames if len(x) == 2]
        ok = set(self.surnames)
        self.ancient = [n for n in src.ancient if (n[:2] if n[:2] in ok else n[:1]) in ok]
        self.given = [c for c, w in src.given_weights.items() if w >= 6]  # modern pools or frequent
        self.rare = sorted(c for c, w in src.given_weights.items() if w < 6 and c not in NOT_GIVEN)
        self.given_w = [src.given_weights[c] for c in self.given]
        self.rng = rng

    def surname(self) -> str:
        return self.rng.choices(self.surnames, self.weights)[0]

    def __call__(self) -> str:
        r = self.rng
        if self.ancient and r.random() < 0.2:
            return r.choice(self.ancient)
        s = r.choice(self.compound) if self.compound and r.random() < 0.04 else self.surname()
        n_given = 1 if r.random() < 0.3 else 2
        given = r.choices(self.given, self.given_w, k=n_given)
        if self.rare and r.random() < 0.2:  # real names also use rare characters: context must carry them
            given[-1] = r.choice(self.rare)
        return s + "".join(given)


def fill(template: str, names: NameSampler, rng: random.Random) -> Example:
    """Fill the slots (``{N}`` a fresh name, ``{W}`` a common word, ``{P}`` place, ``{O}`` organisation,
    ``{T}`` title, ``{Y}`` year, ``{S}`` a bare surname, ``{B}`` a name-like brand, not tagged);
    return the text and the name spans."""
    out, spans, pos = [], [], 0
    for piece in re.split(r"(\{[NWPOTYSB]\})", template):
        if piece == "{N}":
            name = names()
            spans.append((pos, pos + len(name)))
            piece = name
        elif piece == "{W}":
            piece = rng.choice(COMMON_WORDS)
        elif piece == "{P}":
            piece = rng.choice(PLACES)
        elif piece == "{O}":
            piece = rng.choice(ORGS)
        elif piece == "{T}":
            piece = rng.choice(TITLES)
        elif piece == "{Y}":
            piece = str(rng.randint(1950, 2024))
        elif piece == "{B}":  # a name-like brand inside an organisation name is not a person
            piece = names()
        elif piece == "{S}":  # a surname alone (李先生, 老王) is not tagged as a name
            piece = names.surname()
        out.append(piece)
        pos += len(piece)
    return "".join(out), spans


_PRONOUN = re.compile(r"(?<![其吉])[他她我你](?![们好])")
_CARRIERS = ("{N}：{S}", "@{N} {S}", "{N}说：“{S}”", "回复{N}：{S}", "{S}——{N}", "{N}问：{S}", "{N}，{S}")


def insert_name(text: str, names: NameSampler, rng: random.Random) -> Example:
    """Put a name into a real sentence: replace a personal pronoun, or wrap it (speaker, @mention)."""
    hits = list(_PRONOUN.finditer(text))
    if hits and rng.random() < 0.7:
        m = rng.choice(hits)
        name = names()
        return text[:m.start()] + name + text[m.end():], [(m.start(), m.start() + len(name))]
    carrier = rng.choice(_CARRIERS)
    name = names()
    filled = carrier.replace("{N}", name).replace("{S}", text)
    start = filled.index(name) if not carrier.startswith("{S}") else filled.rindex(name)
    return filled, [(start, start + len(name))]


def templates(heldout: bool) -> dict[str, list[str]]:
    """``{section: [template]}`` from ``data/name_templates.txt``, one side of the template split."""
    ref = resources.files("hegui.moderation.recognizers").joinpath("data", "name_templates.txt")
    out: dict[str, list[str]] = {}
    section = "misc"
    for line in ref.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.strip() and not line.startswith("#") and is_heldout_template(line) == heldout:
            out.setdefault(section, []).append(line)
    return out
