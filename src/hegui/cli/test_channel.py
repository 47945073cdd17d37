"""``hegui admin test-channel`` — regulator test accounts with and without the safety strategy
(large-model filing, security-requirements §9). See docs/test-channel.md.

Every command is audited (hash-chained log); the key is printed once and never stored.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from hegui.cli.common import actor, services

console = Console()
app = typer.Typer(help="Regulator test channels (filing §9) / 监管测试通道（备案测试账号）", no_args_is_help=True)
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")


class Safety(str, Enum):
    on = "on"
    off = "off"


def _note_expired(s) -> None:  # noqa: ANN001
    from hegui.identity import test_channels
    from hegui.records import audit

    for row in test_channels.note_expired(s):
        audit.append(s, "system:test_channel", "test_channel.expired", f"test_channel:{row.id}",
                     test_channels.audit_detail(row))


@app.command("create")
def create(name: str = typer.Option(..., "--name", help="channel name, e.g. cac-zj-2026-04 / 通道名称"),
           safety: Safety = typer.Option(..., "--safety", help="on: the service as users meet it; off: no "
                                                             "moderation (labels and records stay) / 安全策略开或关"),
           days: int = typer.Option(30, "--days", help="expires after N days (1–180) / 有效天数"),
           allow_ip: Optional[list[str]] = typer.Option(None, "--allow-ip", help="CIDR allowed to use the key "
                                                                                 "(repeatable) / 允许的地址范围"),
           note: str = typer.Option("", "--note", help="e.g. the CAC ticket / 备注，如网信部门工单号"),
           config: Optional[Path] = ConfigOpt) -> None:
    """Create a test channel and print its API key once. / 创建测试通道并显示一次其 API 密钥。"""
    from hegui.identity import test_channels
    from hegui.records import audit

    svc = services(config)
    with svc.db.session() as s:
        row, key = test_channels.create(s, name=name, safety=safety is Safety.on, issued_by=actor(), days=days,
                                        allow_ips=allow_ip or (), note=note)
        audit.append(s, actor(), "test_channel.created", f"test_channel:{row.id}", test_channels.audit_detail(row))
        expires = test_channels.aware(row.expires_at).strftime("%Y-%m-%d %H:%M UTC")
    console.print(f"test channel 测试通道 [bold]{name}[/] ({row.id}) safety 安全策略 [bold]{safety.value}[/], "
                  f"expires 到期 {expires}", soft_wrap=True)
    console.print(f"API key 密钥: [bold]{key}[/]", soft_wrap=True)
    console.print("（密钥仅显示这一次，请通过安全渠道交给监管方 the key is shown only this once: hand it to the "
                  "regulator over a secure channel）", style="yellow", soft_wrap=True)
    if safety is Safety.off:
        console.print("[red]警告：该密钥绕过内容审核（标识与记录仍保留）；泄露即越狱，请设短有效期并限制来源地址。\n"
                      "Warning: this key bypasses moderation (labels and records stay); a leaked key is a "
                      "jailbreak — keep it short-lived and restrict its source addresses (--allow-ip).[/]",
                      soft_wrap=True)


@app.command("list")
def list_channels(config: Optional[Path] = ConfigOpt) -> None:
    """List test channels and their state. / 列出测试通道及其状态。"""
    from hegui.identity import test_channels

    svc = services(config)
    with svc.db.session() as s:
        _note_expired(s)
        rows = test_channels.listing(s)
        table = Table(title="test channels 测试通道")
        for col in ("ID", "名称 Name", "安全策略 Safety", "状态 State", "到期 Expires", "最近使用 Last used",
                    "地址 Allow-IP", "备注 Note"):
            table.add_column(col, overflow="fold")
        for r in rows:
            st = test_channels.state(r)
            last = test_channels.aware(r.last_used_at).strftime("%Y-%m-%d %H:%M") if r.last_used_at else "—"
            table.add_row(r.id, r.name, "on 开" if r.safety else "[red]off 关[/]",
                          {"active": "active 有效", "expired": "expired 已过期", "revoked": "revoked 已吊销"}[st],
                          test_channels.aware(r.expires_at).strftime("%Y-%m-%d %H:%M"), last,
                          ", ".join(r.allow_ips or []) or "any 任意", r.note)
    console.print(table)


@app.command("revoke")
def revoke(channel: str = typer.Argument(..., help="channel id or name / 通道 ID 或名称"),
           config: Optional[Path] = ConfigOpt) -> None:
    """Revoke a test channel and its key now. / 立即吊销测试通道及其密钥。"""
    from hegui.identity import test_channels
    from hegui.records import audit

    svc = services(config)
    with svc.db.session() as s:
        row, _ = test_channels.revoke(s, channel, actor())
        audit.append(s, actor(), "test_channel.revoked", f"test_channel:{row.id}", test_channels.audit_detail(row))
    console.print(f"[green]已吊销 revoked[/] {row.name} ({row.id}); other processes stop accepting its key within "
                  f"throttle.api_key_cache_seconds / 其他进程将在密钥缓存时间内停止接受该密钥", soft_wrap=True)


def register(admin_app: typer.Typer) -> None:
    """``hegui admin test-channel …``"""
    admin_app.add_typer(app, name="test-channel")
