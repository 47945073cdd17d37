"""Copies of others' works, and of our own, through the gateway (issue 15): a near-copy of a
registered protected text in a chat answer is caught and refused with a CopyFinding; a protected
image is refused; a resized, JPEG-recompressed copy of a generated image is found by ``search``
and unrelated outputs are not."""

from __future__ import annotations

import base64
import io

from PIL import Image
from sqlalchemy import select

from hegui.gateway.demo import render_demo_image
from hegui.provenance.models import CopyFinding, OutputFingerprint
from hegui.provenance.search import search
from hegui.provenance.works import ProtectedWorks
from hegui.storage.models import UsageRecord

WORK = ("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。这是一段受版权保护的示例作品文本，"
        "由权利人登记，用于检验输出过滤是否能发现近似复制。The rights holder registered this passage "
        "so that the gateway can show it catches near-verbatim copies in answers.")


def _near_copy(text: str) -> str:
    """A few characters changed and punctuation reordered."""
    return (text.replace("，", ",").replace("。", ".", 2).replace("示例", "范例")
            .replace("registered", "registred").replace("answers.", "answers!"))


def _findings(gw) -> list[CopyFinding]:  # noqa: ANN001
    with gw.services.db.session() as s:
        return list(s.scalars(select(CopyFinding)))


def test_near_copy_of_a_protected_text_is_caught(gateway):
    ProtectedWorks(gateway.services.db).register("text", WORK, "示例作品", "权利人", "admin:test")
    copy = _near_copy(WORK)
    assert copy != WORK
    r = gateway.chat("/echo " + copy)
    assert r.status_code == 200, r.text
    body = r.json()
    content = body["choices"][0]["message"]["content"]
    assert body["choices"][0]["finish_reason"] == "content_filter"
    assert "受保护作品" in content and "protected work" in content and "春眠" not in content
    [finding] = _findings(gateway)
    assert finding.action == "blocked" and finding.content_id == body["id"] and finding.kind == "text"
    assert "春眠" not in (finding.detail or "")
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).where(UsageRecord.content_id == body["id"])).one()
    assert rec.status == "cut"


def test_unrelated_answer_passes_and_is_fingerprinted(gateway):
    ProtectedWorks(gateway.services.db).register("text", WORK, "示例作品", "权利人", "admin:test")
    r = gateway.chat("/echo 今天的天气预报说明天多云转晴，气温在十五到二十二度之间，适合出门散步和晒太阳。")
    assert r.status_code == 200 and r.json()["choices"][0]["finish_reason"] == "stop"
    assert _findings(gateway) == []
    with gateway.services.db.session() as s:
        assert s.get(OutputFingerprint, r.json()["id"]).minhash is not None


def test_streamed_copy_is_flagged(gateway):
    ProtectedWorks(gateway.services.db).register("text", WORK, "示例作品", "权利人", "admin:test")
    with gateway.client.stream("POST", "/v1/chat/completions", headers=gateway.headers,
                               json={"model": "hegui-demo-chat", "stream": True, "user": "demo-user",
                                     "messages": [{"role": "user", "content": "/echo " + _near_copy(WORK)}]}) as r:
        text = "".join(r.iter_text())
    assert "review" in text or "复核" in text
    [finding] = _findings(gateway)
    assert finding.action == "flagged"


def _image(gw, prompt: str) -> tuple[str, bytes]:  # noqa: ANN001
    r = gw.post("/v1/images/generations", {"prompt": prompt, "user": "demo-user", "size": "256x256",
                                           "response_format": "b64_json"})
    assert r.status_code == 200, r.text
    item = r.json()["data"][0]
    return item["hegui"]["content_id"], base64.b64decode(item["b64_json"])


def _resized_jpeg(png: bytes, quality: int = 70) -> bytes:
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.resize((img.width // 2, img.height // 2))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_search_finds_a_resized_recompressed_copy_of_a_generated_image(gateway):
    target, png = _image(gateway, "山间的一座小桥")
    others = [_image(gateway, p)[0] for p in ("a red car", "海边的灯塔", "a bowl of fruit")]
    hits = search(gateway.services.db, _resized_jpeg(png), "image")
    assert [h.content_id for h in hits] == [target]
    assert not set(others) & {h.content_id for h in hits}
    unrelated = render_demo_image("something never generated", 256, 256)
    assert target not in {h.content_id for h in search(gateway.services.db, unrelated, "image")}


def test_protected_image_is_refused(gateway):
    protected = render_demo_image("a protected painting#0", 256, 256)  # what the demo model draws
    ProtectedWorks(gateway.services.db).register("image", protected, "名画", "权利人", "admin:test")
    r = gateway.post("/v1/images/generations", {"prompt": "a protected painting", "user": "demo-user",
                                                "size": "256x256", "response_format": "b64_json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "CONTENT_REFUSED", r.text
    [finding] = _findings(gateway)
    assert finding.kind == "image" and finding.action == "blocked"
    ok = gateway.post("/v1/images/generations", {"prompt": "a different scene", "user": "demo-user",
                                                 "size": "256x256"})
    assert ok.status_code == 200


def test_an_empty_register_costs_one_cached_lookup(gateway):
    from sqlalchemy import event

    from hegui.provenance import works

    assert gateway.chat("你好").status_code == 200  # builds the (empty) index
    assert works.known_empty(gateway.services.db, "text") and works.known_empty(gateway.services.db, "image")
    seen: list[str] = []

    def note(conn, cursor, statement, *args):  # noqa: ANN001, ANN202
        seen.append(statement)

    engine = gateway.services.db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert gateway.chat("再来一次").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert not [s for s in seen if "protected_works" in s]
