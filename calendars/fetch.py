"""Downloading an external calendar without becoming a proxy into our own network.

Each request resolves the host once, refuses every address that is not a
public unicast one (loopback, private, link-local, CGNAT, multicast,
unspecified, reserved; IPv4 and IPv6, IPv4-mapped included), then connects to
the very address it checked, so a DNS answer cannot change between check and
use. Redirects (at most 3) are checked the same way. Only http, https and
webcal (read as https). Conditional GET, a timeout and a size cap.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 3
USER_AGENT = "makers-incubator-calendar/1"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchError(Exception):
    """The calendar could not be fetched; the message is for a manager to read."""


@dataclass(frozen=True)
class FetchResult:
    status: int  # 200, or 304 when the calendar did not change
    body: bytes
    etag: str | None
    last_modified: str | None
    url: str  # after redirects


def _address_allowed(address: str, allowed: Iterable[Network]) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return True
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def resolve_checked(host: str, port: int, allowed: Iterable[Network] = ()) -> str:
    """The first address of `host`, if every address it resolves to is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"the host {host!r} cannot be resolved") from exc
    addresses = [str(info[4][0]) for info in infos]
    allowed = list(allowed)
    refused = [a for a in addresses if not _address_allowed(a, allowed)]
    if not addresses or refused:
        raise FetchError(f"the host {host!r} points at an address we do not fetch from")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _split(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    if scheme not in {"http", "https"}:
        raise FetchError("only http, https and webcal links can be fetched")
    if not parts.hostname or parts.username or parts.password:
        raise FetchError("the link has no usable host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError("the link has an invalid port") from exc
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port, path


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 10.0,
    max_bytes: int = 2 * 1024 * 1024,
    allowed_networks: Iterable[Network] = (),
) -> FetchResult:
    """GET `url` under the rules above. `allowed_networks` opens exceptions (config)."""
    allowed = list(allowed_networks)
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _split(url)
        address = resolve_checked(host, port, allowed)
        cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = cls(host, address, port, timeout)
        headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            if response.status in {301, 302, 303, 307, 308}:
                location = response.getheader("Location")
                if not location:
                    raise FetchError("the server redirected without saying where")
                url = urljoin(url, location)
                continue
            if response.status == 304:
                return FetchResult(304, b"", etag, last_modified, url)
            if response.status != 200:
                raise FetchError(f"the server answered {response.status}")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError(f"the calendar is larger than {max_bytes // 1024} KiB")
            return FetchResult(
                200, body, response.getheader("ETag"), response.getheader("Last-Modified"), url
            )
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"the calendar could not be downloaded ({exc})") from exc
        finally:
            connection.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
