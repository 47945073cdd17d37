"""``hegui provenance export|verify|init-signer`` — evidence packages of generated outputs
(:mod:`hegui.provenance.package`; issue 15). Hooked with :func:`register` onto the
``provenance`` Typer app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from hegui.errors import HeguiError

err = Console(stderr=True)
out = Console()
CONFIG_OPT = typer.Option(None, "--config", "-c", help="hegui.toml")


def _fail(exc: HeguiError) -> None:
    err.print(f"[red]错误 error[/] [{exc.code}] {exc.bilingual()}")
    raise typer.Exit(2) from exc


def export_cmd(content_id: str = typer.Argument(..., help="content id / 内容标识"),
               dest: Path = typer.Option(..., "--out", "-o", help="package file (.zip) / 证据包文件"),
               config: Optional[Path] = CONFIG_OPT) -> None:
    """Export the signed evidence package of one output. / 导出某一生成内容的签名证据包。"""
    from hegui.app import build_services
    from hegui.errors import ValidationFailed
    from hegui.provenance.package import export
    from hegui.provenance.records import ProvenanceStore
    from hegui.provenance.signer import ProviderSigner
    from hegui.settings import load_settings

    try:
        settings = load_settings(config)
        cfg = settings.provenance
        if not (cfg.signing_key and cfg.signing_cert):
            raise ValidationFailed(
                message_en="set provenance.signing_key and provenance.signing_cert (dev: hegui provenance init-signer)",
                message_zh="请配置 provenance.signing_key 与 provenance.signing_cert（开发用：hegui provenance init-signer）")
        signer = ProviderSigner.load(cfg.signing_key, cfg.signing_cert, cfg.tsa_url)
        services = build_services(settings, lazy=True)
        services.db.upgrade()
        path = export(ProvenanceStore(services.db, services.keys), content_id, outputs_dir=services.outputs_dir,
                      out=dest, signer=signer, provider=settings.service.provider_name or "")
    except HeguiError as exc:
        _fail(exc)
    out.print(f"exported 已导出 {path}")


def verify_cmd(package: Path = typer.Argument(..., exists=True, dir_okay=False, help="package .zip / 证据包"),
               trust: Optional[Path] = typer.Option(None, "--trust", help="trusted CA certificate(s) PEM / 受信任根证书"),
               as_json: bool = typer.Option(False, "--json"), config: Optional[Path] = CONFIG_OPT) -> None:
    """Verify a package; exit 0 valid, 1 invalid. / 核验证据包：有效退出码 0，无效 1。"""
    from hegui.provenance.verify import verify
    from hegui.settings import load_settings

    try:
        anchors = trust or (Path(a) if (a := load_settings(config).provenance.trust_anchors) else None)
        rep = verify(package, trust_pem=anchors.read_bytes() if anchors else None)
    except HeguiError as exc:
        _fail(exc)
    except OSError as exc:
        err.print(f"[red]错误 error[/] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        out.print_json(json.dumps(rep.to_dict(), ensure_ascii=False))
    else:
        out.print(f"{'有效 VALID' if rep.valid else '无效 INVALID'}: {package} ({rep.content_id or '?'})")
        out.print("checks 检查项: " + ", ".join(rep.checks))
        for check, what in rep.problems:
            out.print(f"  [red]✗ {check}[/]: {what}", markup=True, highlight=False)
        for note in rep.notes:
            out.print(f"  note 说明: {note}", highlight=False)
    raise typer.Exit(0 if rep.valid else 1)


def init_signer_cmd(dest: Path = typer.Option(..., "--out", "-o", help="folder / 目录"),
                    org: str = typer.Option("hegui dev", "--org", help="organisation in the certificate")) -> None:
    """Make a DEVELOPMENT key + certificate from a self-made CA (production: the provider's real
    certificate). / 生成开发用签名密钥与自建 CA 证书（生产环境请使用服务提供者的正式证书）。"""
    from hegui.provenance.signer import init_signer

    paths = init_signer(dest, org)
    out.print(f"signing_key = \"{paths['key']}\"\nsigning_cert = \"{paths['cert']}\"\n"
              f"trust_anchors = \"{paths['ca']}\"  # dev CA — not for production / 仅供开发")


def register(app: typer.Typer) -> None:
    """Add ``export``, ``verify`` and ``init-signer`` to ``app`` (the ``provenance`` group)."""
    app.command("export")(export_cmd)
    app.command("verify")(verify_cmd)
    app.command("init-signer")(init_signer_cmd)
