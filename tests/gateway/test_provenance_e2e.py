"""Issue 15 "done when", end to end: an image generated through the gateway with a seed and a
negative prompt (and an iteration on it) exports an evidence package that `verify` accepts, that
fails after any byte is changed, and whose image c2pa-python reads."""

from __future__ import annotations

import io
import json
import random
import zipfile

from hegui.gateway.pipeline.provenance import store
from hegui.provenance.package import export
from hegui.provenance.signer import ProviderSigner, make_test_signer
from hegui.provenance.verify import verify
from tests.gateway.conftest import sdk_for


def test_gateway_image_to_a_verified_package(gateway, tmp_path):
    sdk = sdk_for(gateway)
    first = sdk.images.generate(model="hegui-demo-image", prompt="水墨山水", size="64x64", response_format="b64_json",
                                user="demo-user", extra_body={"seed": 7, "negative_prompt": "文字, 水印"})
    parent = first.data[0].model_extra["hegui"]["content_id"]
    second = sdk.images.generate(model="hegui-demo-image", prompt="水墨山水，加一叶小舟", size="64x64",
                                 response_format="b64_json", user="demo-user",
                                 extra_body={"seed": 7, "negative_prompt": "文字, 水印", "hegui_parent": parent,
                                             "hegui_edit": "加一叶小舟"})
    cid = second.data[0].model_extra["hegui"]["content_id"]
    key, chain, ca = make_test_signer("hegui e2e")
    st = store(gateway.services)
    pkg = export(st, cid, outputs_dir=gateway.services.outputs_dir, out=tmp_path / "evidence.zip",
                 signer=ProviderSigner(key, chain))
    report = verify(pkg, trust_pem=ca)
    assert report.valid, report.to_dict()
    with zipfile.ZipFile(pkg) as z:
        records = json.loads(z.read("records.json"))
        media = [n for n in z.namelist() if n.startswith("media/")]
        image = z.read(media[0])
    text = json.dumps(records, ensure_ascii=False)
    assert "文字, 水印" in text and '"seed": 7' in text.replace('"seed":7', '"seed": 7') and parent in text
    import c2pa

    with c2pa.Reader("image/png", io.BytesIO(image)) as r:
        manifest = json.loads(r.json())
    assert manifest["active_manifest"] in manifest["manifests"]
    data = pkg.read_bytes()
    rng = random.Random(15)
    for pos in rng.sample(range(len(data)), 12):
        bad = bytearray(data)
        bad[pos] ^= 0x01
        path = tmp_path / f"bad-{pos}.zip"
        path.write_bytes(bytes(bad))
        rep = verify(path, trust_pem=ca)
        assert not rep.valid and rep.problems, pos
