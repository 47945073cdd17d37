"""Provenance records captured by the gateway (issue 15; *Li v. Liu*, 2023): every generation that
leaves — chat (whole and streamed), images (one record per image), speech — has a sealed,
hash-chained record of its inputs whose output hash is that of the bytes delivered; image
parameters come through the official ``openai`` client's ``extra_body``, are validated, honoured by
the demo model and moderated (the negative prompt and the edit too); iterations name their parent,
which must be the same user's; the user lists, selects, erases and chooses how long to keep."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import shutil

import httpx
import openai
import pytest
from sqlalchemy import select

from hegui.gateway.demo import DemoModel
from hegui.gateway.pipeline.provenance import store
from hegui.gateway.upstream import HttpUpstream
from hegui.provenance.records import ProvenanceStore
from hegui.settings import UpstreamSettings
from hegui.storage.models import UsageRecord
from tests.gateway.conftest import sdk_for

EXTRA = {"seed": 42, "negative_prompt": "低质量, blurry", "steps": 20, "guidance": 6.5}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image(gw, user: str = "demo-user", **kw):  # noqa: ANN001, ANN201
    body = {"prompt": "江南水乡，水墨", "user": user, "size": "64x64", "response_format": "b64_json", **kw}
    return gw.post("/v1/images/generations", body)


def test_an_image_with_seed_and_negative_prompt_through_the_sdk_is_recorded(gateway):
    sdk = sdk_for(gateway)
    resp = sdk.images.generate(model="hegui-demo-image", prompt="江南水乡，水墨", size="64x64", n=2,
                               response_format="b64_json", user="demo-user", extra_body=EXTRA)
    delivered = [base64.b64decode(d.b64_json) for d in resp.data]
    ids = [d.model_extra["hegui"]["content_id"] for d in resp.data]
    assert ids[1] == ids[0] + ".1"
    st = store(gateway.services)
    for i, (cid, png) in enumerate(zip(ids, delivered)):
        row = st.get(cid)
        assert row.output_sha256 == sha(png) and row.endpoint == "images.generations"
        assert row.model == "hegui-demo-image" and row.upstream == "demo"
        inputs = st.inputs(row)
        assert inputs["prompt"] == "江南水乡，水墨" and inputs["negative_prompt"] == "低质量, blurry"
        assert inputs["parameters"] == {"seed": 42, "steps": 20, "guidance": 6.5, "size": "64x64", "n": 2,
                                        "response_format": "b64_json"}
        assert inputs["index"] == i
    assert st.verify_chain(row.user_id) == []
    assert b"\xe6\xb0\xb4" not in row.inputs_enc  # "水" sealed, not in the clear


def test_a_url_image_hash_is_that_of_the_file_served(gateway):
    r = image(gateway, response_format="url", seed=3)
    assert r.status_code == 200, r.text
    cid = r.json()["data"][0]["hegui"]["content_id"]
    served = gateway.client.get(f"/v1/outputs/{cid}.png")
    assert served.status_code == 200 and store(gateway.services).get(cid).output_sha256 == sha(served.content)


def _render(**kw) -> bytes:
    body = {"prompt": "a red kite", "size": "64x64", **kw}
    return asyncio.run(DemoModel().images(body))[0]


def test_the_demo_model_honours_seed_negative_prompt_steps_and_guidance():
    base = _render(seed=7)
    assert _render(seed=7) == base  # same seed, same prompt: the same bytes
    variants = [_render(seed=8), _render(seed=7, negative_prompt="red"), _render(seed=7, steps=4),
                _render(seed=7, guidance=1.0), _render()]
    assert len({sha(v) for v in [base, *variants]}) == 6  # each parameter changes the picture
    assert _render(seed=7, negative_prompt="red", steps=4) == _render(seed=7, negative_prompt="red", steps=4)
    from PIL import Image
    import io
    import numpy as np

    a = np.asarray(Image.open(io.BytesIO(base)), dtype=float)
    for v in variants[1:4]:  # visibly: a mean pixel change of more than 2 levels
        assert np.abs(a - np.asarray(Image.open(io.BytesIO(v)), dtype=float)).mean() > 2


def test_image_parameters_are_forwarded_to_an_http_upstream(gateway_factory):
    seen: list[dict] = []
    png = _render(seed=1)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json={"data": [{"b64_json": base64.b64encode(png).decode()}]})

    cfg = UpstreamSettings(name="img-up", base_url="http://upstream.test/v1", models=["real-image"], retries=0)
    gw = gateway_factory(upstreams=[HttpUpstream(cfg, transport=httpx.MockTransport(handler))])
    r = image(gw, model="real-image", hegui_parent=None, **EXTRA)
    assert r.status_code == 200, r.text
    assert {k: seen[0][k] for k in EXTRA} == EXTRA and "user" not in seen[0]
    assert store(gw.services).get(r.json()["hegui"]["content_id"]).upstream == "img-up"


@pytest.mark.parametrize("field,value,word", [("seed", -1, "seed"), ("seed", "42", "seed"), ("steps", 0, "steps"),
                                              ("steps", 2.5, "steps"), ("guidance", 1000, "guidance"),
                                              ("guidance", True, "guidance"), ("negative_prompt", 5, "negative_prompt"),
                                              ("n", 11, "n"), ("hegui_parent", "nope", "hegui_parent"),
                                              ("hegui_edit", "no parent", "hegui_edit")])
def test_bad_image_parameters_are_400s_in_zh_and_en(gateway, field, value, word):
    r = image(gateway, **{field: value})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert word in err["message_en"] and word in err["message_zh"] and "输入无效" in err["message_zh"]


def test_a_harmful_negative_prompt_is_refused_and_not_recorded(gateway):
    sdk = sdk_for(gateway)
    with pytest.raises(openai.BadRequestError) as e:
        sdk.images.generate(model="hegui-demo-image", prompt="一只猫", size="64x64", user="demo-user",
                            extra_body={"negative_prompt": "制作炸弹"})
    assert e.value.status_code == 400 and "CONTENT_REFUSED" in str(e.value.body)
    assert store(gateway.services).count() == 0


def test_chat_whole_and_streamed_and_speech_are_recorded(gateway):
    r = gateway.chat("写一首关于秋天的诗", temperature=0.3, max_tokens=200)
    assert r.status_code == 200, r.text
    st = store(gateway.services)
    row = st.get(r.json()["id"])
    assert row.output_sha256 == sha(r.json()["choices"][0]["message"]["content"].encode())
    inputs = st.inputs(row)
    assert inputs["messages"] == [{"role": "user", "content": "写一首关于秋天的诗"}]
    assert inputs["parameters"] == {"temperature": 0.3, "max_tokens": 200, "stream": False}

    sdk = sdk_for(gateway)
    chunks = list(sdk.chat.completions.create(model="hegui-demo-chat", stream=True, user="demo-user", top_p=0.5,
                                              messages=[{"role": "user", "content": "stream please"}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    srow = st.get(chunks[0].id)
    assert srow.output_sha256 == sha(text.encode()) and st.inputs(srow)["parameters"] == {"top_p": 0.5, "stream": True}

    if shutil.which("espeak-ng") and shutil.which("ffmpeg"):
        a = gateway.post("/v1/audio/speech", {"model": "hegui-demo-tts", "input": "你好", "voice": "alloy",
                                               "user": "demo-user", "speed": 1.25, "response_format": "wav"})
        assert a.status_code == 200, a.text
        arow = st.get(a.headers["X-Hegui-Content-Id"])
        assert arow.output_sha256 == sha(a.content) and arow.endpoint == "audio.speech"
        assert st.inputs(arow) == {"input": "你好", "instructions": None,
                                   "parameters": {"voice": "alloy", "speed": 1.25, "response_format": "wav"}}
    assert st.verify_chain(row.user_id) == []


def test_a_refused_chat_is_not_recorded(gateway):
    r = gateway.chat("请教我制作炸弹")
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "content_filter"
    assert store(gateway.services).count() == 0


def test_iterations_chain_to_the_parent_with_the_edit(gateway):
    first = image(gateway, seed=1).json()["hegui"]["content_id"]
    r = image(gateway, seed=1, hegui_parent=first, hegui_edit="颜色更暖，去掉小船")
    assert r.status_code == 200, r.text
    second = r.json()["hegui"]["content_id"]
    st = store(gateway.services)
    assert st.get(second).parent_content_id == first and st.inputs(st.get(second))["edit"] == "颜色更暖，去掉小船"
    third = gateway.chat("描述这幅画", hegui_parent=second, hegui_edit="改成文字描述").json()["id"]
    assert [x.content_id for x in st.lineage(third)] == [first, second, third]
    harmful = image(gateway, hegui_parent=first, hegui_edit="加上制作炸弹的步骤")
    assert harmful.status_code == 400 and harmful.json()["error"]["code"] == "CONTENT_REFUSED"


def test_another_users_output_is_not_a_parent(gateway):
    gateway.verified_user("other-user")
    theirs = image(gateway, user="other-user").json()["hegui"]["content_id"]
    for parent in (theirs, "hgc-" + "0" * 32):
        r = image(gateway, hegui_parent=parent)
        assert r.status_code == 400, r.text
        err = r.json()["error"]
        assert err["code"] == "PROVENANCE_PARENT_INVALID" and parent in err["message_en"] and parent in err["message_zh"]
    r = gateway.chat("hi", hegui_parent=theirs)
    assert r.status_code == 400 and r.json()["error"]["code"] == "PROVENANCE_PARENT_INVALID"


def test_the_user_lists_selects_erases_and_keeps(gateway):
    a = image(gateway, seed=1).json()["hegui"]["content_id"]
    b = image(gateway, seed=2, hegui_parent=a, hegui_edit="更亮").json()["hegui"]["content_id"]
    c = gateway.client
    h = gateway.headers
    listed = c.get("/v1/hegui/provenance", params={"user": "demo-user"}, headers=h).json()["records"]
    assert [x["content_id"] for x in listed] == [a, b] and "inputs" not in listed[0]
    one = c.get(f"/v1/hegui/provenance/{b}", params={"user": "demo-user"}, headers=h).json()
    assert one["inputs"]["edit"] == "更亮" and [x["content_id"] for x in one["lineage"]] == [a, b]
    sel = c.post(f"/v1/hegui/provenance/{b}/select", json={"user": "demo-user"}, headers=h)
    assert sel.status_code == 200 and sel.json()["selected_at"]
    kept = c.put("/v1/hegui/provenance/keep", json={"user": "demo-user", "days": 365}, headers=h)
    assert kept.status_code == 200 and kept.json()["records"] == 2
    assert c.put("/v1/hegui/provenance/keep", json={"user": "demo-user", "days": 0}, headers=h).status_code == 400
    gone = c.delete(f"/v1/hegui/provenance/{a}", params={"user": "demo-user"}, headers=h)
    assert gone.status_code == 200 and gone.json()["erased_at"]
    again = c.get(f"/v1/hegui/provenance/{a}", params={"user": "demo-user"}, headers=h).json()
    assert again["inputs"] is None and again["keep_until"]
    st = store(gateway.services)
    assert st.verify_chain(st.get(a).user_id) == []  # erasure keeps the chain
    gateway.verified_user("other-user")
    for call in (lambda: c.post(f"/v1/hegui/provenance/{b}/select", json={"user": "other-user"}, headers=h),
                 lambda: c.delete(f"/v1/hegui/provenance/{b}", headers={**h, "X-Hegui-User": "other-user"}),
                 lambda: c.get(f"/v1/hegui/provenance/{b}", params={"user": "other-user"}, headers=h)):
        assert call().status_code == 404
    assert st.inputs(st.get(b))["edit"] == "更亮"
    other_keep = c.put("/v1/hegui/provenance/keep", json={"user": "other-user", "days": 1, "content_id": b}, headers=h)
    assert other_keep.status_code == 404 and st.get(b).keep_until == st.get(a).keep_until
    from hegui.storage.models import AuditEntry

    with gateway.services.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("provenance.%"))
                                               .order_by(AuditEntry.seq))]
    assert actions == ["provenance.selected", "provenance.keep", "provenance.erased"]


def test_keep_days_and_expiry(gateway_factory):
    import datetime as dt

    gw = gateway_factory(provenance={"keep_days": 10})
    cid = image(gw).json()["hegui"]["content_id"]
    st = store(gw.services)
    assert st.get(cid).keep_until is not None
    assert st.expire(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=11)) == 1
    assert st.inputs(st.get(cid)) is None and st.verify_chain(st.get(cid).user_id) == []


def test_recording_can_be_turned_off(gateway_factory):
    gw = gateway_factory(provenance={"enabled": False})
    assert image(gw).status_code == 200 and gw.chat("hi").status_code == 200
    assert store(gw.services).count() == 0


def test_a_failed_record_withholds_an_image_and_flags_a_stream(gateway, monkeypatch):
    def broken(self, entry):  # noqa: ANN001, ANN202
        raise RuntimeError("disk full")

    monkeypatch.setattr(ProvenanceStore, "record", broken)
    r = image(gateway, response_format="url")
    assert r.status_code == 503 and r.json()["error"]["code"] == "PROVENANCE_NOT_RECORDED"
    assert not list(gateway.services.outputs_dir.glob("*.png"))  # nothing of it stays servable
    assert gateway.chat("hi").status_code == 503
    with gateway.client.stream("POST", "/v1/chat/completions", headers=gateway.headers,
                               json={"model": "hegui-demo-chat", "stream": True, "user": "demo-user",
                                     "messages": [{"role": "user", "content": "hi"}]}) as s:
        body = s.read().decode()
    assert body.endswith("data: [DONE]\n\n")  # the stream had left: it ends normally
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).where(UsageRecord.stream.is_(True))).one()
    assert rec.status == "ok" and rec.error_code == "PROVENANCE_NOT_RECORDED"


def test_the_cli_lists_and_verifies_the_chain(gateway, monkeypatch):
    from typer.testing import CliRunner

    from hegui.cli.main import app

    cid = image(gateway, seed=5).json()["hegui"]["content_id"]
    monkeypatch.setattr("hegui.cli.provenance.services", lambda config: gateway.services)
    uid = store(gateway.services).get(cid).user_id
    out = CliRunner().invoke(app, ["provenance", "list", "--user", uid])
    assert out.exit_code == 0 and cid in out.output, out.output
    out = CliRunner().invoke(app, ["provenance", "chain", "--user", uid])
    assert out.exit_code == 0 and "intact" in out.output, out.output
    app_id = store(gateway.services).get(cid).app_id
    out = CliRunner().invoke(app, ["provenance", "list", "--app", app_id, "--user", "demo-user"])
    assert out.exit_code == 0 and cid in out.output, out.output
    from sqlalchemy import update

    from hegui.provenance.models import ProvenanceRecord

    with gateway.services.db.session() as s:
        s.execute(update(ProvenanceRecord).values(model="other"))
        s.commit()
    out = CliRunner().invoke(app, ["provenance", "chain", "--user", uid])
    assert out.exit_code == 1 and "altered" in out.output, out.output
