"""Bind a deployment's protections of records at rest to its database (PIPL Arts 51, 56; DS Art 10).

One call at start, :func:`protect`, puts into every session of the :class:`~hegui.storage.db.Database`:

- the key ring that seals complaint text, contact and evidence (:mod:`hegui.cases.sealing`);
- the audit log's MAC key and head checkpoint ``<var_dir>/audit-head.json``
  (:mod:`hegui.records.audit_anchor`), plus any external head sinks;

and makes ``var_dir`` a 0700 folder (files below it are 0600: ``hegui`` runs with umask 077).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hegui.fileio import private_dir
from hegui.identity.crypto import KeyRing
from hegui.records import audit
from hegui.records.audit_anchor import CHECKPOINT_FILE, AuditAnchor, Checkpoint, HeadSink
from hegui.storage.db import Database

KEYS_INFO = "hegui.keys"  # Session.info / Database.info key of the KeyRing


def protect(db: Database, keys: KeyRing, var_dir: str | Path, *, sinks: Sequence[HeadSink] = ()) -> AuditAnchor:
    """Bind ``keys`` and the audit anchor to ``db`` (idempotent; later sinks replace earlier)."""
    var = private_dir(var_dir)
    anchor = AuditAnchor(key=audit.chain_key(keys),
                         checkpoint=Checkpoint(var / CHECKPOINT_FILE, audit.checkpoint_key(keys)),
                         sinks=tuple(sinks))
    db.info[KEYS_INFO] = keys
    db.info[audit.ANCHOR_INFO] = anchor
    db.info["hegui.var_dir"] = str(var)
    return anchor


def protect_if_unbound(services: Any) -> None:
    """For a :class:`~hegui.app.services.Services` built without :func:`protect` having run."""
    if audit.ANCHOR_INFO not in services.db.info:
        protect(services.db, services.keys, services.settings.var_dir)
