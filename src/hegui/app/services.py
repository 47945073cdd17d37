"""The composition root: everything a running deployment holds, built once from the settings.

:class:`Services` is the one object the gateway, the console, the cases desk, the obligations
register and the CLI share. :func:`build_services` is the only place that connects the duties:
it builds the enforcement hooks from :mod:`hegui.cases` for the gateway (through the contract in
:mod:`hegui.hooks`) and binds the protections of records at rest to the database
(:func:`hegui.records.protection.protect`). The duty packages below it import neither this
package nor each other's internals at run time (``tests/test_layers.py``); they name
:class:`Services` in annotations only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from hegui.gateway.demo import DemoModel
from hegui.gateway.upstream import HttpUpstream, Upstream, UpstreamRouter
from hegui.hooks import EnforcementHooks
from hegui.identity.agreement import Agreement, current_agreement
from hegui.identity.apps import KeyAuthenticator
from hegui.identity.crypto import KeyRing, load_or_create_secret
from hegui.identity.sms import SmsSender, build_sms_sender
from hegui.identity.users import IdentityService
from hegui.labeling.text import TextLabel, TextLabelPosition
from hegui.likeness.protocols import ProtectedMatcher
from hegui.likeness.registry import LazyMatcher
from hegui.moderation.base import Moderator
from hegui.records.usage import RecordWriter
from hegui.settings import HeguiSettings
from hegui.storage.db import Database
from hegui.throttle.limiter import Throttle

log = logging.getLogger("hegui")


@dataclass
class Services:
    settings: HeguiSettings
    db: Database
    keys: KeyRing
    identity: IdentityService
    agreement: Agreement
    moderator: Moderator
    router: UpstreamRouter
    writer: RecordWriter
    text_label: TextLabel
    authenticator: KeyAuthenticator
    enforcement: EnforcementHooks
    sms: SmsSender
    outputs_dir: Path
    throttle: Throttle
    # protected voices and faces (DS Art 14): compared with every synthesis reference and output
    likeness_matcher: ProtectedMatcher | None = None
    extras: dict = field(default_factory=dict)

    async def aclose(self) -> None:
        await self.router.aclose()
        self.db.dispose()


def build_moderator(settings: HeguiSettings) -> Moderator:
    """The policy engine when installed; the term-list fallback only when explicitly configured."""
    if settings.moderation.engine == "terms":
        from hegui.moderation.simple import TermListModerator

        return TermListModerator({})
    from hegui.moderation.engine import PolicyModerator

    mod = settings.moderation
    return PolicyModerator.load(
        pack_dirs=[Path(p) for p in mod.pack_dirs] or None,
        classifier=("default" if mod.semantic else "fast") if mod.classifier else None,
        holdback=mod.stream_holdback_chars,
        pack_roots=[Path(settings.var_dir) / "packs" / "live"],  # packs activated in the console
    )


class LazyModerator:
    """Builds the configured moderator on first use (CLI commands that never moderate skip it)."""

    def __init__(self, settings: HeguiSettings) -> None:
        self._settings = settings
        self._inner: Moderator | None = None

    @property
    def inner(self) -> Moderator:
        if self._inner is None:
            self._inner = build_moderator(self._settings)
        return self._inner

    def check(self, text, direction, context=None):  # noqa: ANN001, ANN201
        return self.inner.check(text, direction, context)

    def stream(self, direction, context=None):  # noqa: ANN001, ANN201
        return self.inner.stream(direction, context)


def build_enforcement(db: Database, settings: HeguiSettings, keys: KeyRing) -> EnforcementHooks:
    """Sanctions, escalation and the regeneration blocklist from :mod:`hegui.cases`; the demo
    model's answer templates are boilerplate every demo answer shares, never a takedown's match."""
    from hegui.cases.enforcement import build_hooks
    from hegui.gateway.demo import demo_answer

    served = tuple(demo_answer([{"role": "user", "content": q}]) for q in ("", "?")) if settings.demo_model else ()
    return build_hooks(db, settings, keys, boilerplate=served)  # zh and en templates


def protect_records(db: Database, settings: HeguiSettings, keys: KeyRing) -> None:
    """Bind what protects records at rest to ``db``: the keys that seal case PI and anchor the audit
    log (:func:`hegui.records.protection.protect`), and the lifetime of PI export archives from the
    published cases policy, which the retention job applies (PIPL Arts 47, 51)."""
    from hegui.cases.config import load_config
    from hegui.records.protection import protect
    from hegui.records.retention import EXPORT_DAYS_INFO

    protect(db, keys, settings.var_dir)
    db.info[EXPORT_DAYS_INFO] = load_config(settings.var_dir).pi_export_days


def build_services(settings: HeguiSettings, *, upstreams: list[Upstream] | None = None,
                   moderator: Moderator | None = None, sms: SmsSender | None = None,
                   enforcement: EnforcementHooks | None = None, lazy: bool = False) -> Services:
    var = Path(settings.var_dir)
    var.mkdir(parents=True, exist_ok=True)
    db = Database(settings.storage.url, sqlite_synchronous=settings.storage.sqlite_synchronous,
                  pool_size=settings.storage.pool_size)
    keys = KeyRing(load_or_create_secret(settings.security.secret_key, var))
    sms = sms or build_sms_sender(settings)
    if upstreams is None:
        upstreams = [HttpUpstream(u) for u in settings.upstreams]
        if settings.demo_model:
            upstreams.append(DemoModel())
    labels = settings.labels
    protect_records(db, settings, keys)
    throttle = Throttle(db, settings.throttle, keys)
    return Services(
        settings=settings, db=db, keys=keys, identity=IdentityService(settings, keys, sms, throttle=throttle),
        agreement=current_agreement(settings),
        moderator=moderator or (LazyModerator(settings) if lazy else build_moderator(settings)),
        router=UpstreamRouter(upstreams), writer=RecordWriter(db, keys, settings.retention.content_days),
        text_label=TextLabel(labels.text_prefix, labels.text_suffix, TextLabelPosition(labels.text_position)),
        authenticator=KeyAuthenticator(settings.throttle.api_key_cache_seconds),
        enforcement=enforcement or build_enforcement(db, settings, keys),
        sms=sms, outputs_dir=var / "outputs", throttle=throttle, likeness_matcher=LazyMatcher(db, keys),
    )
