"""``hegui consent grant|list|show|revoke`` — separate consents to edit or synthesise a person's face
or voice (Deep Synthesis Provisions Art 14(2); PIPL Arts 28–29; Civil Code Art 994), kept by
:class:`hegui.likeness.consent.ConsentRegistry`. Every change is audited under ``cli:<login>``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from hegui.cli.common import actor, services

app = typer.Typer(help="Separate consents for faces and voices / 人脸、人声编辑的单独同意", no_args_is_help=True)
console = Console()
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")


def _registry(config: Optional[Path]):  # noqa: ANN202
    from hegui.likeness.consent import ConsentRegistry

    sv = services(config)
    return sv, ConsentRegistry(sv.db, sv.keys)


def _user_id(sv, app_id: Optional[str], user: Optional[str]) -> Optional[str]:  # noqa: ANN001
    if not user:
        return None
    from hegui.errors import ValidationFailed

    if not app_id:
        raise ValidationFailed(message_en="--user needs --app", message_zh="--user 须与 --app 一起使用")
    with sv.db.session() as s:
        return sv.identity.get(s, app_id, user).id


@app.command("grant")
def grant(kind: str = typer.Option(..., "--kind", help="voice | face"),
          use: list[str] = typer.Option(..., "--use", help="voice_clone, tts_voice | face_swap, face_edit (repeatable)"),
          subject: str = typer.Option(..., "--subject", help="your reference for the person (kept as a keyed hash) / 被编辑者编号"),
          name: Optional[str] = typer.Option(None, "--name", help="the person's name (sealed) / 姓名（加密保存）"),
          method: str = typer.Option(..., "--method", help="signed_upload | in_app_confirmation"),
          document: Optional[Path] = typer.Option(None, "--document", exists=True, dir_okay=False,
                                                  help="the signed consent (signed_upload) / 签署的同意书"),
          confirmation: Optional[str] = typer.Option(None, "--confirmation", help="in-app confirmation token / 应用内确认令牌"),
          confirmed_at: Optional[str] = typer.Option(None, "--confirmed-at", help="ISO time of the confirmation"),
          app_id: Optional[str] = typer.Option(None, "--app", help="app id (default: any app) / 限定应用"),
          user: Optional[str] = typer.Option(None, "--user", help="the app's end user (external id) / 限定终端用户"),
          valid_from: Optional[str] = typer.Option(None, "--valid-from", help="ISO date or time (default now)"),
          valid_until: Optional[str] = typer.Option(None, "--valid-until", help="ISO date or time (default: until revoked)"),
          deceased: bool = typer.Option(False, "--deceased", help="the person has died: a close relative consents"),
          party: str = typer.Option("subject", "--party", help="subject | guardian (under 14) | relative (deceased)"),
          relation: Optional[str] = typer.Option(None, "--relation", help="spouse | child | parent | grandparent | grandchild | sibling"),
          no_closer_relative: bool = typer.Option(False, "--no-closer-relative",
                                                  help="no spouse, child or parent survives (Civil Code Art 994)"),
          likeness_id: Optional[str] = typer.Option(None, "--likeness-id", help="the protected register entry it unlocks"),
          reference: Optional[Path] = typer.Option(None, "--reference", exists=True, dir_okay=False,
                                                   help="a sample of the person's voice or face: requests citing this "
                                                        "consent must match it / 被编辑者的声音或人脸样本"),
          config: Optional[Path] = ConfigOpt) -> None:
    """Record a separate consent; prints its id. / 登记单独同意并显示编号。"""
    from hegui.governance.common import parse_time

    sv, reg = _registry(config)
    row = reg.grant(kind=kind, uses=list(use), subject_ref=subject, subject_name=name, method=method,
                    evidence=document.read_bytes() if document else None, confirmation=confirmation,
                    confirmed_at=parse_time(confirmed_at, "--confirmed-at"), app_id=app_id,
                    user_id=_user_id(sv, app_id, user), valid_from=parse_time(valid_from, "--valid-from"),
                    valid_until=parse_time(valid_until, "--valid-until"), deceased=deceased, party=party,
                    relation=relation, no_closer_relative=no_closer_relative, likeness_id=likeness_id,
                    reference_embedding=sv.likeness_matcher.enrol(kind, reference.read_bytes()) if reference else None,
                    actor=actor())
    console.print(f"consent 单独同意 [bold]{row.id}[/] recorded 已登记 ({row.kind}: {', '.join(row.uses)}; "
                  f"evidence sha256 {row.evidence_sha256[:16]}…)")


@app.command("list")
def list_(app_id: Optional[str] = typer.Option(None, "--app"), kind: Optional[str] = typer.Option(None, "--kind"),
          subject: Optional[str] = typer.Option(None, "--subject"),
          active: bool = typer.Option(False, "--active", help="only those in force now / 仅现行有效"),
          json_out: bool = typer.Option(False, "--json"), config: Optional[Path] = ConfigOpt) -> None:
    """List consents (no names, no evidence). / 列出单独同意（不含姓名与证据）。"""
    from hegui.likeness.consent import view

    _, reg = _registry(config)
    rows = [view(r) for r in reg.list(app_id=app_id, kind=kind, subject_ref=subject, active_only=active)]
    if json_out:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"单独同意 separate consents ({len(rows)})")
    for col in ("id", "kind", "uses", "app", "method", "until 有效至", "revoked 撤回", "in force 有效"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["kind"], ",".join(r["uses"]), r["app_id"] or "*", r["method"],
                      r["valid_until"] or "—", r["revoked_at"] or "—", "yes 是" if r["in_force"] else "no 否")
    console.print(table)


@app.command("show")
def show(consent_id: str = typer.Argument(...), reveal_name: bool = typer.Option(
             False, "--reveal-name", help="unseal the person's name (audited) / 显示姓名（记入审计）"),
         config: Optional[Path] = ConfigOpt) -> None:
    """One consent. / 显示一项单独同意。"""
    from hegui.likeness.consent import view
    from hegui.records import audit

    sv, reg = _registry(config)
    row = reg.get(consent_id)
    shown = view(row)
    if reveal_name:
        with sv.db.session() as s:
            audit.append(s, actor(), "likeness.consent.reveal_name", f"likeness_consent:{row.id}", {})
        shown["subject_name"] = reg.subject_name(row)
    console.print_json(json.dumps(shown, ensure_ascii=False))


@app.command("revoke")
def revoke(consent_id: str = typer.Argument(...), reason: str = typer.Option(..., "--reason", help="why / 撤回原因"),
           config: Optional[Path] = ConfigOpt) -> None:
    """Withdraw a consent, with effect from now. / 撤回单独同意，立即生效。"""
    _, reg = _registry(config)
    row = reg.revoke(consent_id, reason, actor())
    console.print(f"consent 单独同意 [bold]{row.id}[/] revoked 已撤回 at {row.revoked_at:%Y-%m-%d %H:%M} UTC")
