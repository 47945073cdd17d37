"""Prometheus metrics (``GET /metrics``) through a pure ASGI middleware."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


#: Verdicts a moderation component could not judge (it failed to load or errored), per component;
#: ``on_degraded`` decided them. Process-wide, exported by every app's registry.
MODERATION_DEGRADED = Counter("hegui_moderation_degraded", "Moderation verdicts degraded by a failing component",
                              ["component"], registry=None)
#: Requests through regulator test channels (security-requirements §9), by safety on/off and
#: whether they were admitted; a safety-off key in use shows here.
TEST_CHANNEL_REQUESTS = Counter("hegui_test_channel_requests", "Requests through regulator test channels",
                                ["safety", "outcome"], registry=None)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(MODERATION_DEGRADED)
        self.registry.register(TEST_CHANNEL_REQUESTS)
        self.requests = Counter("hegui_requests_total", "HTTP requests", ["route", "status"], registry=self.registry)
        self.latency = Histogram("hegui_request_seconds", "Time to response start", ["route"], registry=self.registry,
                                 buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self._children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Count one response; the labelled children are looked up once per (route, status)
        (``labels()`` validates and locks on every call)."""
        key = (route, status)
        pair = self._children.get(key)
        if pair is None:
            pair = self._children[key] = (self.requests.labels(route, str(status)), self.latency.labels(route))
        pair[0].inc()
        pair[1].observe(seconds)


_ROUTES = ("/v1/chat/completions", "/v1/images/generations", "/v1/audio/speech", "/v1/models", "/v1/hegui",
           "/admin", "/console", "/complaints", "/about", "/metrics", "/healthz")


def route_label(path: str) -> str:
    for r in _ROUTES:
        if path.startswith(r):
            return r
    return "other"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        route = route_label(scope.get("path", ""))

        async def wrapped(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                self.metrics.observe(route, msg["status"], time.perf_counter() - start)
            await send(msg)

        await self.app(scope, receive, wrapped)
