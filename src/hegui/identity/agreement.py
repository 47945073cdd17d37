"""Versioned zh/en service agreements (Interim Measures Art 9; Labeling Measures Art 8).

An agreement version is a folder ``<version>/`` holding ``zh.md`` and ``en.md``; the newest
version (sorted by name) is current. Texts are templates filled from the service profile; the
hash of the rendered texts is stored with each acceptance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hegui.errors import ConfigError
from hegui.settings import HeguiSettings


@dataclass(frozen=True, slots=True)
class Agreement:
    version: str
    zh: str
    en: str

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(f"{self.version}\n{self.zh}\n{self.en}".encode()).hexdigest()

    def text(self, lang: str) -> str:
        return self.zh if lang.startswith("zh") else self.en


def _root(settings: HeguiSettings) -> Path:
    if settings.agreement.directory:
        return Path(settings.agreement.directory)
    return Path(str(resources.files("hegui") / "data" / "agreement"))


def current_agreement(settings: HeguiSettings) -> Agreement:
    root = _root(settings)
    versions = sorted(p for p in root.iterdir() if (p / "zh.md").exists() and (p / "en.md").exists()) \
        if root.is_dir() else []
    if not versions:
        raise ConfigError(message_en=f"no service agreement (zh.md + en.md) found under {root}",
                          message_zh=f"在 {root} 下找不到服务协议（zh.md 与 en.md）")
    latest = versions[-1]
    svc = settings.service
    fields = {"service_name": svc.service_name, "provider_name": svc.provider_name,
              "filing_number": svc.filing_number or "（未填写 not set）",
              "population": "、".join(svc.population), "occasions": "、".join(svc.occasions),
              "purposes": "、".join(svc.purposes)}
    zh = (latest / "zh.md").read_text(encoding="utf-8")
    en = (latest / "en.md").read_text(encoding="utf-8")
    for key, value in fields.items():
        zh = zh.replace("{" + key + "}", value)
        en = en.replace("{" + key + "}", value)
    return Agreement(latest.name, zh, en)
