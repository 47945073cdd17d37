"""A C2PA manifest in the packaged image (C2PA 2.x; Labeling Measures Art 5 implicit metadata):
``c2pa.actions`` (``c2pa.created`` with digitalSourceType ``trainedAlgorithmicMedia``, one
``c2pa.edited`` per iteration) and ``cn.hegui.provenance`` carrying each iteration's prompt,
negative prompt and parameters — personal information (PIPL Art 4): this copy lives only inside
the evidence package, never in the image served to the public. Signed with the provider certificate.
"""

from __future__ import annotations

import io
import json
from typing import Any

from hegui.provenance.signer import ProviderSigner

ASSERTION = "cn.hegui.provenance"
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
# c2pa reports an untrusted signer when its own trust list lacks the provider's CA; the package's
# trust is checked by hegui.provenance.verify against the operator's anchors instead.
TOLERATED = {"signingCredential.untrusted", "signingCredential.ocsp.skipped"}


def assertion_data(content_id: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The custom assertion, derived from ``records.json`` (so verify can rebuild and compare it).
    No user id: the pseudonymous id stays in records.json."""
    return {"content_id": content_id, "iterations": [
        {"content_id": r["fields"]["content_id"], "model": r["fields"]["model"], "endpoint": r["fields"]["endpoint"],
         "created_at": r["fields"]["created_at"], "inputs_sha256": r["fields"]["inputs_sha256"],
         "output_sha256": r["fields"]["output_sha256"], "inputs": r["inputs"], "selected_at": r["selected_at"]}
        for r in records]}


def manifest_definition(content_id: str, records: list[dict[str, Any]], generator: str) -> dict[str, Any]:
    actions: list[dict[str, Any]] = []
    for i, r in enumerate(records):
        act: dict[str, Any] = {"action": "c2pa.created" if i == 0 else "c2pa.edited", "digitalSourceType": AI_SOURCE,
                               "parameters": {"description": f"iteration {i + 1}: {r['fields']['content_id']}"}}
        actions.append(act)
    return {"claim_generator_info": [{"name": generator, "version": "1"}], "title": f"{content_id}",
            "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}},
                           {"label": ASSERTION, "data": assertion_data(content_id, records)}]}


def embed(data: bytes, mime: str, definition: dict[str, Any], signer: ProviderSigner, *,
          use_tsa: bool = True) -> bytes:
    """``data`` with the manifest embedded and signed (ES256/PS256 with the provider chain)."""
    import c2pa

    info = c2pa.C2paSignerInfo(alg=signer.alg.lower().encode("ascii"), sign_cert=signer.chain_pem,
                               private_key=signer.key_pem,
                               ta_url=signer.tsa_url.encode("utf-8") if use_tsa and signer.tsa_url else None)
    c2signer = c2pa.Signer.from_info(info)
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(definition, ensure_ascii=False)) as b:
        b.sign(c2signer, mime, io.BytesIO(data), out)
    return out.getvalue()


def read(data: bytes, mime: str) -> tuple[list[str], dict[str, Any] | None, dict[str, Any]]:
    """(problems, cn.hegui.provenance data, signature_info) of the active manifest in ``data``."""
    import c2pa

    try:
        with c2pa.Reader(mime, io.BytesIO(data)) as r:
            store = json.loads(r.json())
    except Exception as exc:  # noqa: BLE001 - c2pa raises its own error tree
        return [f"no readable C2PA manifest: {exc}"], None, {}
    problems = [f"{s.get('code')}: {s.get('explanation', '')}" for s in store.get("validation_status") or []
                if s.get("code") not in TOLERATED]
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    found = [a.get("data") for a in active.get("assertions", []) if a.get("label") == ASSERTION]
    if not found:
        problems.append(f"the manifest has no {ASSERTION} assertion")
    return problems, (found[0] if found else None), active.get("signature_info") or {}
