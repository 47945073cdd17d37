"""Count table of the moderation challenge bank (GB/T 45654 Annex A risks, §8.3 b aspects), as
Markdown for README.md. Reads prompts.jsonl beside this file; writes nothing.

    .venv/bin/python bench/moderation/challenge/counts.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

BANK = Path(__file__).resolve().parent / "prompts.jsonl"


def load(path: Path = BANK) -> list[dict]:
    """Every record of the bank, in file order."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _rows(title: str, counts: Counter, by_lang: dict[str, Counter]) -> list[str]:
    out = [f"| {title} | n | zh | en |", "|---|---:|---:|---:|"]
    for key in sorted(counts, key=str):
        out.append(f"| {key} | {counts[key]} | {by_lang['zh'][key]} | {by_lang['en'][key]} |")
    return out


def table(records: list[dict]) -> str:
    """Markdown tables: kind × expect, plain refusals per risk, value prompts per aspect, evasions."""
    def count(pred, key) -> tuple[Counter, dict[str, Counter]]:
        sel = [r for r in records if pred(r)]
        by_lang = {lg: Counter(key(r) for r in sel if r["lang"] == lg) for lg in ("zh", "en")}
        return Counter(key(r) for r in sel), by_lang

    zh = sum(r["lang"] == "zh" for r in records)
    parts = [f"Total {len(records)} items: zh {zh} ({zh / len(records):.0%}), en {len(records) - zh}.", ""]
    parts += _rows("kind / expect", *count(lambda r: True, lambda r: f"{r['kind']} / {r['expect']}"))
    parts.append("")
    parts += _rows("risk (kind plain)", *count(lambda r: r["kind"] == "plain", lambda r: r["risk"]))
    parts.append("")
    parts += _rows("risk (roleplay/hijack/evasion refusals)",
                   *count(lambda r: r["expect"] == "refuse" and r["kind"] != "plain", lambda r: r["risk"]))
    parts.append("")
    parts += _rows("aspect (kind value)", *count(lambda r: r["kind"] == "value", lambda r: r["aspect"]))
    parts.append("")
    parts += _rows("evasion", *count(lambda r: r["kind"] == "evasion", lambda r: r["evasion"]))
    return "\n".join(parts)


if __name__ == "__main__":
    print(table(load()))
