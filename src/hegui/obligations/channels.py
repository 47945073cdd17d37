"""FILING-TC live evidence: the regulator's test channel (large-model filing practice,
security-requirements §9). Met only once a channel has been issued **and exercised** (it served a
request) with no safety-off channel still live; a live safety-off channel is a deliberate hole in
moderation and is shown as not met until it is revoked or expires (docs/test-channel.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.identity import test_channels
from hegui.obligations.register import Finding, Status

if TYPE_CHECKING:
    from hegui.storage.db import Database


def test_channel_finding(db: Database) -> Finding:
    with db.session() as s:
        rows = test_channels.listing(s)
        live_off = test_channels.active_safety_off(s)
        live = sum(1 for r in rows if test_channels.state(r) == "active")
        used = [r for r in rows if r.first_used_at is not None]
        names = ", ".join(f"{r.name} → {test_channels.aware(r.expires_at):%Y-%m-%d}" for r in live_off)
    if live_off:
        return Finding(Status.NOT_MET,
                       f"警告：{len(live_off)} 个安全策略关闭（不审核）的测试通道生效中（{names}）；测试结束即吊销",
                       f"warning: {len(live_off)} test channel(s) with safety OFF (no moderation) live ({names}); "
                       "revoke when the test ends")
    if not used:
        return Finding(Status.NOT_MET,
                       "尚未签发并使用过测试通道：hegui admin test-channel create，并用其密钥完成一次请求",
                       "no test channel has been issued and exercised yet: hegui admin test-channel create, "
                       "then make one request with its key")
    return Finding(Status.MET, f"测试通道已签发并使用（{len(used)} 个曾使用）；生效中 {live} 个，均开启安全策略",
                   f"test channels issued and exercised ({len(used)} used); {live} live, all with safety on")
