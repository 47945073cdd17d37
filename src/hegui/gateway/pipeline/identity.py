"""Step 1 — identity: the end user must be registered, verified, have accepted the current
agreement, not be sanctioned, and (for minors) be inside the minor-mode limits."""

from __future__ import annotations


from hegui.errors import ValidationFailed
from hegui.gateway.pipeline.context import RequestContext
from hegui.gateway.services import Services


async def admit(services: Services, ctx: RequestContext, external_user: str | None) -> None:
    if not external_user:
        raise ValidationFailed(message_en="the end user must be named by the request's 'user' field "
                                          "or the X-Hegui-User header",
                               message_zh="请求须通过 user 字段或 X-Hegui-User 头标明终端用户")
    ctx.external_user = external_user

    def gate() -> None:
        with services.db.session() as s:
            user = services.identity.get(s, ctx.app_id, external_user)
            ctx.user, ctx.user_id = user, user.id
            ctx.record.user_id = user.id
            services.enforcement.check_user(s, user)
            for other in services.identity.linked_accounts(s, user):  # sanctions follow the person
                services.enforcement.check_user(s, other)
            ctx.profile = services.identity.ensure_may_generate(s, user, services.agreement)
            ctx.training_allowed = not user.training_opt_out
            ctx.record.training_allowed = ctx.training_allowed

    await services.db.run(gate)
