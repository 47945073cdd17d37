"""PI recognizer precision/recall per type (prints a table).

    .venv/bin/python bench/moderation/quality_pi.py [--data-dir ../shared/data] [--n 500]

- Names, ethnicity, places: ResumeNER dev+test (evaluation only); NAME→PERSON, RACE→ETHNICITY,
  LOC→ADDRESS. Exact span match and overlap match.
- Person names (docs/person-names.md): exact-span precision / recall / F1 of the name recognizer on
  ResumeNER dev and test (NAME spans), on a synthetic held-out set (templates, surnames and real
  sentences the model was not trained on), and its speed on 2,000 characters of real chat text.
- Numeric types: synthetic sentences with generated valid numbers (check digits computed), plus the
  same sentences with a corrupted check digit / random digits, which must not be reported.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time
from pathlib import Path

from hegui.codes import id_card_check_digit, uscc_check_char
from hegui.moderation.recognizers import RecognizerRegistry
from hegui.moderation.recognizers.numbers import luhn_ok

NER_MAP = {"NAME": "PERSON", "RACE": "ETHNICITY", "LOC": "ADDRESS"}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _id(rng: random.Random) -> str:
    body = f"{rng.choice(['11', '31', '44', '51', '61'])}{rng.randint(1, 9999):04d}{rng.randint(1950, 2010)}" \
           f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + id_card_check_digit(body)


def _card(rng: random.Random) -> str:
    body = "62" + "".join(rng.choice(string.digits) for _ in range(rng.choice([13, 16])))
    return next(body + d for d in string.digits if luhn_ok(body + d))


def _uscc(rng: random.Random) -> str:
    body = "91" + f"{rng.randint(110000, 659999)}" + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def _corrupt(s: str, alphabet: str = string.digits) -> str:
    return s[:-1] + next(c for c in alphabet if c != s[-1])


GEN = {
    "CN_ID_CARD": (lambda r: _id(r), "我的身份证号是{}，请核对。", True),
    "CN_MOBILE": (lambda r: "1" + r.choice("3456789") + "".join(r.choice(string.digits) for _ in range(9)),
                  "有事打我手机{}就行", False),
    "CN_LANDLINE": (lambda r: r.choice(["010-", "021-", "0755-", "028-"]) + str(r.choice([r.randint(2000000, 9999999), r.randint(20000000, 89999999)])),
                    "办公室座机{}，工作日接听", False),
    "BANK_CARD": (lambda r: _card(r), "工资打到这张卡{}里", True),
    "EMAIL": (lambda r: "".join(r.choice(string.ascii_lowercase) for _ in range(7)) + "@example.cn",
              "简历发到{}邮箱", False),
    "CN_USCC": (lambda r: _uscc(r), "公司统一社会信用代码{}。", True),
    "CN_PASSPORT": (lambda r: "E" + "".join(r.choice(string.digits) for _ in range(8)), "护照号码{}，有效期十年", False),
    "CN_LICENCE_PLATE": (lambda r: r.choice("京沪粤川浙") + r.choice("ABCDE") + "".join(r.choice(string.digits) for _ in range(5)),
                         "车牌{}的车主请挪车", False),
    "ADDRESS": (lambda r: f"{r.choice(['广东省深圳市南山区', '北京市海淀区', '四川省成都市武侯区', '浙江省杭州市西湖区'])}"
                          f"{r.choice(['科技', '人民', '建设', '中山', '文一西'])}{r.choice(['路', '大道', '街'])}"
                          f"{r.randint(1, 999)}号{r.randint(1, 30)}栋{r.randint(101, 2505)}室", "快递寄到{}，谢谢", False),
}


def _ner_eval(reg: RecognizerRegistry, data_dir: Path, split: str) -> list[tuple[str, str, str, str]]:
    stats = {t: {"tp": 0, "tp_overlap": 0, "pred": 0, "gold": 0} for t in NER_MAP.values()}
    for line in (data_dir / "resume_ner" / f"{split}.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        gold = {(e["start"], e["end"], NER_MAP[e["type"]]) for e in row["entities"] if e["type"] in NER_MAP}
        pred = {(f.start, f.end, f.entity_type) for f in reg.analyze(row["text"], entities=stats.keys())}
        for t, st in stats.items():
            g = {x for x in gold if x[2] == t}
            p = {x for x in pred if x[2] == t}
            st["gold"] += len(g)
            st["pred"] += len(p)
            st["tp"] += len(g & p)
            st["tp_overlap"] += sum(any(a < d and c < b for c, d, _ in g) for a, b, _ in p)
    rows = []
    for t, s in stats.items():
        p = s["tp"] / s["pred"] if s["pred"] else 0.0
        r = s["tp"] / s["gold"] if s["gold"] else 0.0
        po = s["tp_overlap"] / s["pred"] if s["pred"] else 0.0
        rows.append((f"ResumeNER {split} {t} (gold {s['gold']}, predicted {s['pred']})", f"{p:.3f}", f"{r:.3f}",
                     f"overlap P {po:.3f}"))
    return rows


def _synthetic_eval(reg: RecognizerRegistry, n: int) -> list[tuple[str, str, str, str]]:
    rng = random.Random(20261123)
    rows = []
    for etype, (gen, template, has_check) in GEN.items():
        tp = fp = neg_fp = 0
        for _ in range(n):
            value = gen(rng)
            text = template.format(value)
            start = text.index(value)
            found = reg.analyze(text)
            tp += any(f.entity_type == etype and (f.start, f.end) == (start, start + len(value)) for f in found)
            fp += sum(f.entity_type == etype and (f.start, f.end) != (start, start + len(value)) for f in found)
            if has_check:
                bad = template.format(_corrupt(value, USCC_CHARS if etype == "CN_USCC" else string.digits))
                neg_fp += any(f.entity_type == etype for f in reg.analyze(bad))
        prec = tp / (tp + fp + neg_fp) if tp + fp + neg_fp else 0.0
        note = f"bad check digit reported {neg_fp}/{n}" if has_check else "—"
        rows.append((f"synthetic {etype} (n={n})", f"{prec:.3f}", f"{tp / n:.3f}", note))
    return rows


NEGATIVE_TEMPLATES = [
    "订单号{d18}已发货", "金额共计{d6}.{d2}元", "会议定在{y}年{m}月{day}日", "版本号v{d1}.{d2}.{d3}",
    "快递单号SF{d12}", "第{d4}期彩票开奖号码{d7}", "温度{d2}度，湿度{d2}%", "学号{d10}", "发票代码{d12}",
    "参考文献ISBN 978{d10}", "坐标{d3}.{d6},{d2}.{d6}", "跑了{d5}米", "编号{d16}的设备",
]


def _negative_eval(reg: RecognizerRegistry, n: int) -> tuple[str, str, str, str]:
    """Ordinary numbers that are not PI: every numeric finding here is a false positive."""
    rng = random.Random(7)
    numeric = {"CN_ID_CARD", "CN_MOBILE", "CN_LANDLINE", "BANK_CARD", "CN_USCC", "CN_PASSPORT"}
    hits, by_type = 0, {}
    for i in range(n):
        t = NEGATIVE_TEMPLATES[i % len(NEGATIVE_TEMPLATES)]
        fill = {f"d{k}": "".join(rng.choice(string.digits) for _ in range(k)) for k in (1, 2, 3, 4, 5, 6, 7, 10, 12, 16, 18)}
        text = t.format(y=rng.randint(1990, 2030), m=rng.randint(1, 12), day=rng.randint(1, 28), **fill)
        found = [f for f in reg.analyze(text) if f.entity_type in numeric]
        hits += bool(found)
        for f in found:
            by_type[f.entity_type] = by_type.get(f.entity_type, 0) + 1
    return (f"synthetic non-PI numbers (n={n}): texts with a numeric finding", f"{hits / n:.3f}", "",
            ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) or "none")


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _name_rows(data_dir: Path) -> list[tuple[str, str, str, str]]:
    """The person-name recognizer alone: ResumeNER NAME spans, synthetic held-out, speed."""
    from hegui.moderation.recognizers.name_train import heldout_examples
    from hegui.moderation.recognizers.person_name import ChineseNameRecognizer

    rec = ChineseNameRecognizer()
    rows = []
    sets: list[tuple[str, list[tuple[str, list[tuple[int, int]]]]]] = []
    for split in ("dev", "test"):
        ex = []
        for line in (data_dir / "resume_ner" / f"{split}.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            ex.append((row["text"], [(e["start"], e["end"]) for e in row["entities"] if e["type"] == "NAME"]))
        sets.append((f"names: ResumeNER {split} (never trained on)", ex))
    sets.append(("names: synthetic held-out (templates, surnames, sentences not trained on)",
                 heldout_examples(data_dir, seed=99)))
    for label, examples in sets:
        tp = n_pred = n_gold = 0
        for text, gold in examples:
            pred = {(f.start, f.end) for f in rec.analyze(text)}
            tp += len(pred & set(gold)); n_pred += len(pred); n_gold += len(gold)
        p, r, f = _prf(tp, n_pred, n_gold)
        rows.append((f"{label} (gold {n_gold}, predicted {n_pred})", f"{p:.3f}", f"{r:.3f}", f"F1 {f:.3f}"))
    chat = "".join(json.loads(line)["text"] for line in (data_dir / "kdconv" / "dev.jsonl").open(encoding="utf-8"))
    for label, text in (("real chat (KdConv)", chat[:2000]),
                        ("CV-style, names every 30 chars", ("张三，男，汉族，手机13812345678，住在北京市朝阳区建国路88号。" * 60)[:2000])):
        rec.analyze(text)
        t0 = time.perf_counter()
        for _ in range(50):
            rec.analyze(text)
        sec = (time.perf_counter() - t0) / 50
        rows.append((f"speed: name recognizer, 2,000 chars of {label}", f"{sec * 1000:.2f} ms",
                     f"{len(text) / sec / 1e6:.2f} M chars/s", ""))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    reg = RecognizerRegistry.default()
    rows = _ner_eval(reg, args.data_dir, "dev") + _ner_eval(reg, args.data_dir, "test") + _name_rows(args.data_dir) \
        + _synthetic_eval(reg, args.n) + [_negative_eval(reg, args.n)]
    text = "张三，男，汉族，手机13812345678，住在北京市朝阳区建国路88号。" * 10
    t0 = time.perf_counter()
    for _ in range(200):
        reg.analyze(text)
    ms = (time.perf_counter() - t0) / 200 * 1000
    rows.append((f"speed: analyze {len(text)} characters, all recognizers", f"{ms:.2f} ms", "", ""))
    w = max(len(r[0]) for r in rows)
    print(f"| {'type'.ljust(w)} | precision | recall | note |\n|{'-' * (w + 2)}|---|---|---|")
    for r in rows:
        print(f"| {r[0].ljust(w)} | {r[1]} | {r[2]} | {r[3]} |")


if __name__ == "__main__":
    main()
