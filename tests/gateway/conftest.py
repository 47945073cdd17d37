"""The official OpenAI SDK pointed at the in-process gateway (only ``base_url`` changes)."""

import pytest
from openai import OpenAI


def sdk_for(gw, api_key: str | None = None) -> OpenAI:  # noqa: ANN001
    """An unchanged ``openai.OpenAI`` client over the gateway's TestClient; no retries, so a 429 or
    5xx reaches the test as the SDK's own exception."""
    return OpenAI(base_url="http://testserver/v1", api_key=api_key or gw.api_key, http_client=gw.client,
                  max_retries=0)


@pytest.fixture
def sdk(gateway) -> OpenAI:  # noqa: ANN001
    return sdk_for(gateway)
