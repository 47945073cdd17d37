"""An unchanged OpenAI SDK client talks to the gateway by changing base_url only."""

import base64
import io

import pytest
from openai import PermissionDeniedError
from PIL import Image

# the ``sdk`` fixture (an unchanged OpenAI client over the gateway) is in tests/gateway/conftest.py;
# test_sdk_shapes.py checks each response and error shape the SDK parses


def test_chat_carries_label_and_content_id(gateway, sdk):
    resp = sdk.chat.completions.create(model="hegui-demo-chat", user="demo-user",
                                       messages=[{"role": "user", "content": "介绍一下你自己"}])
    text = resp.choices[0].message.content
    assert text.startswith("【AI生成】") and "演示模型" in text
    extra = resp.model_extra["hegui"]
    assert extra["content_id"] == resp.id and resp.id.startswith("hgc-")
    assert extra["implicit"]["Label"] == "1" and extra["implicit"]["ProduceID"] == resp.id
    from sqlalchemy import select

    from hegui.storage.models import UsageRecord
    with gateway.services.db.session() as s:
        rec = s.scalar(select(UsageRecord).where(UsageRecord.content_id == resp.id))
    assert rec.status == "ok" and rec.input_action == "allow" and rec.label == "text:prefix"


def test_chat_stream_through_sdk(sdk):
    stream = sdk.chat.completions.create(model="hegui-demo-chat", user="demo-user", stream=True,
                                         messages=[{"role": "user", "content": "hello there"}])
    parts, ids = [], set()
    for chunk in stream:
        ids.add(chunk.id)
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
    text = "".join(parts)
    assert text.startswith("【AI生成】") and "demo model" in text
    assert len(ids) == 1 and next(iter(ids)).startswith("hgc-")


def test_image_generation_is_labeled(gateway, sdk):
    resp = sdk.images.generate(model="hegui-demo-image", prompt="a quiet lake at dawn", size="256x256",
                               user="demo-user", response_format="b64_json")
    data = base64.b64decode(resp.data[0].b64_json)
    img = Image.open(io.BytesIO(data))
    assert img.size == (256, 256)
    content_id = resp.model_extra["hegui"]["content_id"]
    from hegui.labeling import read_label

    found = read_label(data, filename="x.png")
    assert found.label is not None and found.label.ProduceID == content_id


def test_models_listed(sdk):
    ids = {m.id for m in sdk.models.list()}
    assert {"hegui-demo-chat", "hegui-demo-image"} <= ids


def test_unverified_user_refused_with_clear_error(gateway, sdk):
    assert gateway.post("/v1/hegui/users", {"user": "newbie"}).status_code == 200
    with pytest.raises(PermissionDeniedError) as e:
        sdk.chat.completions.create(model="hegui-demo-chat", user="newbie",
                                    messages=[{"role": "user", "content": "hi"}])
    err = e.value.body
    assert err["code"] == "USER_NOT_ALLOWED" and "真实身份" in err["message_zh"] and "verification" in err["message_en"]
