"""The gateway application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI

from hegui.gateway import errors
from hegui.gateway.metrics import GatewayMetrics, MetricsMiddleware
from hegui.gateway.middleware.body_limit import BodyLimitMiddleware
from hegui.gateway.middleware.request_id import RequestIdMiddleware
from hegui.gateway.routers import admin, inspect, likeness, openai, provenance, public, users

if TYPE_CHECKING:
    from hegui.app.services import Services

log = logging.getLogger("hegui.gateway")


async def _purge_loop(services: Services, every: float) -> None:
    """The retention job, in the server (Interim Measures Art 11; CSL logs ≥ 6 months)."""
    from starlette.concurrency import run_in_threadpool

    from hegui.errors import HeguiError
    from hegui.records.retention import purge

    while True:
        try:
            report = await run_in_threadpool(purge, services.db, services.settings.retention)
            log.info("retention purge: %s", report)
            expired = await run_in_threadpool(provenance.store(services).expire)  # the users' keep choices
            log.info("provenance records past their keep time, inputs erased: %d", expired)
        except HeguiError as exc:
            log.error("retention purge failed: %s", exc)
        await asyncio.sleep(every)


def create_app(services: Services, *, migrate: bool = True,
               mounts: Sequence[Callable[[FastAPI], None]] = ()) -> FastAPI:
    """The gateway's app; ``mounts`` add the other duties' routes (the composition root,
    :func:`hegui.app.create_app`, passes the console's and the complaint channel's)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = None
        minutes = services.settings.retention.purge_interval_minutes
        if minutes:
            task = asyncio.create_task(_purge_loop(services, minutes * 60))
        yield
        if task:
            task.cancel()
        inspect.shutdown(app)
        await services.aclose()

    if migrate:
        services.db.upgrade()
    server = services.settings.server
    docs = server.api_docs if server.api_docs is not None else services.settings.demo_model
    app = FastAPI(title="hegui gateway 合规网关", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs" if docs else None, openapi_url="/openapi.json" if docs else None,
                  redoc_url=None)
    app.state.services = services
    app.state.metrics = GatewayMetrics()
    app.state.body_limits = {inspect.PATH: inspect.body_limit(services)}  # path -> bytes, for routes that take uploads
    errors.install(app)
    for r in (openai.router, users.router, admin.router, public.router, inspect.router, provenance.router):
        app.include_router(r)
    likeness.register(app)  # consents, voice cloning, face swapping (issue 14)
    for mount in mounts:  # the other duties' pages and forms: the admin console, complaints and notices
        mount(app)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(BodyLimitMiddleware, max_bytes=services.settings.server.max_body_bytes,
                       per_path=app.state.body_limits)
    app.add_middleware(RequestIdMiddleware)  # outermost: the 413 above carries the id too
    return app
