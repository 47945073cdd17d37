"""The whole web application: the gateway's app with the other duties' pages and forms mounted —
the admin console and the public complaint channel (Interim Measures Art 15; DS Art 11)."""

from __future__ import annotations

from fastapi import FastAPI

from hegui.app.services import Services, build_services
from hegui.settings import HeguiSettings


def create_app(settings: HeguiSettings | None = None, *, services: Services | None = None,
               migrate: bool = True) -> FastAPI:
    """``settings`` default to :func:`hegui.settings.load_settings`; ``services`` to those built from them."""
    from hegui.cases import routes as case_routes
    from hegui.console import routes as console_routes
    from hegui.gateway import app as gateway_app
    from hegui.gateway.deps import app_id_of

    if services is None:
        from hegui.settings import load_settings

        services = build_services(settings or load_settings())
    sv = services

    def console(app: FastAPI) -> None:
        console_routes.install(app, sv)

    def complaints(app: FastAPI) -> None:
        case_routes.install(app, sv, authenticate=app_id_of)  # the case API takes the gateway's API keys

    return gateway_app.create_app(services, migrate=migrate, mounts=(console, complaints))
