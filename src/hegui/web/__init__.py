"""Web pieces every duty's pages and APIs share: JSON request bodies, page rendering, security
headers. Below the duty packages; imports none of them."""

__all__: list[str] = []
