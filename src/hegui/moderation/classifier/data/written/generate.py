"""Build the team-written moderation training data (issue 8, item 2) from hand-written sources.

Inputs (this folder): ``hand/*.txt`` (whole items written by the team, one per line) and
``templates_*.yaml`` (templates × slot lists, expanded deterministically; spam contacts are fictional
numbers spelt the way spammers dodge filters, see :func:`obfuscate`). Outputs: ``prompts.jsonl``,
``responses.jsonl``, ``abuse.jsonl`` and ``README.md`` (counts table). Hand-written items come first;
a templated item whose normalised text is already present is dropped (deduplication).

Hand-file format (``#`` starts a comment line, blank lines are ignored)::

    @ kind=discrimination label=unsafe head=discrimination risk=A2a   # defaults for the lines below
    一条提示词 / one prompt per line

Responses (``hand/responses*.txt``)::

    ? A1h | the user's prompt          (risk id, or ``-`` for none)
    refusal: the assistant's reply     (label: harmful | refusal | responsible | benign)

Run: ``python generate.py [--out DIR]`` (default: this folder). Licence Apache-2.0 (as hegui).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hegui.moderation.classifier.dataset import sample_fillings

HERE = Path(__file__).resolve().parent
_SLOT = re.compile(r"\{([a-z_0-9]+)\}")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
WRITTEN_ON = "2026-12-02"

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_CIRCLED = str.maketrans("0123456789", "⓪①②③④⑤⑥⑦⑧⑨")
_YAO = str.maketrans("0123456789", "零幺二三四五六七八九")
_DAXIE = str.maketrans("0123456789", "零壹贰叁肆伍陆柒捌玖")
_LOOKALIKE = str.maketrans("01", "Ol")
_HANDLES_ZH = ["微信", "薇信", "V信", "vx", "VX", "wx", "威信", "徽信", "薇", "➕V", "加v", "+V", "绿泡泡", "QQ",
               "扣扣", "企鹅", "🐧", "Q", "TG", "飞机", "纸飞机", "电报", "蓝色软件", "卫星"]
_HANDLES_EN = ["WhatsApp", "Telegram", "TG", "WeChat", "wa.me", "Snap", "kik", "Line", "Signal"]
_FRAMES_ZH = ["{h}：{n}", "{h} {n}", "加{h}{n}", "➕{h}：{n}", "{h}号{n}（备注来意）", "扣{n}", "{h}➡️{n}",
              "联系{h}【{n}】", "{h}：{n}（私聊秒回）", "戳{h} {n}", "{h}在主页", "看我头像找{h}", "{h}：{n} 备注“Y”"]
_FRAMES_EN = ["{h}: {n}", "{h} {n}", "add me on {h} {n}", "DM on {h}: {n}", "{h} ➜ {n}", "hit me up on {h} ({n})"]


def _digits(rng: random.Random) -> str:
    return str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(5, 8)))


def obfuscate(number: str, rng: random.Random) -> str:
    """One spelling of a (fictional) contact number, the way spammers dodge filters."""
    style = rng.randrange(10)
    if style == 0:
        return number.translate(_FULLWIDTH)
    if style == 1:
        return number.translate(_CIRCLED)
    if style == 2:
        return number.translate(_YAO)
    if style == 3:
        return number.translate(_DAXIE)
    if style == 4:
        return " ".join(number)
    if style == 5:
        return "".join(c + "\ufe0f\u20e3" for c in number)
    if style == 6:
        return number.translate(_LOOKALIKE) if ("0" in number or "1" in number) else number.translate(_CIRCLED)
    if style == 7:
        cut = rng.randint(2, len(number) - 2)
        return number[:cut] + rng.choice(["➕", "-", "·", "＋", "~"]) + number[cut:]
    if style == 8:
        letters = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(rng.randint(2, 4)))
        return letters + number[: rng.randint(3, 6)]
    return number


def contacts(rng: random.Random) -> dict[str, list[str]]:
    """Fictional, obfuscated contact strings (``contact_zh``, ``contact_en``) for the spam templates."""
    zh = [rng.choice(_FRAMES_ZH).format(h=rng.choice(_HANDLES_ZH), n=obfuscate(_digits(rng), rng))
          for _ in range(400)]
    en = [rng.choice(_FRAMES_EN).format(h=rng.choice(_HANDLES_EN), n=obfuscate(_digits(rng), rng))
          for _ in range(80)]
    return {"contact_zh": sorted(set(zh)), "contact_en": sorted(set(en))}


def lang_of(text: str) -> str:
    """``zh`` when the text holds any Han character, else ``en``."""
    return "zh" if _HAN.search(text) else "en"


def norm_key(text: str) -> str:
    """Deduplication key: NFKC, case-folded, without spaces or punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())


def _parse_defaults(line: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for part in line[1:].split():
        key, _, value = part.partition("=")
        out[key] = None if value in ("", "-", "null") else value
    return out


def read_items(path: Path) -> Iterator[dict[str, Any]]:
    """Items of a prompt/abuse hand file: each line plus the defaults of the last ``@`` line."""
    defaults: dict[str, str | None] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            defaults = _parse_defaults(line)
            continue
        yield {"text": line.replace("\\n", "\n"), **defaults}


def read_responses(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a responses hand file (``?`` opens a prompt group, ``label: text`` adds a reply)."""
    prompt, risk = None, None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("?"):
            head, _, prompt = line[1:].partition("|")
            risk = None if head.strip() in ("-", "") else head.strip()
            prompt = prompt.strip()
            continue
        label, sep, text = line.partition(":")
        if not sep or prompt is None or label.strip() not in RESPONSE_LABELS:
            raise ValueError(f"{path.name}:{n}: expected 'label: reply' after a '?' line")
        yield {"prompt": prompt, "response": text.strip().replace("\\n", "\n"), "label": label.strip(),
               "risk": None if label.strip() == "benign" else risk}


RESPONSE_LABELS = ("harmful", "refusal", "responsible", "benign")


def _sample(pools: list[list[str]], k: int, rng: random.Random) -> list[tuple[str, ...]]:
    return sample_fillings(pools, k, rng, full_below=50_000)


def expand(group: dict[str, Any], lists: dict[str, list[str]], seed: str) -> list[dict[str, Any]]:
    """Fill each template of ``group`` with up to ``per_template`` slot combinations, shuffle, keep ``take``.

    Templates come from ``templates`` or the shared list named by ``templates_from``. A slot ``{x}``
    is filled from the group's own ``slots`` first, then from the shared lists; a filled value may
    hold further slots (one more level), so lists can nest phrasings.
    """
    rng = random.Random(seed)
    local: dict[str, list[str]] = {**lists, **group.get("slots", {})}
    templates = group["templates"] if "templates" in group else lists[group["templates_from"]]
    out: list[dict[str, Any]] = []
    wanted = -(-group.get("take", 0) * 3 // (2 * len(templates)))  # enough to shuffle before ``take``
    per_template = max(group.get("per_template", 1), wanted)
    for template in templates:
        names = sorted(set(_SLOT.findall(template)))
        pools = [local[n] for n in names]
        for combo in _sample(pools, per_template, rng):
            text = template.format(**dict(zip(names, combo)))
            inner = sorted(set(_SLOT.findall(text)))
            if inner:
                text = text.format(**{n: rng.choice(local[n]) for n in inner})
            out.append(combo_fields(group, text))
    rng.shuffle(out)
    return out[: group.get("take", len(out))]


def combo_fields(group: dict[str, Any], text: str) -> dict[str, Any]:
    skip = {"templates", "templates_from", "slots", "per_template", "take"}
    return {"text": text, **{k: v for k, v in group.items() if k not in skip}}


class Sink:
    """Rows of one output file in order, deduplicated on a normalised key."""

    def __init__(self, key_fields: tuple[str, ...]) -> None:
        self.rows: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.key_fields = key_fields

    def add(self, row: dict[str, Any]) -> bool:
        key = "\u241f".join(norm_key(str(row[f])) or str(row[f]).strip() for f in self.key_fields)
        if not key.strip("\u241f") or key in self.seen:
            return False
        self.seen.add(key)
        self.rows.append(row)
        return True


def _prompt_row(item: dict[str, Any], origin: str) -> dict[str, Any]:
    return {"text": item["text"], "label": item["label"], "head": item.get("head"),
            "risk": item.get("risk"), "lang": lang_of(item["text"]), "kind": item["kind"],
            "origin": origin}


def _abuse_row(item: dict[str, Any], origin: str) -> dict[str, Any]:
    return {"text": item["text"], "label": item["label"], "lang": lang_of(item["text"]),
            "kind": item["kind"], "origin": origin}


def _response_row(item: dict[str, Any], origin: str) -> dict[str, Any]:
    return {"prompt": item["prompt"], "response": item["response"], "label": item["label"],
            "risk": item.get("risk"), "lang": lang_of(item["prompt"] + item["response"]),
            "origin": origin}


def _templated(spec: dict[str, Any], section: str, lists: dict[str, list[str]]) -> Iterator[dict[str, Any]]:
    for gi, group in enumerate(spec.get(section, [])):
        yield from expand(group, lists, f"hegui-written-{section}-{gi}")


def _templated_responses(spec: dict[str, Any], lists: dict[str, list[str]]) -> Iterator[dict[str, Any]]:
    """Responses from templates. A group either pairs its ``prompts`` ([text, risk]) with reply
    ``templates`` (``per_prompt`` each), or fills ``pairs`` ([prompt, reply] templates sharing slots)."""
    for gi, group in enumerate(spec.get("responses", [])):
        rng = random.Random(f"hegui-written-responses-{gi}")
        local = {**lists, **group.get("slots", {})}
        label = group["label"]

        def fill(template: str, values: dict[str, str]) -> str:
            for name in sorted(set(_SLOT.findall(template)) - set(values)):
                values[name] = rng.choice(local[name])
            return template.format(**values)

        prompts = group.get("prompts") or lists.get(group.get("prompts_from", ""), [])
        for prompt, risk in prompts:
            k = min(group.get("per_prompt", 1), len(group["templates"]))
            for template in rng.sample(group["templates"], k):
                yield {"prompt": prompt, "response": fill(template, {}), "label": label,
                       "risk": None if label == "benign" else risk}
        for prompt_t, reply_t in group.get("pairs", []):
            names = sorted(set(_SLOT.findall(prompt_t)) | set(_SLOT.findall(reply_t)))
            for combo in _sample([local[n] for n in names], group.get("per_pair", 1), rng):
                values = dict(zip(names, combo))
                yield {"prompt": prompt_t.format(**values), "response": reply_t.format(**values),
                       "label": label, "risk": None if label == "benign" else group.get("risk")}


def load_templates(root: Path) -> dict[str, Any]:
    """Merge every ``templates_*.yaml`` (sections ``lists``, ``prompts``, ``abuse``, ``responses``)."""
    spec: dict[str, Any] = {"lists": {}, "prompts": [], "abuse": [], "responses": []}
    for path in sorted(root.glob("templates_*.yaml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, value in part.get("lists", {}).items():
            if name in spec["lists"]:
                raise ValueError(f"{path.name}: list {name!r} defined twice")
            spec["lists"][name] = value
        for section in ("prompts", "abuse", "responses"):
            spec[section] += part.get(section, [])
    spec["lists"].update(contacts(random.Random("hegui-written-contacts")))
    return spec


def build(root: Path = HERE) -> dict[str, list[dict[str, Any]]]:
    """All rows of the three files (deterministic)."""
    spec = load_templates(root)
    lists: dict[str, list[str]] = spec["lists"]
    prompts, abuse = Sink(("text",)), Sink(("text",))
    responses = Sink(("prompt", "response"))
    for path in sorted((root / "hand").glob("prompts_*.txt")):
        for item in read_items(path):
            prompts.add(_prompt_row(item, "hand"))
    for path in sorted((root / "hand").glob("abuse_*.txt")):
        for item in read_items(path):
            abuse.add(_abuse_row(item, "hand"))
    for path in sorted((root / "hand").glob("responses_*.txt")):
        for item in read_responses(path):
            responses.add(_response_row(item, "hand"))
    for item in _templated(spec, "prompts", lists):
        prompts.add(_prompt_row(item, "template"))
    for item in _templated(spec, "abuse", lists):
        abuse.add(_abuse_row(item, "template"))
    for item in _templated_responses(spec, lists):
        responses.add(_response_row(item, "template"))
    return {"prompts": prompts.rows, "responses": responses.rows, "abuse": abuse.rows}


def _table(rows: list[dict[str, Any]], key: str) -> list[str]:
    counts = Counter((r[key], r["label"]) for r in rows)
    hand = Counter((r[key], r["label"]) for r in rows if r["origin"] == "hand")
    zh = Counter((r[key], r["label"]) for r in rows if r["lang"] == "zh")
    out = [f"| {key} | label | rows | hand-written | zh |", "|---|---|---|---|---|"]
    for (k, label), n in sorted(counts.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        out.append(f"| {k} | {label} | {n} | {hand[(k, label)]} | {zh[(k, label)]} |")
    total_hand = sum(1 for r in rows if r["origin"] == "hand")
    total_zh = sum(1 for r in rows if r["lang"] == "zh")
    out.append(f"| **all** | | **{len(rows)}** | **{total_hand}** | **{total_zh}** |")
    return out


def readme(data: dict[str, list[dict[str, Any]]]) -> str:
    head = (HERE / "README.head.md").read_text(encoding="utf-8").rstrip("\n")
    parts = [head, "", "## Counts / 数量 (generated by `generate.py`)", ""]
    parts += ["### prompts.jsonl", "", *_table(data["prompts"], "kind"), ""]
    risks = Counter((r["head"], r["risk"]) for r in data["prompts"] if r["label"] == "unsafe")
    parts += ["Unsafe prompts by head and risk / 不安全提示词按头和风险:", "", "| head | risk | rows |", "|---|---|---|"]
    parts += [f"| {h} | {r or '-'} | {n} |" for (h, r), n in sorted(risks.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))]
    parts += ["", "### responses.jsonl", ""]
    for r in data["responses"]:
        r.setdefault("kind", "response")
    parts += _table(data["responses"], "kind")
    for r in data["responses"]:
        r.pop("kind")
    groups = Counter(r["prompt"] for r in data["responses"])
    multi = sum(1 for p, n in groups.items() if n >= 2 and len({r["label"] for r in data["responses"] if r["prompt"] == p}) >= 2)
    parts += ["", f"Prompt groups with 2–3 replies of different labels / 同一提示词多标签回复组: {multi}", ""]
    parts += ["### abuse.jsonl", "", *_table(data["abuse"], "kind"), ""]
    return "\n".join(parts)


def write(out: Path, data: dict[str, list[dict[str, Any]]]) -> None:
    """Write the three JSONL files and the README into ``out`` (atomic when hegui is importable)."""
    try:
        from hegui.fileio import write_atomic
    except ImportError:  # pragma: no cover - running from a bare checkout
        def write_atomic(dst: Path, text: str) -> Path:  # type: ignore[misc]
            Path(dst).write_text(text, encoding="utf-8")
            return Path(dst)
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        write_atomic(out / f"{name}.jsonl", text)
    write_atomic(out / "README.md", readme(data) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the team-written moderation training data.")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: this folder)")
    args = ap.parse_args(argv)
    data = build()
    write(args.out, data)
    for name, rows in data.items():
        print(f"{name}: {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
