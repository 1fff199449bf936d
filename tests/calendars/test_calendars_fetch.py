"""Fetching external calendars: never from our own network, redirects re-checked."""

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from calendars.fetch import FetchError, fetch

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]
CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        status, headers, body = self.routes.get(self.path, (404, {}, b""))
        if self.headers.get("If-None-Match") == '"v1"' and self.path == "/cal.ics":
            status, body = 304, b""
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.routes = {
        "/cal.ics": (
            200,
            {"ETag": '"v1"', "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT"},
            CALENDAR,
        ),
        "/big.ics": (200, {}, b"x" * 5000),
        "/hop": (302, {"Location": "/cal.ics"}, b""),
        "/to-private": (302, {"Location": "http://10.1.2.3/cal.ics"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/gone": (410, {}, b""),
    }
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/cal.ics",
        "http://localhost/cal.ics",
        "http://10.0.0.5/cal.ics",
        "http://192.168.1.1/cal.ics",
        "http://172.16.0.1/cal.ics",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/cal.ics",
        "http://0.0.0.0/cal.ics",
        "http://224.0.0.1/cal.ics",
        "http://[::1]/cal.ics",
        "http://[fe80::1]/cal.ics",
        "http://[fc00::1]/cal.ics",
        "http://[::ffff:127.0.0.1]/cal.ics",
        "http://[::ffff:10.0.0.1]/cal.ics",
        "http://[::]/cal.ics",
        "http://2130706433/cal.ics",
    ],
)
def test_private_and_special_addresses_are_refused_without_connecting(url):
    with pytest.raises(FetchError, match="address we do not fetch from"):
        fetch(url)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/x.ics",
        "gopher://example.org/",
        "http://user:pw@example.org/",
        "http:///nohost",
    ],
)
def test_other_schemes_and_odd_urls_are_refused(url):
    with pytest.raises(FetchError):
        fetch(url)


def test_an_explicitly_allowed_network_can_be_fetched_with_conditional_get(server):
    result = fetch(f"{server}/cal.ics", allowed_networks=LOOPBACK)
    assert result.status == 200
    assert result.body == CALENDAR
    assert result.etag == '"v1"'
    again = fetch(f"{server}/cal.ics", etag=result.etag, allowed_networks=LOOPBACK)
    assert again.status == 304


def test_redirects_are_followed_and_checked_again(server):
    assert fetch(f"{server}/hop", allowed_networks=LOOPBACK).body == CALENDAR
    with pytest.raises(FetchError, match="address we do not fetch from"):
        fetch(f"{server}/to-private", allowed_networks=LOOPBACK)
    with pytest.raises(FetchError, match="address we do not fetch from"):
        fetch(f"{server}/to-metadata", allowed_networks=LOOPBACK)
    with pytest.raises(FetchError, match="redirects"):
        fetch(f"{server}/loop", allowed_networks=LOOPBACK)


def test_size_cap_and_error_status(server):
    with pytest.raises(FetchError, match="larger than"):
        fetch(f"{server}/big.ics", max_bytes=1024, allowed_networks=LOOPBACK)
    with pytest.raises(FetchError, match="410"):
        fetch(f"{server}/gone", allowed_networks=LOOPBACK)


def test_webcal_is_read_as_https():
    with pytest.raises(FetchError, match="address we do not fetch from"):
        fetch("webcal://127.0.0.1/cal.ics")
