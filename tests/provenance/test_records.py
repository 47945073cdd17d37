"""The provenance store (issue 15): sealed inputs, a per-user hash chain that shows tampering,
iterations, selection and erasure."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from hegui.errors import NotFound
from hegui.identity.crypto import KeyRing
from hegui.provenance.models import ProvenanceRecord
from hegui.provenance.records import ProvenanceEntry, ProvenanceStore, sha256_hex
from hegui.storage.db import Database


@pytest.fixture()
def store(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/p.db")
    db.upgrade()
    yield ProvenanceStore(db, KeyRing(b"k" * 32))
    db.dispose()


def _entry(cid: str, user: str = "u1", parent: str | None = None, **inputs) -> ProvenanceEntry:
    return ProvenanceEntry(content_id=cid, user_id=user, request_id="req-" + cid, endpoint="images.generations",
                           inputs={"prompt": "山水画", "negative_prompt": "文字", "parameters": {"seed": 7}, **inputs},
                           output_sha256=sha256_hex(cid.encode()), model="hegui-demo-image", parent_content_id=parent)


def test_inputs_are_sealed_and_read_back(store):
    row = store.record(_entry("hgc-a"))
    assert b"\xe5\xb1\xb1" not in row.inputs_enc  # "山" is not stored in the clear
    assert store.inputs(store.get("hgc-a"))["negative_prompt"] == "文字"


def test_the_chain_shows_an_altered_or_missing_entry(store):
    for cid, parent in (("hgc-a", None), ("hgc-b", "hgc-a"), ("hgc-c", "hgc-b")):
        store.record(_entry(cid, parent=parent))
    store.record(_entry("hgc-x", user="u2"))
    assert store.verify_chain("u1") == [] and store.verify_chain("u2") == []
    assert [r.content_id for r in store.lineage("hgc-c")] == ["hgc-a", "hgc-b", "hgc-c"]
    with store.db.session() as s:
        s.execute(update(ProvenanceRecord).where(ProvenanceRecord.content_id == "hgc-b").values(model="other"))
        s.commit()
    assert any("altered" in p for p in store.verify_chain("u1"))
    with store.db.session() as s:
        s.query(ProvenanceRecord).filter(ProvenanceRecord.content_id == "hgc-b").delete()
        s.commit()
    problems = store.verify_chain("u1")
    assert any("missing" in p for p in problems) and any("link" in p for p in problems)


def test_selection_and_erasure_keep_the_chain(store):
    store.record(_entry("hgc-a"))
    store.record(_entry("hgc-b"))
    assert store.select("hgc-b", "u1").selected_at is not None
    with pytest.raises(NotFound):
        store.select("hgc-b", "someone-else")
    erased = store.erase("hgc-a", "u1")
    assert erased.deleted_at is not None and store.inputs(erased) is None
    assert store.verify_chain("u1") == []
