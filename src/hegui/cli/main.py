"""The ``hegui`` command line. Each command is a thin shell over the Python API."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from hegui.errors import HeguiError

app = typer.Typer(help="hegui 合规 — run a generative-AI service in China within the law.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
audit_app = typer.Typer(help="Audit log / 审计日志", no_args_is_help=True)
db_app = typer.Typer(help="Database / 数据库", no_args_is_help=True)
admin_app = typer.Typer(help="Operators and apps / 管理员与应用", no_args_is_help=True)
records_app = typer.Typer(help="Usage records / 使用记录", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.add_typer(records_app, name="records")
console = Console()
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")


def _services(config: Optional[Path]):  # noqa: ANN202
    from hegui.app import build_services
    from hegui.settings import load_settings

    services = build_services(load_settings(config), lazy=True)
    services.db.upgrade()
    return services


@app.command()
def serve(config: Optional[Path] = ConfigOpt, host: Optional[str] = typer.Option(None),
          port: Optional[int] = typer.Option(None), demo: bool = typer.Option(True, help="serve the demo model"),
          log_level: str = typer.Option("INFO")) -> None:
    """Run the gateway (OpenAI-compatible API, console, public pages). / 启动合规网关。"""
    import uvicorn

    from hegui import logs
    from hegui.app import build_services, create_app
    from hegui.bootstrap import bootstrap
    from hegui.settings import load_settings

    overrides = {"demo_model": demo}
    settings = load_settings(config, **overrides)
    if host:
        settings.server.host = host
    if port:
        settings.server.port = port
    logs.setup(log_level)
    services = build_services(settings)
    services.db.upgrade()
    first = bootstrap(services, demo=demo)
    url = f"http://{settings.server.host}:{settings.server.port}"
    console.print(f"[bold green]hegui gateway 合规网关[/] {url}")
    console.print(f"  OpenAI base_url: {url}/v1", soft_wrap=True)
    console.print(f"  console 控制台: {url}/console    disclosure 公示: {url}/about", soft_wrap=True)
    if first and first.admin_password:
        console.print(f"  admin login 管理员: [bold]{first.admin_user}[/] / [bold]{first.admin_password}[/]",
                      soft_wrap=True)
        console.print("  (密码仅显示这一次，请记下 the password is shown only this once: note it now)",
                      style="yellow", soft_wrap=True)
    elif first:
        console.print(f"  admin login 管理员: [bold]{first.admin_user}[/] (password shown at first start only; "
                      "lost it? hegui admin create NAME / 密码仅在首次启动时显示；遗失请用 hegui admin create 新建)",
                      soft_wrap=True)
    if first:
        if first.api_key:
            console.print(f"  demo API key 演示密钥: [bold]{first.api_key}[/]", soft_wrap=True)
            console.print(f"  demo user 演示用户: {first.demo_user}", soft_wrap=True)
            console.print("  models 模型: hegui-demo-chat, hegui-demo-image, hegui-demo-tts (built-in demo, not a real model / 内置演示模型)",
                          soft_wrap=True)
    if first and first.api_key:
        console.print(f"  (demo API key also in {Path(settings.var_dir) / 'first-run.json'}; the admin password "
                      "is not / 演示密钥另存于该文件，管理员密码不保存)", style="dim", soft_wrap=True)
    uvicorn.run(create_app(services=services, migrate=False), host=settings.server.host, port=settings.server.port,
                log_level=log_level.lower(), access_log=False)


@app.command()
def check(config: Optional[Path] = ConfigOpt, json_out: bool = typer.Option(False, "--json"),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="full bilingual table / 完整双语表格"),
          lang: Optional[str] = typer.Option(None, "--lang", help="zh | en (reasons in the compact view)")) -> None:
    """Print the obligations register with live evidence. / 打印合规义务清单及其证据。"""
    from hegui.cli import check as view
    from hegui.obligations.register import evaluate

    version, rows = evaluate(_services(config))
    if json_out:
        print(view.as_json(rows))
    elif verbose:
        view.verbose(console, version, rows)
    else:
        view.compact(console, version, rows, lang if lang in ("zh", "en") else view.default_lang())


@audit_app.command("verify")
def audit_verify(config: Optional[Path] = ConfigOpt) -> None:
    """Verify the keyed audit chain against its head checkpoint. / 校验审计日志哈希链及头部检查点。"""
    from hegui.records import audit

    services = _services(config)
    with services.db.session() as s:
        r = audit.verify(s)
    cp = f"checkpoint 检查点 seq {r.checkpoint.seq}" if r.checkpoint else "no checkpoint 无检查点"
    if r.ok:
        console.print(f"[green]审计日志完整 audit log OK[/]: {r.entries} entries, head {r.head}, {cp}")
        return
    console.print(f"[red]审计日志被篡改 audit log TAMPERED[/]: {len(r.problems)} problem(s)")
    for p in r.problems[:50]:
        console.print(f"  - {p}", soft_wrap=True)
    raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(config: Optional[Path] = ConfigOpt,
                 yes: bool = typer.Option(False, "--yes", help="confirm after investigating / 调查后确认")) -> None:
    """Re-anchor the head checkpoint to the chain now in the database (after investigating why it
    was missing or off; recorded in the log). / 调查后将头部检查点重新锚定到当前哈希链。"""
    from hegui.records import audit

    if not yes:
        console.print("[yellow]这会接受数据库中现有的审计日志为可信；请先调查 hegui audit verify 的报告，再加 --yes 运行。\n"
                      "This accepts the audit log now in the database as trusted; investigate what "
                      "`hegui audit verify` reports first, then run again with --yes.[/]", soft_wrap=True)
        raise typer.Exit(1)
    services = _services(config)
    with services.db.session() as s:
        head = audit.anchor_existing(s, "cli")
    console.print(f"[green]已锚定 anchored[/]: seq {head.seq} (keyed from seq {head.keyed_from})")


@db_app.command("upgrade")
def db_upgrade(config: Optional[Path] = ConfigOpt) -> None:
    """Apply database migrations; seal complaint text kept in plain text by earlier versions.
    / 执行数据库迁移，并加密旧版本以明文保存的投诉内容。"""
    from hegui.cases import sealing
    from hegui.cases.models import Case

    services = _services(config)
    with services.db.session() as s:
        n = sealing.seal_legacy(s, Case)
    console.print("[green]schema at head / 数据库结构已是最新[/]" + (f" (sealed 已加密 {n} cases)" if n else ""))


@admin_app.command("create")
def admin_create(username: str, role: str = typer.Option("admin"), config: Optional[Path] = ConfigOpt) -> None:
    """Create an operator account (password printed once). / 创建管理员账号。"""
    from hegui.identity import admins
    from hegui.records import audit

    services = _services(config)
    with services.db.session() as s:
        user, pw = admins.create_admin(s, username, None, role)
        audit.append(s, "cli", "operator.created", f"operator:{user.id}", {"role": role})
    console.print(f"{username} ({role}) password 密码: [bold]{pw}[/]")


@admin_app.command("app")
def admin_app_create(name: str, config: Optional[Path] = ConfigOpt) -> None:
    """Create a client app and print a new API key. / 创建应用并签发 API 密钥。"""
    from hegui.identity import apps
    from hegui.records import audit

    services = _services(config)
    with services.db.session() as s:
        a = apps.create_app(s, name)
        key = apps.issue_key(s, a)
        audit.append(s, "cli", "app.key_issued", f"app:{a.id}", {"name": name, "prefix": key[:10]})
    console.print(f"app {a.id} API key: [bold]{key}[/]")


@records_app.command("purge")
def records_purge(config: Optional[Path] = ConfigOpt) -> None:
    """Run the retention job now. / 立即执行保存期限清理。"""
    from hegui.records.retention import purge

    services = _services(config)
    r = purge(services.db, services.settings.retention)
    console.print(f"purged 已清理: content {r.content}, usage {r.usage_records}, failures {r.failure_records}, "
                  f"otp {r.otp_challenges}, PI archives {r.pi_exports}")


@records_app.command("export-training")
def records_export(out: Path, config: Optional[Path] = ConfigOpt) -> None:
    """Export prompts/outputs for training, honouring opt-outs. / 导出训练数据（遵从退出设置）。"""
    from hegui.records.training_export import export_for_training

    services = _services(config)
    n = export_for_training(services.writer, out)
    console.print(f"{n} records → {out}")


def _register_optional() -> None:
    """Commands of other duties, when their modules are present."""
    for module, attr, kind, name in (("hegui.cli.moderation", "moderate", "command", "moderate"),
                                     ("hegui.cli.moderation", "lexicon_app", "typer", "lexicon"),
                                     ("hegui.cli.label", "app", "typer", "label"),
                                     ("hegui.cli.cases", "app", "typer", "cases"),
                                     ("hegui.cli.bank", "app", "typer", "bank"),
                                     ("hegui.cli.assess", "app", "typer", "assess"),
                                     ("hegui.cli.filing", "app", "typer", "filing"),
                                     ("hegui.cli.agreement", "app", "typer", "agreement"),
                                     ("hegui.cli.ops", "app", "typer", "ops"),
                                     ("hegui.cli.corpus", "app", "typer", "corpus"),
                                     ("hegui.cli.annotate", "app", "typer", "annotate"),
                                     ("hegui.cli.optout", "app", "typer", "optout"),
                                     ("hegui.cli.consent", "app", "typer", "consent"),
                                     ("hegui.cli.likeness", "app", "typer", "likeness"),
                                     ("hegui.cli.provenance", "app", "typer", "provenance"),
                                     ("hegui.cli.provenance_search", "works_app", "typer", "works")):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        obj = getattr(mod, attr, None)
        if obj is None:
            continue
        if kind == "command":
            app.command(name)(obj)
        else:
            app.add_typer(obj, name=name)


_register_optional()
importlib.import_module("hegui.cli.test_channel").register(admin_app)


def main() -> None:
    from hegui.fileio import PRIVATE_UMASK

    os.umask(PRIVATE_UMASK)  # everything hegui creates under var/ is 0600 / 0700 (PIPL Art 51)
    try:
        app()
    except HeguiError as exc:
        Console(stderr=True).print(f"[red]错误 error[/] [{exc.code}] {exc.bilingual()}")
        sys.exit(2)


if __name__ == "__main__":
    main()
