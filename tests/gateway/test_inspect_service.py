"""POST /v1/hegui/inspect: the platform's check of an upload (Labeling Measures Art 6; GB 45438
Annex E) — class, notice, evidence, propagation, bounds per upload and one record per decision."""

from __future__ import annotations

import base64
import threading

import pytest
from sqlalchemy import select

from hegui.labeling.api import read_label, write_label
from hegui.labeling.label import ImplicitLabel
from hegui.labeling.models import InspectionDecision
from hegui.settings import DEMO_PROVIDER_CODE
from tests.labeling.media import PLATFORM, PRODUCER, image, label

PATH = "/v1/hegui/inspect"


def _post(gw, data: bytes, name: str = "up.png", lang: str = "en", **fields: str):  # noqa: ANN001, ANN202
    return gw.client.post(PATH, headers={**gw.headers, "Accept-Language": lang},
                          files={"file": (name, data, "application/octet-stream")}, data=fields)


def _rows(gw) -> list[InspectionDecision]:  # noqa: ANN001
    with gw.services.db.session() as s:
        rows = list(s.scalars(select(InspectionDecision).order_by(InspectionDecision.created_at)))
        s.expunge_all()
    return rows


def _gateway_image(gw) -> bytes:  # noqa: ANN001
    r = gw.post("/v1/images/generations", {"prompt": "a lake", "user": "demo-user", "size": "64x64"})
    assert r.status_code == 200, r.text
    url = r.json()["data"][0]["url"]
    got = gw.client.get("/v1/outputs/" + url.rsplit("/", 1)[1])
    assert got.status_code == 200
    return got.content


def test_a_gateway_image_is_confirmed_with_notice_and_record(gateway):
    data = _gateway_image(gateway)
    r = _post(gateway, data, "lake.png", declared="unknown")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["class"] == "confirmed" and body["media"] == "image" and body["size"] == len(data)
    assert body["notice"]["zh"] == "本内容由人工智能生成" and body["notice"]["en"]
    assert body["declare_prompt"]["zh"]  # not declared: remind the uploader (Art 6 (4))
    assert body["evidence"]["implicit"]["ContentProducer"] == DEMO_PROVIDER_CODE
    assert "file" not in body and body["propagated"] is False
    [row] = _rows(gateway)
    assert row.id == body["id"] and row.result == "confirmed" and row.media == "image" and row.size == len(data)
    assert row.declared is None and not row.propagated and len(row.file_sha256) == 64
    assert row.app_id and "lake" not in str(row.evidence)


def test_unlabelled_upload_declared_ai_is_possible_and_undeclared_is_none(gateway):
    plain = image("PNG")
    r = _post(gateway, plain, declared="ai")
    assert r.status_code == 200 and r.json()["class"] == "possible", r.text
    assert r.json()["notice"]["en"].startswith("This content may") and r.json()["declare_prompt"] is None
    r = _post(gateway, plain, declared="human")
    assert r.json()["class"] == "none" and r.json()["notice"] is None
    r = _post(gateway, plain, declared="not_ai")
    assert r.json()["class"] == "none" and r.json()["declared"] == "human"
    suspected = write_label(image("PNG"), ImplicitLabel("3", "", "", "", PLATFORM, "p3", ""))
    r = _post(gateway, suspected)
    assert r.json()["class"] == "suspected" and r.json()["notice"]["zh"] == "疑似人工智能生成内容"
    assert [row.result for row in _rows(gateway)] == ["possible", "none", "none", "suspected"]


def test_propagate_writes_the_platform_fields_and_keeps_the_producer(gateway):
    src = write_label(image("JPEG"), label("prod-1"))
    r = _post(gateway, src, "photo.jpg", declared="ai", propagate="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["propagated"] and body["propagation"]["written"]
    out = base64.b64decode(body["file"]["base64"])
    assert body["file"]["media_type"] == "image/jpeg" and body["file"]["filename"] == "photo.propagated.jpg"
    got = read_label(out, filename="x.jpg").label
    assert got.Label == "1" and got.ContentProducer == PRODUCER and got.ProduceID == "prod-1"
    assert got.ContentPropagator == DEMO_PROVIDER_CODE and got.PropagateID == body["propagation"]["PropagateID"]
    again = _post(gateway, out, "photo.jpg")  # the platform's own output reads back as confirmed
    assert again.json()["evidence"]["implicit"]["ContentPropagator"] == DEMO_PROVIDER_CODE
    assert [row.propagated for row in _rows(gateway)] == [True, False]


def test_propagate_unlabelled_declared_ai_writes_label_2_and_nothing_for_none(gateway):
    r = _post(gateway, image("PNG"), declared="ai", propagate="1")
    got = read_label(base64.b64decode(r.json()["file"]["base64"]), filename="x.png").label
    assert got.Label == "2" and got.ContentPropagator == DEMO_PROVIDER_CODE and got.ContentProducer == ""
    r = _post(gateway, image("PNG"), declared="human", propagate="true")
    assert r.json()["propagated"] is False and "file" not in r.json()
    assert r.json()["propagation"]["written"] is False and r.json()["propagation"]["reason_zh"]


def test_platform_code_from_settings(gateway_factory):
    gw = gateway_factory(platform={"code": PLATFORM, "name": "Jimeng"})
    r = _post(gw, image("PNG"), declared="ai", propagate="true")
    assert r.json()["platform"] == {"name": "Jimeng", "code": PLATFORM}
    assert read_label(base64.b64decode(r.json()["file"]["base64"]), filename="x.png").label.ContentPropagator == PLATFORM


def test_oversize_upload_is_refused_while_streaming_and_recorded(gateway_factory):
    gw = gateway_factory(platform={"max_upload_bytes": 4096})
    r = _post(gw, b"\x89PNG" + b"0" * 6000, lang="zh")  # inside the form overhead: counted by the route
    assert r.status_code == 413, r.text
    err = r.json()["error"]
    assert err["code"] == "UPLOAD_TOO_LARGE" and "4096" in err["message_zh"] and "4096" in err["message_en"]
    [row] = _rows(gw)
    assert row.result == "error" and row.file_sha256 == "" and row.evidence["error"] == "UPLOAD_TOO_LARGE"
    big = _post(gw, b"0" * (4096 + 70_000))  # its declared length is over the bound: refused unread, no record
    assert big.status_code == 413 and big.json()["error"]["code"] == "BODY_TOO_LARGE"
    assert len(_rows(gw)) == 1


def test_a_slow_inspection_times_out_with_an_error_record(gateway_factory, monkeypatch):
    gw = gateway_factory(platform={"timeout_seconds": 0.2})
    release = threading.Event()
    from hegui.labeling import service

    real = service.decide

    def slow(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        release.wait(5)
        return real(*a, **kw)

    monkeypatch.setattr(service, "decide", slow)
    r = _post(gw, image("PNG"), declared="ai")
    release.set()
    assert r.status_code == 503 and r.json()["error"]["code"] == "INSPECTION_TIMEOUT"
    assert r.json()["error"]["message_zh"] and "0.2" in r.json()["error"]["message_en"]
    [row] = _rows(gw)
    assert row.result == "error" and len(row.file_sha256) == 64 and row.declared == "ai"


def test_rate_limited_per_api_key(gateway_factory):
    gw = gateway_factory(throttle={"inspect_requests": {"limit": 2, "window_seconds": 60}})
    assert [_post(gw, image("PNG")).status_code for _ in range(3)] == [200, 200, 429]
    r = _post(gw, image("PNG"), lang="zh")
    assert r.status_code == 429 and r.headers["Retry-After"] and "上传检测" in r.json()["error"]["message_zh"]
    assert len(_rows(gw)) == 2  # a refused request is no decision on a file


@pytest.mark.parametrize("fields,code", [({"declared": "maybe"}, "INVALID_INPUT"),
                                         ({"propagate": "perhaps"}, "INVALID_INPUT")])
def test_bad_fields_are_refused_in_both_languages(gateway, fields, code):
    r = _post(gateway, image("PNG"), **fields)
    assert r.status_code == 400 and r.json()["error"]["code"] == code and r.json()["error"]["message_zh"]


def test_missing_file_and_no_key(gateway):
    r = gateway.client.post(PATH, headers=gateway.headers, data={"declared": "ai"},
                            files={"other": ("a.txt", b"x")})
    assert r.status_code == 400 and "file" in r.json()["error"]["message_en"]
    r = gateway.client.post(PATH, files={"file": ("a.png", image("PNG"))})
    assert r.status_code == 401
    assert _rows(gateway) == []


def test_broken_file_is_a_decision_not_a_crash(gateway):
    r = _post(gateway, image("PNG")[:30], "broken.png", declared="unknown", propagate="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["class"] == "none" and body["evidence"]["verdict"] == "inconclusive" and body["evidence"]["errors"]
    assert _rows(gateway)[0].result == "none"


def test_the_endpoint_reads_c2pa_manifests(gateway):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "c2pa" / "ai-signed.jpg"
    r = _post(gateway, sample.read_bytes(), "signed.jpg", declared="unknown", propagate="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["class"] == "suspected" and body["evidence"]["c2pa"]["presence"] == "embedded"
    assert body["evidence"]["c2pa"]["ai"] and body["notice"]["en"] == "Suspected AI-generated content"
    out = base64.b64decode(body["file"]["base64"])
    assert read_label(out, filename="x.jpg").label.Label == "3"
    [row] = _rows(gateway)
    assert row.evidence["c2pa"]["ai"] and row.propagated


def test_a_remote_manifest_is_reported_not_fetched(gateway):
    from tests.labeling.c2pa_sign import sign_ai_image

    data = sign_ai_image(image("JPEG"), remote_url="http://10.255.255.1/m.c2pa")  # unroutable: never fetched
    r = _post(gateway, data, "remote.jpg")
    assert r.status_code == 200, r.text
    assert r.json()["evidence"]["c2pa"]["presence"] == "remote" and r.json()["class"] == "none"


def test_a_body_without_a_length_is_cut_off_while_streaming(gateway_factory):
    gw = gateway_factory(platform={"max_upload_bytes": 4096})
    sent = [0]

    def body():  # noqa: ANN202 - chunked transfer: no Content-Length for the middleware to check first
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        for _ in range(200):
            sent[0] += 1
            yield b"0" * 4096
        yield b"\r\n--xyz--\r\n"

    r = gw.client.post(PATH, headers={**gw.headers, "content-type": "multipart/form-data; boundary=xyz"},
                       content=body())
    assert r.status_code == 413 and r.json()["error"]["code"] == "UPLOAD_TOO_LARGE", r.text
    [row] = _rows(gw)
    assert row.result == "error" and row.file_sha256 == "" and row.size <= 4096 + 70_000  # bytes read before the cut


def test_lm6_reports_the_decisions_on_record(gateway):
    from hegui.obligations.register import evaluate

    assert _post(gateway, image("PNG"), declared="ai").status_code == 200
    row = next(r for r in evaluate(gateway.services)[1] if r.duty.id == "LM-6")
    assert row.finding.status.value == "met" and "1 decision(s) on record" in row.finding.reason_en


def test_operator_notices_file(gateway_factory, tmp_path):
    from importlib import resources

    text = resources.files("hegui.data").joinpath("labeling/platform.yaml").read_text("utf-8")
    own = tmp_path / "notices.yaml"
    own.write_text(text.replace("本内容可能由人工智能生成", "平台提示：可能由AI生成"), "utf-8")
    gw = gateway_factory(platform={"notices_file": str(own)})
    assert _post(gw, image("PNG"), declared="ai").json()["notice"]["zh"] == "平台提示：可能由AI生成"
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nnotices: {sure: {zh: a, en: b}}\ndeclare_prompt: {zh: a, en: b}\n", "utf-8")
    from hegui.errors import ConfigError
    from hegui.labeling.service import load_notices

    with pytest.raises(ConfigError) as ei:
        load_notices(bad)
    assert "sure" in ei.value.message("en") and ei.value.message("zh")


def test_a_broken_inspection_is_an_error_record_not_a_pass(gateway, monkeypatch):
    from hegui.labeling import service

    def boom(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("detector crashed")

    monkeypatch.setattr(service, "decide", boom)
    r = _post(gateway, image("PNG"), declared="ai", lang="zh")
    assert r.status_code == 500 and r.json()["error"]["code"] == "INSPECTION_FAILED"
    assert "RuntimeError" in r.json()["error"]["message_en"] and r.json()["error"]["message_zh"]
    [row] = _rows(gateway)
    assert row.result == "error" and row.evidence["error"] == "INSPECTION_FAILED" and len(row.file_sha256) == 64


def test_decisions_and_the_rate_limit_on_both_databases(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url, throttle={"inspect_requests": {"limit": 2, "window_seconds": 60}})
    assert _post(gw, image("PNG"), declared="ai").json()["class"] == "possible"
    assert _post(gw, write_label(image("PNG"), label()), propagate="true").json()["propagated"] is True
    assert _post(gw, image("PNG")).status_code == 429
    rows = _rows(gw)
    assert [(r.result, r.propagated) for r in rows] == [("possible", False), ("confirmed", True)]
    assert rows[1].evidence["propagation"]["ContentPropagator"] == DEMO_PROVIDER_CODE


def test_a_large_image_skips_the_watermark_check_and_says_so(gateway_factory):
    gw = gateway_factory(platform={"max_watermark_pixels": 1000})
    body = _post(gw, write_label(image("PNG"), label()), declared="ai").json()  # 48×32 = 1536 pixels
    assert body["class"] == "confirmed"  # the label is still read
    assert body["evidence"]["watermark"]["checked"] is False and "1536" in body["evidence"]["watermark"]["reason"]
    assert any("watermark not checked" in w for w in body["evidence"]["warnings"])
    small = _post(gw, b"%PDF-1.4\n", "a.pdf").json()  # not an image: nothing said about pixels
    assert not any("pixels" in w for w in small["evidence"]["warnings"])


def test_the_pool_stops_with_the_server(make_services):
    from fastapi.testclient import TestClient

    from hegui.app import create_app
    from hegui.bootstrap import bootstrap

    services = make_services()
    app = create_app(services=services, migrate=False)
    key = bootstrap(services, demo=True).api_key
    with TestClient(app) as client:
        r = client.post(PATH, headers={"Authorization": f"Bearer {key}"}, files={"file": ("a.png", image("PNG"))})
        assert r.status_code == 200
        pool = app.state.inspect_pool
    assert pool._shutdown  # the lifespan's exit stopped it
