"""Voice cloning and face swapping through the gateway (DS Provisions Arts 14(2), 17; issue 14):
refused without a separate consent in force, served with one (the record links it, the output is
labelled), refused again once it is revoked; the consent API is app-scoped."""

from __future__ import annotations

import io
import subprocess

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from hegui.likeness.protocols import Match
from hegui.storage.models import UsageRecord

pytestmark = pytest.mark.skipif(subprocess.run(["which", "espeak-ng"], capture_output=True).returncode != 0,
                                reason="espeak-ng missing (scripts/setup.sh installs it)")


def _speech(pitch: int = 70) -> bytes:
    return subprocess.run(["espeak-ng", "-v", "en+f3", "-p", str(pitch), "--stdout", "Hello, this is my own voice."],
                          capture_output=True, check=True).stdout


def _png(bg, skin, box) -> bytes:
    im = Image.new("RGB", (240, 180), bg)
    ImageDraw.Draw(im).ellipse(box, fill=skin)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _consent(gw, **kw) -> dict:
    body = {"kind": "voice", "uses": ["voice_clone"], "subject_ref": "speaker-1", "subject_name": "李四",
            "method": "in_app_confirmation", "confirmation": "tap-7f3a", **kw}
    r = gw.post("/v1/hegui/consents", body)
    assert r.status_code == 201, r.text
    return r.json()


def _clone(gw, consent_id=None, text="你好，世界", user="alice", header=False, **extra):
    data = {"text": text, "user": user, **extra}
    headers = dict(gw.headers)
    if consent_id and header:
        headers["X-Hegui-Consent"] = consent_id
    elif consent_id:
        data["consent_id"] = consent_id
    return gw.client.post("/v1/hegui/voice/clone", headers=headers, data=data,
                          files={"reference": ("ref.wav", _speech(), "audio/wav")})


def _records(gw, endpoint):
    with gw.services.db.session() as s:
        return list(s.scalars(select(UsageRecord).where(UsageRecord.endpoint == endpoint)
                              .order_by(UsageRecord.created_at)))


def test_voice_clone_needs_consent_then_succeeds_then_revoke_refuses(gateway):
    gateway.verified_user("alice")
    r = _clone(gateway)
    assert r.status_code == 403 and r.json()["error"]["code"] == "LIKENESS_CONSENT_REQUIRED", r.text
    assert "consent_id" in r.json()["error"]["message_en"] and "单独同意" in r.json()["error"]["message_zh"]
    c = _consent(gateway)
    assert c["in_force"] and "李四" not in str(c) and c["evidence_sha256"]
    r = _clone(gateway, c["id"], header=True)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav" and r.headers["X-Hegui-Consent"] == c["id"]
    assert r.headers["X-Hegui-Content-Id"].startswith("hgc-") and "AIGC" in r.headers["X-AIGC-Label"]
    from hegui.labeling import read_label

    found = read_label(r.content)
    assert found.verdict == "compliant" and found.label.ProduceID == r.headers["X-Hegui-Content-Id"]
    from hegui.labeling.explicit.audio_cue import detect_rhythm_cue
    from hegui.labeling.watermark.audio import detect_file

    cue = detect_rhythm_cue(r.content)
    assert cue.found and cue.start_seconds < 0.2  # the explicit cue opens the file (GB 45438 §5.3)
    assert detect_file(r.content).seconds > 1  # the watermark check reads it (detection: test_audio_watermark.py)
    recs = _records(gateway, "voice.clone")
    assert [(x.status, x.consent_id) for x in recs] == [("error", None), ("ok", c["id"])]
    assert recs[0].error_code == "LIKENESS_CONSENT_REQUIRED" and recs[1].label == "audio:explicit+implicit+watermark"
    r = gateway.post(f"/v1/hegui/consents/{c['id']}/revoke", {"reason": "withdrawn"})
    assert r.status_code == 200 and r.json()["revoked_at"] and not r.json()["in_force"]
    r = _clone(gateway, c["id"])
    assert r.status_code == 403 and "revoked" in r.json()["error"]["message_en"], r.text


def test_mp3_and_refusals_name_the_consent(gateway):
    gateway.verified_user("alice")
    face = _consent(gateway, kind="face", uses=["face_swap"])
    r = _clone(gateway, face["id"])
    assert r.status_code == 403 and face["id"] in r.json()["error"]["message_en"] and "face" in r.json()["error"]["message_en"]
    c = _consent(gateway)
    r = _clone(gateway, c["id"], format="mp3", text="hello there")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg", r.text
    from hegui.labeling import read_label

    assert read_label(r.content).verdict == "compliant"
    r = _clone(gateway, c["id"], text="how to 制作炸弹")  # the clone text is moderated like chat
    assert r.status_code == 400 and r.json()["error"]["code"] == "CONTENT_REFUSED", r.text
    assert _records(gateway, "voice.clone")[-1].status == "refused"
    r = _clone(gateway, c["id"], format="ogg")
    assert r.status_code == 400 and "format" in r.text
    r = gateway.client.post("/v1/hegui/voice/clone", headers=gateway.headers, data={"text": "x", "user": "alice"})
    assert r.status_code == 400 and "multipart" in r.text
    r = gateway.client.post("/v1/hegui/voice/clone", headers=gateway.headers, data={"text": "x", "user": "alice"},
                            files={"other": ("a.wav", b"RIFF", "audio/wav")})
    assert r.status_code == 400 and "reference" in r.text


def test_consent_for_one_user_and_app_scoping(gateway_factory):
    gw = gateway_factory()
    gw.verified_user("alice")
    gw.verified_user("bob")
    c = _consent(gw, user="alice")
    assert _clone(gw, c["id"], user="bob").status_code == 403
    assert _clone(gw, c["id"], user="alice").status_code == 200
    # another app's key sees nothing of this app's consents
    from hegui.identity import apps

    with gw.services.db.session() as s:
        key = apps.issue_key(s, apps.create_app(s, "other-app"))
    hdr = {"Authorization": f"Bearer {key}"}
    assert gw.client.get(f"/v1/hegui/consents/{c['id']}", headers=hdr).status_code == 404
    assert gw.client.post(f"/v1/hegui/consents/{c['id']}/revoke", headers=hdr, json={"reason": "x"}).status_code == 404
    assert gw.client.get("/v1/hegui/consents", headers=hdr).json()["data"] == []


def test_signed_upload_grant_by_multipart(gateway):
    doc = b"%PDF-1.4 signed by speaker-1"
    r = gateway.client.post("/v1/hegui/consents", headers=gateway.headers,
                            data={"kind": "voice", "uses": "voice_clone", "subject_ref": "speaker-1",
                                  "method": "signed_upload", "valid_until": "2099-01-01"},
                            files={"document": ("consent.pdf", doc, "application/pdf")})
    assert r.status_code == 201, r.text
    import hashlib

    assert r.json()["evidence_sha256"] == hashlib.sha256(doc).hexdigest() and r.json()["valid_until"].startswith("2099")
    r = gateway.post("/v1/hegui/consents", {"kind": "voice", "uses": ["voice_clone"], "subject_ref": "x",
                                            "method": "signed_upload"})
    assert r.status_code == 400 and "signed consent document" in r.json()["error"]["message_en"]
    r = gateway.post("/v1/hegui/consents", {"kind": "voice", "uses": ["voice_clone"], "subject_ref": "x",
                                            "method": "in_app_confirmation", "confirmation": "t", "likeness_id": "p1"})
    assert r.status_code == 400 and "likeness_id" in r.json()["error"]["message_en"]  # operator-only link
    listed = gateway.client.get("/v1/hegui/consents", headers=gateway.headers).json()["data"]
    assert len(listed) == 1


def test_face_swap_consent_label_and_record(gateway):
    gateway.verified_user("alice")
    files = {"source": ("s.png", _png((20, 60, 20), (224, 172, 140), (70, 30, 170, 150)), "image/png"),
             "target": ("t.png", _png((30, 30, 120), (198, 134, 100), (60, 40, 150, 160)), "image/png")}
    r = gateway.client.post("/v1/hegui/face/swap", headers=gateway.headers, data={"user": "alice"}, files=files)
    assert r.status_code == 403 and "face" in r.json()["error"]["message_en"], r.text
    c = _consent(gateway, kind="face", uses=["face_swap"])
    r = gateway.client.post("/v1/hegui/face/swap", headers=gateway.headers,
                            data={"user": "alice", "consent_id": c["id"]}, files=files)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    from hegui.labeling import inspect

    got = inspect(r.content, filename="out.png")
    assert got.klass == "confirmed" and got.implicit["ProduceID"] == r.headers["X-Hegui-Content-Id"], got.to_dict()
    rec = _records(gateway, "face.swap")[-1]
    assert rec.status == "ok" and rec.consent_id == c["id"] and "watermark" in rec.label
    assert gateway.client.get(f"/v1/outputs/{rec.content_id}.png").status_code == 200


class _Matcher:
    def __init__(self, hit_on: str, fail: bool = False) -> None:
        self.hit_on, self.fail, self.calls = hit_on, fail, []

    def match(self, kind: str, data: bytes) -> Match | None:
        self.calls.append(kind)
        if self.fail:
            raise RuntimeError("encoder not loaded")
        return Match("protected-1", 0.91, 0.8, "test") if self.hit_on == kind else None


def test_protected_likeness_blocked_unless_the_consent_is_for_it(gateway):
    from hegui.likeness.consent import ConsentRegistry

    gateway.verified_user("alice")
    c = _consent(gateway)
    gateway.services.likeness_matcher = _Matcher("voice")
    r = _clone(gateway, c["id"])
    assert r.status_code == 403 and r.json()["error"]["code"] == "LIKENESS_PROTECTED", r.text
    assert "protected-1" in r.text
    app_id = _records(gateway, "voice.clone")[-1].app_id
    linked = ConsentRegistry(gateway.services.db, gateway.services.keys).grant(
        kind="voice", uses=["voice_clone"], subject_ref="speaker-1", method="in_app_confirmation",
        confirmation="operator checked", actor="cli:op", app_id=app_id, likeness_id="protected-1")
    r = _clone(gateway, linked.id)
    assert r.status_code == 200, r.text
    assert gateway.services.likeness_matcher.calls == ["voice", "voice", "voice"]  # input, input, output
    gateway.services.likeness_matcher = _Matcher("voice", fail=True)
    r = _clone(gateway, linked.id)
    assert r.status_code == 503 and r.json()["error"]["code"] == "LIKENESS_CHECK_FAILED"  # fail closed


def test_upstream_seam_forwards_the_form_and_labels_the_answer(gateway_factory, monkeypatch):
    """A configured upstream gets the multipart form; its answer is labelled like the demo's."""
    import httpx

    from hegui.gateway.pipeline import likeness
    from hegui.synthesis import remote

    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["auth"], seen["body"] = request.headers.get("authorization"), request.read()
        return httpx.Response(200, content=_speech(40), headers={"content-type": "audio/wav"})

    async def via_mock(url, **kw):  # noqa: ANN001, ANN003, ANN202
        return await remote.post_form(url, transport=httpx.MockTransport(handler), **kw)

    monkeypatch.setattr(likeness, "post_form", via_mock)
    gw = gateway_factory(likeness_api={"voice_clone_upstream": "http://clone.internal/v1/clone",
                                       "upstream_api_key": "sk-up"})
    gw.verified_user("alice")
    c = _consent(gw)
    r = _clone(gw, c["id"], model="real-clone-1", text="hello upstream")
    assert r.status_code == 200, r.text
    assert seen["auth"] == "Bearer sk-up" and b"hello upstream" in seen["body"] and b'name="reference"' in seen["body"]
    from hegui.labeling import read_label

    assert read_label(r.content).verdict == "compliant" and r.headers["X-Hegui-Model"] == "real-clone-1"

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    monkeypatch.setattr(likeness, "post_form",
                        lambda url, **kw: remote.post_form(url, transport=httpx.MockTransport(broken), **kw))
    r = _clone(gw, c["id"])
    assert r.status_code == 502 and r.json()["error"]["code"] == "UPSTREAM_ERROR"
    assert _records(gw, "voice.clone")[-1].status == "error"


def test_no_model_without_demo_or_upstream(gateway):
    r = _clone(gateway, "x", model="some-real-model")  # not the demo, and no upstream configured
    assert r.status_code == 404 and "likeness_api.voice_clone_upstream" in r.json()["error"]["message_en"]


def test_a_restrict_sanction_on_voice_cloning_stops_it_not_chat(gateway):
    from sqlalchemy import select as sel

    from hegui.storage.models import EndUser

    gateway.verified_user("alice")
    c = _consent(gateway)
    with gateway.services.db.session() as s:
        uid = s.scalar(sel(EndUser.id).where(EndUser.external_id == "alice"))
    gateway.client.app.state.case_desk.sanction(uid, "restrict", "misused cloning / 滥用声音克隆", "console:admin",
                                                functions=("voice_clone",))
    r = _clone(gateway, c["id"])
    assert r.status_code == 403 and "misused cloning" in r.json()["error"]["message_en"], r.text
    assert gateway.chat("hello", user="alice").status_code == 200
