"""Usage records: complete per request, content sealed, retention enforced, opt-out honoured."""

import datetime as dt
import json

from sqlalchemy import select

from hegui.records.retention import purge
from hegui.records.training_export import export_for_training
from hegui.storage.models import AuditEntry, UsageContent, UsageRecord


def test_record_and_sealed_content(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    r = gw.chat("我的秘密问题：银杏叶为什么会变黄？")
    cid = r.json()["id"]
    with gw.services.db.session() as s:
        rec = s.scalar(select(UsageRecord).where(UsageRecord.content_id == cid))
        content = s.get(UsageContent, rec.id)
        assert rec.user_id and rec.app_id and rec.model == "hegui-demo-chat" and rec.total_ms is not None
        assert b"\xe9\x93\xb6\xe6\x9d\x8f" not in content.prompt_enc  # "银杏" is not stored in clear
        prompt, output = gw.services.writer.read_content(content)
    assert "银杏叶" in prompt and output.startswith("【AI生成】")


def test_retention_purges_and_is_audited(gateway_factory, db_url):
    gw = gateway_factory(db_url=db_url)
    for _ in range(3):
        gw.chat("你好")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31)
    report = purge(gw.services.db, gw.services.settings.retention, now=later)
    assert report.content == 3 and report.usage_records == 0
    much_later = later + dt.timedelta(days=200)
    assert purge(gw.services.db, gw.services.settings.retention, now=much_later).usage_records == 3
    with gw.services.db.session() as s:
        actions = s.scalars(select(AuditEntry.action)).all()
    assert actions.count("retention.purge") == 2


def test_training_export_honours_opt_out(gateway, tmp_path):
    gateway.verified_user("opt-out-user")
    gateway.chat("可以用于训练的问题")
    gateway.chat("不可以用于训练的问题", user="opt-out-user")
    gateway.client.put("/v1/hegui/users/opt-out-user/training-opt-out", headers=gateway.headers, json={"opt_out": True})
    out = tmp_path / "train.jsonl"
    n = export_for_training(gateway.services.writer, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert n == len(rows) == 1 and "可以用于训练" in rows[0]["prompt"]
    # opting out later also removes earlier records of that user
    gateway.client.put("/v1/hegui/users/demo-user/training-opt-out", headers=gateway.headers, json={"opt_out": True})
    assert export_for_training(gateway.services.writer, out) == 0


def test_failure_record_for_refused_identity(gateway):
    gateway.chat("hi", user="ghost")
    with gateway.services.db.session() as s:
        rec = s.scalars(select(UsageRecord).order_by(UsageRecord.created_at.desc())).first()
    assert rec.status == "error" and rec.error_code == "USER_NOT_REGISTERED"


def test_training_export_masks_personal_information(gateway, tmp_path):
    import stat

    gateway.chat("请记住我的手机号13812345678和邮箱 zhangsan@example.com")
    out = tmp_path / "train.jsonl"
    assert export_for_training(gateway.services.writer, out) == 1
    text = out.read_text(encoding="utf-8")
    row = json.loads(text)
    assert "13812345678" not in text and "zhangsan@" not in text
    assert "138****5678" in row["prompt"] and "@example.com" in row["prompt"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
