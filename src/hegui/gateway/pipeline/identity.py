"""Admit — identity: the end user must be registered, verified, have accepted the current
agreement, not be sanctioned, and (for minors) be inside the minor-mode limits (CSL Art 24;
Interim Measures Arts 9-10, 14; Minors Protection Law Art 74) — and no request at all while a
regulator-ordered service suspension is in force (:func:`hegui.governance.suspension_in_force`).

A regulator test channel's key (security-requirements §9) is admitted as its own pre-registered
test user, whatever the request names; that user is marked as a test account, not as a verified
person, and is never reachable through any other key."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from hegui.errors import AuthError, ValidationFailed
from hegui.gateway.pipeline.base import Step
from hegui.governance import suspension_in_force
from hegui.governance.errors import ServiceSuspended
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.identity.dependence import REMINDER, UsagePolicy
from hegui.identity.test_channels import ChannelGrant, is_test_user
from hegui.storage.models import EndUser

if TYPE_CHECKING:
    from hegui.app.services import Services

FUNCTIONS = {"chat.completions": "chat", "images.generations": "images", "audio.speech": "speech",
             "voice.clone": "voice_clone", "face.swap": "face_swap"}  # what a "restrict" sanction names


def _refuse_if_suspended(s) -> None:  # noqa: ANN001
    """A regulator-ordered suspension in force stops every generation request (503)."""
    order = suspension_in_force(s)
    if order is not None:
        raise ServiceSuspended(authority=order.authority, reference=order.reference)


def _not_a_test_user() -> AuthError:
    return AuthError(message_en="a test channel's user can be used only through its own test-channel key",
                     message_zh="测试通道的测试用户只能通过该通道自己的密钥使用")


class Admit(Step):
    name: ClassVar[str] = "admit"

    def __init__(self, services: Services) -> None:
        self.services = services
        self.usage = UsagePolicy(services.settings.usage, services.settings.minors.timezone)

    async def run(self, ex: Exchange) -> Flow:
        if ex.channel is not None:
            await self._test_channel(ex, ex.channel)
            return Flow.CONTINUE
        external_user = ex.external_user
        if not external_user:
            raise ValidationFailed(message_en="the end user must be named by the request's 'user' field "
                                              "or the X-Hegui-User header",
                                   message_zh="请求须通过 user 字段或 X-Hegui-User 头标明终端用户")
        sv = self.services

        def gate() -> None:
            with sv.db.session() as s:
                _refuse_if_suspended(s)
                user = sv.identity.get(s, ex.app_id, external_user)
                if is_test_user(user):
                    raise _not_a_test_user()
                ex.user = user
                ex.record.user_id = user.id
                function = FUNCTIONS.get(ex.endpoint)
                sv.enforcement.check_user(s, user, function)
                for other in sv.identity.linked_accounts(s, user):  # sanctions follow the person
                    sv.enforcement.check_user(s, other, function)
                ex.profile = sv.identity.ensure_may_generate(s, user, sv.agreement)
                ex.record.training_allowed = not user.training_opt_out
                if user.kind == "person":  # anti-dependence for every person (Interim Measures Art 10)
                    ex.notice = self.usage.admit(s, user.id, adult=ex.profile != sv.settings.minors.policy_profile)
                    ex.record.notice = REMINDER if ex.notice else None

        await sv.db.run(gate)
        return Flow.CONTINUE

    async def _test_channel(self, ex: Exchange, grant: ChannelGrant) -> None:
        """The channel's test user (an operator's sanction on it still holds); the record is
        marked with the channel and, for safety off, the bypass; never used for training."""
        sv = self.services
        ex.record.test_channel_id = grant.id
        ex.record.safety_off = grant.safety_off
        ex.record.training_allowed = False

        def gate() -> None:
            with sv.db.session() as s:
                _refuse_if_suspended(s)
                user = s.get(EndUser, grant.user_id)
                if user is None or user.app_id != ex.app_id or not is_test_user(user):
                    raise _not_a_test_user()
                ex.user = user
                ex.record.user_id = user.id
                sv.enforcement.check_user(s, user, FUNCTIONS.get(ex.endpoint))
                ex.profile = "default"  # an adult test account: the service as adults meet it

        await sv.db.run(gate)
