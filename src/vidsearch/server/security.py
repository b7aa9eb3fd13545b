"""Who may write: same-origin requests only, and the bearer token when one is set. Checked from the headers
alone, before the request body is read."""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

SAFE_FETCH_SITES = {"same-origin", "none"}  # `none`: typed in the address bar, a bookmark


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _origin_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    return (parts.scheme.lower(), parts.netloc.lower()) if parts.scheme and parts.netloc else None


def check_same_origin(request: Request) -> None:
    """Refuses a write a browser sends on behalf of another site (a form or fetch from evil.example).

    Browsers send Origin (and Sec-Fetch-Site) with every cross-site POST and DELETE; clients that are not
    browsers (curl, scripts) send neither and are governed by the token alone.
    """
    own = (request.url.scheme.lower(), request.headers.get("host", "").lower())
    origin = request.headers.get("origin")
    if origin is not None:
        if origin == "null" or _origin_of(origin) != own:
            raise HTTPException(403, "cross-origin writes are refused: use this server's own page or a client "
                                     "that is not a browser")
        return
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in SAFE_FETCH_SITES:
        raise HTTPException(403, "cross-site writes are refused")
    referer = request.headers.get("referer")
    if site is None and referer and _origin_of(referer) != own:
        raise HTTPException(403, "cross-origin writes are refused (Referer of another site)")


def check_token(request: Request, token: str | None) -> None:
    if token is None:
        return
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), f"Bearer {token}".encode()):
        raise HTTPException(401, "this endpoint needs the server's token: Authorization: Bearer TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
