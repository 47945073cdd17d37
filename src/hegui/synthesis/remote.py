"""The upstream seam for real voice-cloning and face-swapping models (DS Provisions Arts 14, 17):
the request's multipart form (reference and target files, text, format) is POSTed to the URL
configured in ``[likeness_api]``; the answer's body is the generated audio or image, which the
gateway labels like the demo models' output. The answer is read up to a size cap."""

from __future__ import annotations

import httpx

from hegui.errors import UpstreamError, UpstreamTimeout


async def post_form(url: str, *, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]],
                    api_key: str = "", timeout: float = 120.0, max_bytes: int = 50_000_000,
                    transport: httpx.AsyncBaseTransport | None = None) -> tuple[bytes, str]:
    """``(body, content type)`` of the upstream's 2xx answer; :class:`UpstreamError` otherwise."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            async with client.stream("POST", url, data=fields, files=files, headers=headers) as resp:
                if resp.status_code // 100 != 2:
                    raise UpstreamError(detail=f"{url} answered HTTP {resp.status_code}")
                body = bytearray()
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise UpstreamError(detail=f"{url} answered more than {max_bytes} bytes")
                return bytes(body), resp.headers.get("content-type", "application/octet-stream")
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(detail=f"{url} after {timeout:g} s") from exc
    except httpx.HTTPError as exc:
        raise UpstreamError(detail=f"{url}: {type(exc).__name__}") from exc
