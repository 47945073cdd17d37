"""Admit — identity: the end user must be registered, verified, have accepted the current
agreement, not be sanctioned, and (for minors) be inside the minor-mode limits (CSL Art 24;
Interim Measures Arts 9-10, 14; Minors Protection Law Art 74)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from hegui.errors import ValidationFailed
from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow

if TYPE_CHECKING:
    from hegui.app.services import Services

FUNCTIONS = {"chat.completions": "chat", "images.generations": "images"}  # what a "restrict" sanction names


class Admit(Step):
    name: ClassVar[str] = "admit"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        external_user = ex.external_user
        if not external_user:
            raise ValidationFailed(message_en="the end user must be named by the request's 'user' field "
                                              "or the X-Hegui-User header",
                                   message_zh="请求须通过 user 字段或 X-Hegui-User 头标明终端用户")
        sv = self.services

        def gate() -> None:
            with sv.db.session() as s:
                user = sv.identity.get(s, ex.app_id, external_user)
                ex.user = user
                ex.record.user_id = user.id
                function = FUNCTIONS.get(ex.endpoint)
                sv.enforcement.check_user(s, user, function)
                for other in sv.identity.linked_accounts(s, user):  # sanctions follow the person
                    sv.enforcement.check_user(s, other, function)
                ex.profile = sv.identity.ensure_may_generate(s, user, sv.agreement)
                ex.record.training_allowed = not user.training_opt_out

        await sv.db.run(gate)
        return Flow.CONTINUE
