"""Where data goes: localisation and cross-border transfer (PIPL Arts 38–40; Network Data Security
Management Regulation), prompts sent to a third-party upstream (PIPL Art 23), and the filed base
model behind each upstream (Interim Measures Art 7(1)).

Only declared facts are used — nothing is resolved over the network: the database's region is
``storage.region`` (an SQLite file or a PostgreSQL server on a loopback address is on this
server, counted as local), each upstream's is ``upstreams[i].region``; the built-in demo model runs
in-process and is local.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from hegui.obligations.register import Finding, Status

if TYPE_CHECKING:
    from hegui.app.services import Services
    from hegui.settings import HeguiSettings, UpstreamSettings

_CROSS_BORDER_ZH = "须先通过数据出境安全评估、订立标准合同或取得个人信息保护认证，并取得单独同意（《个人信息保护法》第三十八至四十条）"
_CROSS_BORDER_EN = ("a security assessment, the standard contract or a PI-protection certification, and separate consent, "
                    "are required first (PIPL Arts 38–40)")


_ZH = {"storage": "数据存储", "demo model": "演示模型", "local": "本地", "in-process": "进程内",
       "SQLite file on this server": "本机 SQLite 文件"}  # the zh listing's words (codes stay as they are)


def storage_region(settings: HeguiSettings) -> tuple[str, str]:
    """(region, how it was found): the declared ``storage.region``, else 'local' for SQLite or a
    loopback PostgreSQL host, else '' (undeclared)."""
    if settings.storage.region.strip():
        return settings.storage.region.strip().upper(), "storage.region"
    url = make_url(settings.storage.url)
    if url.get_backend_name() == "sqlite":
        return "local", "SQLite file on this server"
    host = (url.host or "").strip("[]")
    if host in ("", "localhost"):
        return "local", f"{url.get_backend_name()} on this server"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return "local", f"{url.get_backend_name()} on this server ({host})"
    except ValueError:
        pass
    return "", f"database host {host} (region not declared: storage.region)"


def localisation_finding(settings: HeguiSettings) -> Finding:
    home = settings.service.jurisdiction.strip().upper()
    places: list[tuple[str, str, str]] = []  # (what, region, how)
    region, how = storage_region(settings)
    places.append(("storage", region, how))
    if settings.demo_model:
        places.append(("demo model", "local", "in-process"))
    for u in settings.upstreams:
        places.append((f"upstream {u.name}", u.region.strip().upper(), "upstreams.region"))
    undeclared = [w for w, r, _ in places if not r]
    outside = [f"{w} ({r})" for w, r, _ in places if r and r not in ("local", home)]
    listing = "; ".join(f"{w}: {r or '?'} ({h})" for w, r, h in places)
    listing_zh = "；".join(f"{_ZH.get(w, w)}：{_ZH.get(r, r) or '?'}（{_ZH.get(h, h)}）" for w, r, h in places)
    if undeclared or outside:
        parts_zh, parts_en = [], []
        if undeclared:
            parts_zh.append(f"未声明所在地区：{', '.join(undeclared)}")
            parts_en.append(f"region not declared: {', '.join(undeclared)}")
        if outside:
            parts_zh.append(f"位于 {home} 境外：{', '.join(outside)}，{_CROSS_BORDER_ZH}")
            parts_en.append(f"outside {home}: {', '.join(outside)}; {_CROSS_BORDER_EN}")
        return Finding(Status.NOT_MET, "；".join(parts_zh) + f"（{listing_zh}）", "; ".join(parts_en) + f" ({listing})")
    return Finding(Status.MET, f"数据存储与处理均声明在 {home} 境内（{listing_zh}）",
                   f"every place data is stored or processed is declared inside {home} ({listing})")


def recipient(u: UpstreamSettings) -> str:
    return (u.recipient or u.base_model_provider).strip()


def third_party_finding(sv: Services) -> Finding:
    """PIPL Art 23: prompts sent to another company are disclosed (named) in the agreement the
    user accepts, and each request's usage record names the model that served it."""
    ups = [u for u in sv.settings.upstreams if u.third_party]
    if not ups:
        return Finding(Status.MET, "没有第三方上游：输入不向其他公司提供", "no third-party upstream: prompts go to no other company")
    text = sv.agreement.zh + "\n" + sv.agreement.en
    unnamed = [u.name for u in ups if not recipient(u)]
    undisclosed = [f"{u.name} ({recipient(u)})" for u in ups if recipient(u) and recipient(u) not in text]
    if unnamed or undisclosed:
        zh, en = [], []
        if unnamed:
            zh.append(f"未配置接收方名称（upstreams.recipient 或 base_model_provider）：{', '.join(unnamed)}")
            en.append(f"no recipient named (upstreams.recipient or base_model_provider): {', '.join(unnamed)}")
        if undisclosed:
            zh.append(f"服务协议版本 {sv.agreement.version} 未载明：{', '.join(undisclosed)}（《个人信息保护法》第二十三条须告知接收方并取得单独同意）")
            en.append(f"agreement version {sv.agreement.version} does not name: {', '.join(undisclosed)} "
                      "(PIPL Art 23: name the recipient and obtain separate consent)")
        return Finding(Status.NOT_MET, "；".join(zh), "; ".join(en))
    from sqlalchemy import func, select

    from hegui.storage.models import UsageRecord

    models = [m for u in ups for m in u.models]
    with sv.db.session() as s:
        n = s.scalar(select(func.count()).select_from(UsageRecord).where(UsageRecord.model.in_(models))) or 0
    names = ", ".join(f"{u.name} → {recipient(u)}" for u in ups)
    return Finding(Status.MET, f"服务协议（版本 {sv.agreement.version}）载明第三方接收方：{names}；使用记录记载每次请求所用模型（已 {n} 次）",
                   f"agreement version {sv.agreement.version} names the third-party recipients: {names}; usage records "
                   f"name the model of each request ({n} so far)")


def base_model_finding(settings: HeguiSettings) -> Finding:
    """Interim Measures Art 7(1): each upstream names its base model, the filer and the filing number."""
    if not settings.upstreams:
        return Finding(Status.NOT_APPLICABLE, "仅使用内置演示模型（非生成式大模型，不适用）；接入上游后须声明其基础模型与备案号",
                       "only the built-in demo model is served (not a foundation model); declare the base model and "
                       "its filing number once an upstream is configured")
    fields = ("base_model", "base_model_provider", "base_model_filing_number")
    missing = [f"{u.name}: {', '.join(f for f in fields if not getattr(u, f).strip())}" for u in settings.upstreams
               if any(not getattr(u, f).strip() for f in fields)]
    if missing:
        return Finding(Status.NOT_MET, f"上游未声明已备案的基础模型：{'; '.join(missing)}",
                       f"upstreams lack their filed base model: {'; '.join(missing)}")
    listing = "; ".join(f"{u.name}: {u.base_model} ({u.base_model_provider}, {u.base_model_filing_number})"
                        for u in settings.upstreams)
    demo_zh = "；另有内置演示模型" if settings.demo_model else ""
    demo_en = "; plus the built-in demo model" if settings.demo_model else ""
    return Finding(Status.MET, f"每个上游均声明已备案的基础模型：{listing}{demo_zh}",
                   f"every upstream declares its filed base model: {listing}{demo_en}")
