"""What `vidsearch serve` is configured with."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .. import environment
from ..store import MAX_K as STORE_MAX_K

MAX_K = 100  # results a request may ask for: a page, not a dump (the store allows 16,384)


def host_name(header: str) -> str | None:
    """The host of a Host header (`name`, `name:port`, `[v6]:port`), lower-case without a trailing dot; None
    when it is not a host at all."""
    header = header.strip().lower()
    if header.count(":") > 1 and not header.startswith("["):  # a bare IPv6 address (configured, not a header)
        header = f"[{header}]"
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
    else:
        name, colon, port = header.partition(":")
        if colon and not port.isdigit():
            return None
    name = name.rstrip(".")
    return name or None


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServerConfig:
    """How the service runs, whoever starts it (`vidsearch serve` or `create_app` in Python). The write
    endpoints need `token` when one is set; none given, it is $VIDSEARCH_API_TOKEN, and a service bound beyond
    loopback without either makes one (`token_generated`): writes are never open to other machines by default."""

    token: str | None = None  # required (Bearer) by the write endpoints when set
    max_upload_bytes: int = 200 << 20
    data_dir: Path = field(default_factory=lambda: Path("vidsearch-server"))  # uploads and previews
    host: str = "127.0.0.1"  # the address it is bound to: a name requests may be addressed to (security.HostGuard)
    allowed_hosts: tuple[str, ...] = ()  # further names, e.g. what a reverse proxy forwards as Host
    max_k: int = MAX_K  # results one search may ask for
    token_generated: bool = field(default=False, init=False)

    def __post_init__(self):
        if self.max_upload_bytes < 1:
            raise ValueError(f"the upload limit must be at least 1 byte, not {self.max_upload_bytes}")
        if self.token is None:
            self.token = environment.read(environment.API_TOKEN)
        if self.token is not None and not self.token.strip():
            raise ValueError("the API token must not be empty")
        if self.token is None and not is_loopback(self.host):
            self.token, self.token_generated = secrets.token_urlsafe(24), True
        if isinstance(self.max_k, bool) or not isinstance(self.max_k, int) or not 1 <= self.max_k <= STORE_MAX_K:
            raise ValueError(f"max_k must be an integer from 1 to {STORE_MAX_K}, not {self.max_k!r}")
        for name in self.allowed_hosts:
            if host_name(name) is None or any(not c.isprintable() or c.isspace() for c in name):
                raise ValueError(f"--allowed-host {name!r} is not a host name")

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def previews(self) -> Path:
        return self.data_dir / "previews"
