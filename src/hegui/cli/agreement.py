"""``hegui agreement lint [PATH]`` — review an agreement text against the rules courts and regulators
applied to generative-AI terms (issue 11; rules in data/agreement_lint/rules.yaml; docs/agreement-lint.md).

Exit status 1 when any error-level rule fails (each finding as file:line), 0 otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

console = Console()
app = typer.Typer(help="Service agreement review / 服务协议审查", no_args_is_help=True)


@app.command("lint")
def lint(path: Optional[Path] = typer.Argument(None, help="zh.md / en.md, a version folder or an agreement root; "
                                                        "default: the served agreement (agreement.directory)"),
         config: Optional[Path] = typer.Option(None, "--config", "-c", help="path to hegui.toml"),
         rules: Optional[Path] = typer.Option(None, "--rules", help="rules YAML (default: the shipped rules)"),
         json_out: bool = typer.Option(False, "--json")) -> None:
    """Lint an agreement; exit 1 on any error-level finding."""
    from hegui.identity.agreement_lint import lint_agreement, load_rules, shipped_root
    from hegui.settings import load_settings

    settings = load_settings(config)
    target = path or (Path(settings.agreement.directory) if settings.agreement.directory else shipped_root())
    version, rule_list = load_rules(rules)
    found = lint_agreement(target, rules=rule_list, third_party=any(u.third_party for u in settings.upstreams))
    errors = [f for f in found if f.rule.severity == "error"]
    if json_out:
        typer.echo(json.dumps({"rules_version": version, "target": str(target),
                               "findings": [f.to_dict() for f in found]}, ensure_ascii=False, indent=1))
    else:
        for f in found:
            colour = "red" if f.rule.severity == "error" else "yellow"
            console.print(f"[{colour}]{f.rule.severity}[/] {f.where} [{f.rule.id}] {f.rule.zh} / {f.rule.en}"
                          f"  ({f.rule.basis})", highlight=False)
            if f.excerpt:
                console.print(f"    {f.excerpt}", highlight=False)
        word = "通过 passed" if not errors else f"{len(errors)} 项错误 error(s)"
        console.print(f"协议审查 agreement review (rules {version}, {target}): {word}", highlight=False)
    if errors:
        raise typer.Exit(1)
