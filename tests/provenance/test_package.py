"""Evidence packages (issue 15): export → verify, any changed byte is found and named, the C2PA
manifest in the packaged image carries the creation inputs, a wrong certificate fails."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import zipfile

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from hegui.cli.provenance_package import register
from hegui.errors import ValidationFailed
from hegui.identity.crypto import KeyRing
from hegui.labeling.gateway_image import label_generated_image
from hegui.provenance import c2pa_media, tsa, zipform
from hegui.provenance.package import export
from hegui.provenance.records import ProvenanceEntry, ProvenanceStore, sha256_hex
from hegui.provenance.signer import ProviderSigner, make_test_signer
from hegui.provenance.verify import verify
from hegui.settings import DEMO_PROVIDER_CODE
from hegui.storage.db import Database

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # the test certificates are made now (valid from a day ago)


def _image(color: tuple[int, int, int], cid: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (96, 64), color).save(buf, "PNG")
    return label_generated_image(buf.getvalue(), content_id=cid, producer_code=DEMO_PROVIDER_CODE, watermark=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("prov")
    db = Database(f"sqlite:///{root}/p.db")
    db.upgrade()
    store = ProvenanceStore(db, KeyRing(b"k" * 32))
    outputs = root / "outputs"
    outputs.mkdir()
    store.record(ProvenanceEntry(content_id="hgc-other", user_id="u1", request_id="r0", endpoint="chat.completions",
                                 inputs={"messages": [{"role": "user", "content": "hi"}]}, output_sha256="0" * 64))
    parent = None
    for i, (cid, color) in enumerate((("hgc-a", (200, 30, 30)), ("hgc-b", (30, 200, 30)))):
        data = _image(color, cid)
        (outputs / f"{cid}.png").write_bytes(data)
        store.record(ProvenanceEntry(
            content_id=cid, user_id="u1", request_id=f"req-{cid}", endpoint="images.generations",
            inputs={"prompt": "水墨山水，远山近水", "negative_prompt": "文字, 水印",
                    "parameters": {"seed": 7 + i, "steps": 30, "size": "96x64"}, **({"edit": "更多云雾"} if i else {})},
            output_sha256=sha256_hex(data), model="hegui-demo-image", parent_content_id=parent))
        parent = cid
    store.select("hgc-b", "u1")
    key, chain, ca = make_test_signer("hegui test")
    signer = ProviderSigner(key, chain)
    pkg = export(store, "hgc-b", outputs_dir=outputs, out=root / "hgc-b.zip", signer=signer,
                 provider="示例公司 demo", now=NOW)
    yield {"root": root, "store": store, "outputs": outputs, "signer": signer, "ca": ca, "pkg": pkg,
           "data": pkg.read_bytes()}
    db.dispose()


def _write(tmp_path, data: bytes, name: str = "x.zip"):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_export_verifies_and_holds_the_lineage(world):
    rep = verify(world["pkg"], trust_pem=world["ca"])
    assert rep.valid, rep.problems
    assert rep.anchored and {"zip", "manifest", "certificate", "files", "records", "chain", "c2pa"} <= set(rep.checks)
    assert os.stat(world["pkg"]).st_mode & 0o777 == 0o600
    with zipfile.ZipFile(world["pkg"]) as z:
        names = z.namelist()
        recs = json.loads(z.read("records.json"))["records"]
        assert z.read("summary.pdf").startswith(b"%PDF")
    assert names == sorted(names)
    assert {"outputs/hgc-a.png", "outputs/hgc-b.png", "media/hgc-b.c2pa.png", "chain.json", "hashes.sha256",
            "manifest.json", "manifest.sig", "signer.pem"} <= set(names)
    assert [r["fields"]["content_id"] for r in recs] == ["hgc-a", "hgc-b"]  # not hgc-other: another lineage
    assert recs[1]["inputs"]["edit"] == "更多云雾" and recs[1]["selected_at"] and recs[0]["selected_at"] is None


def test_the_packaged_image_carries_a_c2pa_manifest_with_the_inputs(world):
    import c2pa

    with zipfile.ZipFile(world["pkg"]) as z:
        img = z.read("media/hgc-b.c2pa.png")
    with c2pa.Reader("image/png", io.BytesIO(img)) as r:
        store = json.loads(r.json())
    active = store["manifests"][store["active_manifest"]]
    by_label = {a["label"]: a["data"] for a in active["assertions"]}
    its = by_label[c2pa_media.ASSERTION]["iterations"]
    assert [i["inputs"]["negative_prompt"] for i in its] == ["文字, 水印", "文字, 水印"]
    assert its[0]["inputs"]["prompt"] == "水墨山水，远山近水" and "user_id" not in json.dumps(by_label)
    actions = next(v for k, v in by_label.items() if k.startswith("c2pa.actions"))["actions"]
    assert [a["action"] for a in actions] == ["c2pa.created", "c2pa.edited"]
    assert all(a["digitalSourceType"].endswith("trainedAlgorithmicMedia") for a in actions)


def _member_spans(data: bytes) -> dict[str, tuple[int, int]]:
    spans = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
            spans[info.filename] = (start, start + info.compress_size)
    return spans


def test_any_flipped_byte_is_found_and_named(world, tmp_path):
    data = world["data"]
    rng = random.Random(15)
    positions = {rng.randrange(len(data)) for _ in range(20)} | {0, len(data) - 1, len(data) - 10}
    for name, (a, b) in _member_spans(data).items():
        positions |= {a, b - 1, rng.randrange(a, b)}  # inside every member, its first and last byte
    assert len(positions) >= 50
    for pos in sorted(positions):
        bad = bytearray(data)
        bad[pos] ^= 0x01
        rep = verify(_write(tmp_path, bytes(bad)), trust_pem=world["ca"])
        assert not rep.valid, f"flip at {pos} ({zipform.locate(data, pos)}) not found"
        assert all(check and what for check, what in rep.problems)


def _rezip(data: bytes, **changes: bytes) -> bytes:
    members, problems = zipform.read(data)
    assert not problems
    members.update({k.replace("__", "/").replace("_dot_", "."): v for k, v in changes.items()})
    return zipform.build(members)


def test_a_changed_record_in_a_valid_zip_is_named(world, tmp_path):
    members, _ = zipform.read(world["data"])
    raw = members["records.json"].replace("远山".encode(), "近山".encode(), 1)
    rep = verify(_write(tmp_path, _rezip(world["data"], records_dot_json=raw)))
    assert not rep.valid
    assert ("files", "records.json: SHA-256 differs from the signed manifest (file altered)") in rep.problems
    assert any(c == "records" and "hgc-a" in w for c, w in rep.problems)  # the inputs no longer match their hash
    # one byte flipped in the middle of records.json, still a well-formed archive
    flipped = bytearray(members["records.json"])
    flipped[len(flipped) // 2] ^= 0x20
    rep = verify(_write(tmp_path, _rezip(world["data"], records_dot_json=bytes(flipped))))
    assert any(c == "files" and w.startswith("records.json") for c, w in rep.problems)


def test_a_wrong_certificate_fails(world, tmp_path):
    other_key, other_chain, other_ca = make_test_signer("impostor")
    rep = verify(_write(tmp_path, _rezip(world["data"], signer_dot_pem=other_chain)))
    assert any(c == "manifest" for c, _ in rep.problems) and not rep.valid
    rep = verify(world["pkg"], trust_pem=other_ca)  # the verifier trusts another CA
    assert any(c == "certificate" and "trusted root" in w for c, w in rep.problems)
    # re-signed end to end by an impostor: internally consistent, but not anchored in the provider's CA
    forged = export(world["store"], "hgc-b", outputs_dir=world["outputs"], out=tmp_path / "forged.zip",
                    signer=ProviderSigner(other_key, other_chain), now=NOW)
    assert verify(forged).valid and not verify(forged, trust_pem=world["ca"]).valid


def test_erased_inputs_and_time_stamp_stub(world, tmp_path):
    key, chain, ca = make_test_signer("ts")
    seen = []

    def granted(url: str, body: bytes) -> bytes:
        seen.append((url, body))
        return bytes.fromhex("3008") + bytes.fromhex("3003020100") + bytes.fromhex("0401ff")

    signer = ProviderSigner(key, chain, tsa_url="http://tsa.invalid/rfc3161")
    pkg = export(world["store"], "hgc-a", outputs_dir=world["outputs"], out=tmp_path / "a.zip", signer=signer, now=NOW,
                 tsa_post=granted)
    req = seen[0][1]
    assert req[:2] == b"\x30" + bytes([len(req) - 2]) and tsa.SHA256_OID in req and req.endswith(b"\x01\x01\xff")
    rep = verify(pkg, trust_pem=ca)
    assert rep.valid, rep.problems
    assert "timestamp" in rep.checks and any("not validated" in n for n in rep.notes)

    def refused(url: str, body: bytes) -> bytes:
        return bytes.fromhex("3005") + bytes.fromhex("3003020102")

    with pytest.raises(ValidationFailed):
        export(world["store"], "hgc-a", outputs_dir=world["outputs"], out=tmp_path / "r.zip", signer=signer,
               tsa_post=refused)
    assert not (tmp_path / "r.zip").exists()


def test_cli_init_signer_and_verify_exit_codes(world, tmp_path):
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    res = runner.invoke(app, ["init-signer", "--out", str(tmp_path / "signer")])
    assert res.exit_code == 0 and (tmp_path / "signer" / "signer.key").stat().st_mode & 0o777 == 0o600
    ProviderSigner.load(tmp_path / "signer" / "signer.key", tmp_path / "signer" / "signer.pem")
    res = runner.invoke(app, ["verify", str(world["pkg"])])
    assert res.exit_code == 0, res.output
    bad = bytearray(world["data"])
    bad[len(bad) // 3] ^= 0xFF
    res = runner.invoke(app, ["verify", str(_write(tmp_path, bytes(bad)))])
    assert res.exit_code == 1 and "INVALID" in res.output


def _reseal(members: dict[str, bytes], signer: ProviderSigner) -> bytes:
    """What an insider holding the key could do: re-hash and re-sign the manifest over changed files."""
    from hegui.provenance.package import json_bytes

    body = {n: b for n, b in members.items() if n not in ("manifest.json", "manifest.sig", "hashes.sha256")}
    body["hashes.sha256"] = "".join(f"{sha256_hex(b)}  {n}\n" for n, b in sorted(body.items())).encode()
    man = json.loads(members["manifest.json"])
    man["files"] = [{"name": n, "sha256": sha256_hex(b), "size": len(b)} for n, b in sorted(body.items())]
    body["manifest.json"] = json_bytes(man)
    body["manifest.sig"] = signer.sign(body["manifest.json"])
    return zipform.build(body)


def test_c2pa_assertion_must_match_the_records(world, tmp_path):
    members, _ = zipform.read(world["data"])
    assert verify(_write(tmp_path, _reseal(dict(members), world["signer"]))).valid  # the helper itself is sound
    recs = json.loads(members["records.json"])["records"]
    recs[0]["inputs"] = dict(recs[0]["inputs"], prompt="另一个提示词")
    definition = c2pa_media.manifest_definition("hgc-b", recs, "hegui")
    members["media/hgc-b.c2pa.png"] = c2pa_media.embed(members["outputs/hgc-b.png"], "image/png", definition,
                                                       world["signer"])
    rep = verify(_write(tmp_path, _reseal(members, world["signer"])))
    assert rep.problems == [("c2pa", "media/hgc-b.c2pa.png: cn.hegui.provenance assertion differs from records.json")]
    members2, _ = zipform.read(world["data"])
    img = bytearray(members2["media/hgc-b.c2pa.png"])
    img[img.find(b"IDAT") + 30] ^= 0x01  # the pixels change under a valid manifest
    members2["media/hgc-b.c2pa.png"] = bytes(img)
    rep = verify(_write(tmp_path, _reseal(members2, world["signer"])))
    assert any(c == "c2pa" and "dataHash.mismatch" in w for c, w in rep.problems), rep.problems


def test_malformed_content_fails_closed_and_a_compressed_member_is_not_inflated(world, tmp_path):
    members, _ = zipform.read(world["data"])
    members["records.json"] = b'{"format": "x", "content_id": "hgc-b", "records": [{"fields": 5}]}'
    rep = verify(_write(tmp_path, _reseal(members, world["signer"])))
    assert not rep.valid and any(c == "records" for c, _ in rep.problems)
    members, _ = zipform.read(world["data"])
    members["manifest.json"] = b'{"format": "hegui-provenance-package/1", "signer": 7, "files": 3}'
    assert not verify(_write(tmp_path, zipform.build(members))).valid
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", b"0" * 10_000_000)
    rep = verify(_write(tmp_path, buf.getvalue()))
    assert ("zip", "manifest.json: compressed in the archive (a package stores its files)") in rep.problems


def test_the_packaged_image_must_show_the_recorded_output(world, tmp_path):
    members, _ = zipform.read(world["data"])
    recs = json.loads(members["records.json"])["records"]
    other = members["outputs/hgc-a.png"]  # a validly signed C2PA image, but of another iteration's pixels
    members["media/hgc-b.c2pa.png"] = c2pa_media.embed(other, "image/png", c2pa_media.manifest_definition(
        "hgc-b", recs, "hegui"), world["signer"])
    rep = verify(_write(tmp_path, _reseal(members, world["signer"])))
    assert rep.problems == [("c2pa", "media/hgc-b.c2pa.png: image differs from outputs/hgc-b.png (the recorded output)")]


def test_erased_inputs_and_an_rsa_signer(world, tmp_path):
    store = world["store"]
    data = _image((10, 10, 220), "hgc-e")
    (world["outputs"] / "hgc-e.png").write_bytes(data)
    store.record(ProvenanceEntry(content_id="hgc-e", user_id="u2", request_id="req-e", endpoint="images.generations",
                                 inputs={"prompt": "私人内容"}, output_sha256=sha256_hex(data), model="m"))
    store.erase("hgc-e", "u2")
    key, chain, ca = make_test_signer("rsa", rsa_bits=2048)
    pkg = export(store, "hgc-e", outputs_dir=world["outputs"], out=tmp_path / "e.zip",
                 signer=ProviderSigner(key, chain), now=NOW)
    rep = verify(pkg, trust_pem=ca)
    assert rep.valid, rep.problems
    with zipfile.ZipFile(pkg) as z:
        assert "私人内容".encode() not in z.read("records.json") and json.loads(z.read("manifest.json"))["signer"]["alg"] == "PS256"
        rec = json.loads(z.read("records.json"))["records"][0]
    assert rec["inputs"] is None and rec["inputs_erased_at"]


def test_export_refuses_an_altered_stored_output(world, tmp_path):
    outputs = tmp_path / "outs"
    outputs.mkdir()
    for f in world["outputs"].iterdir():
        (outputs / f.name).write_bytes(f.read_bytes())
    (outputs / "hgc-a.png").write_bytes(_image((1, 2, 3), "hgc-a"))
    with pytest.raises(ValidationFailed, match="hgc-a.png"):
        export(world["store"], "hgc-b", outputs_dir=outputs, out=tmp_path / "z.zip", signer=world["signer"])
    assert not (tmp_path / "z.zip").exists()


def test_export_refuses_a_broken_chain(world, tmp_path):
    from sqlalchemy import update

    from hegui.provenance.models import ProvenanceRecord

    store = world["store"]
    store.record(ProvenanceEntry(content_id="hgc-u3", user_id="u3", request_id="r", endpoint="chat.completions",
                                 inputs={"messages": []}, output_sha256="1" * 64, model="m1"))
    with store.db.session() as s:
        s.execute(update(ProvenanceRecord).where(ProvenanceRecord.content_id == "hgc-u3").values(model="m2"))
        s.commit()
    with pytest.raises(ValidationFailed, match="chain"):
        export(store, "hgc-u3", outputs_dir=world["outputs"], out=tmp_path / "c.zip", signer=world["signer"])


def test_cli_export_reads_the_signer_from_settings(tmp_path):
    from hegui.app import build_services
    from hegui.provenance.signer import init_signer
    from hegui.settings import load_settings

    paths = init_signer(tmp_path / "sig")
    cfg = tmp_path / "hegui.toml"
    cfg.write_text(f'var_dir = "{tmp_path}/var"\n[storage]\nurl = "sqlite:///{tmp_path}/h.db"\n[provenance]\nsigning_key = "{paths["key"]}"\n'
                   f'signing_cert = "{paths["cert"]}"\ntrust_anchors = "{paths["ca"]}"\n', encoding="utf-8")
    sv = build_services(load_settings(cfg), lazy=True)
    sv.db.upgrade()
    data = _image((90, 90, 0), "hgc-cli")
    sv.outputs_dir.mkdir(parents=True, exist_ok=True)
    (sv.outputs_dir / "hgc-cli.png").write_bytes(data)
    ProvenanceStore(sv.db, sv.keys).record(ProvenanceEntry(
        content_id="hgc-cli", user_id="u", request_id="r", endpoint="images.generations",
        inputs={"prompt": "一只猫"}, output_sha256=sha256_hex(data), model="m"))
    sv.db.dispose()
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    res = runner.invoke(app, ["export", "hgc-cli", "--out", str(tmp_path / "p.zip"), "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["verify", str(tmp_path / "p.zip"), "-c", str(cfg), "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["anchored"] is True
    res = runner.invoke(app, ["export", "hgc-none", "--out", str(tmp_path / "n.zip"), "-c", str(cfg)])
    assert res.exit_code == 2 and "hgc-none" in res.output
