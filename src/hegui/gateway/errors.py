"""Every failure becomes an OpenAI-style error JSON with a stable code and zh/en messages."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hegui.errors import AuthError, HeguiError, NotFound, StorageError, ValidationFailed

log = logging.getLogger("hegui.gateway")

_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "not_found_error", 413: "invalid_request_error", 429: "rate_limit_error"}


def request_lang(request: Request) -> str:
    value = request.headers.get("accept-language", "").lower()
    return "en" if value.startswith("en") else "zh"


def error_response(err: HeguiError, request: Request, request_id: str | None = None) -> JSONResponse:
    lang = request_lang(request)
    payload = {"type": _TYPES.get(err.http_status, "api_error"), "param": None, **err.to_dict(lang),
               "request_id": request_id or getattr(request.state, "request_id", None)}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(err, AuthError) and err.http_status == 401 else {}
    if getattr(err, "retry_after", None):  # 429 from hegui.throttle
        headers["Retry-After"] = str(err.retry_after)
    return JSONResponse({"error": payload}, status_code=err.http_status, headers=headers or None)


def install(app: FastAPI) -> None:
    @app.exception_handler(HeguiError)
    async def _hegui(request: Request, exc: HeguiError) -> JSONResponse:
        if isinstance(exc, StorageError):
            log.error("storage error: %s", exc)
        return error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(ValidationFailed(detail=f"{where}: {first.get('msg')}"), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            err: HeguiError = NotFound(detail=request.url.path)
        else:
            err = HeguiError(message_en=str(exc.detail), message_zh=str(exc.detail))
        resp = error_response(err, request)
        resp.status_code = exc.status_code
        return resp

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_response(HeguiError(), request)
