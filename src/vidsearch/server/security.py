"""Who may ask: requests addressed to a host this server answers for (no DNS rebinding), and for writes,
same-origin requests only plus the bearer token when one is set. Checked from the headers alone, before the
request body is read."""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from .config import host_name, is_loopback

SAFE_FETCH_SITES = {"same-origin", "none"}  # `none`: typed in the address bar, a bookmark


WILDCARD_BINDS = ("", "0.0.0.0", "::")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class HostGuard:
    """Refuses a request whose Host is not a name this server answers for, on every route, reads included.

    A page on evil.example whose DNS record is switched to 127.0.0.1 (DNS rebinding) talks to this server as
    its own origin: same-origin checks pass, but its requests still carry `Host: evil.example`. Accepted: the
    bound host, loopback names and addresses, `allowed` (the names a reverse proxy forwards) and, when bound to every
    interface, any IP address and this machine's own names. An IP literal cannot be rebound.
    """

    def __init__(self, app, bound_host: str, allowed: tuple[str, ...] = ()):
        self.app = app
        self.names = {n for n in (host_name(h) for h in (bound_host, *allowed)) if n}
        self.any_address = bound_host.strip("[]") in WILDCARD_BINDS
        if self.any_address:
            self.names |= {n for n in (host_name(socket.gethostname()), host_name(socket.getfqdn())) if n}

    def allows(self, header: str) -> bool:
        name = host_name(header)
        if name is None:
            return False
        return name in self.names or is_loopback(name) or (self.any_address and _is_address(name))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":  # lifespan; the API has no websockets
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1")
        if self.allows(header):
            return await self.app(scope, receive, send)
        shown = "".join(c for c in header[:100] if c.isprintable())
        body = json.dumps({"detail": f"this server does not answer for the host {shown!r}: use its own address "
                                     f"(behind a reverse proxy, start it with --allowed-host NAME)"}).encode()
        await send({"type": "http.response.start", "status": 421,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


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
