"""In a real browser, from another site: the public report frames, its JSON fetches
across origins, and every other page and API route refuses both."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e
E2E_SEED_DEMO = True


@pytest.fixture(scope="module")
def other_site(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A stakeholder's site on another origin (localhost, not 127.0.0.1) that embeds us."""
    root: Path = tmp_path_factory.mktemp("other-site")
    (root / "index.html").write_text(
        "<!doctype html><title>Stakeholder</title>"
        f'<iframe id="report" src="{live_server}/public/?lang=nl" width="900" height="600">'
        "</iframe>"
        f'<iframe id="login" src="{live_server}/login" width="900" height="300"></iframe>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def stakeholder_page(browser, other_site):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(other_site + "/index.html")
    yield page
    context.close()


def _frame(page, name: str):  # type: ignore[no-untyped-def]
    return page.frame_locator(f"#{name}")


def test_the_public_report_shows_inside_another_sites_frame_in_the_chosen_language(
    stakeholder_page,
) -> None:  # type: ignore[no-untyped-def]
    report = _frame(stakeholder_page, "report")
    report.get_by_role("heading", level=1).wait_for()
    assert report.locator("html").get_attribute("lang") == "nl"
    # The demo's Fablab is listed, and the charts are images with a name.
    assert report.get_by_text("Fablab").first.is_visible()
    assert report.get_by_role("img").count() == 2


def test_other_pages_refuse_to_be_framed(stakeholder_page, live_server) -> None:  # type: ignore[no-untyped-def]
    stakeholder_page.wait_for_load_state("load")
    _frame(stakeholder_page, "report").get_by_role("heading", level=1).wait_for()
    frame = stakeholder_page.query_selector("#login").content_frame()
    # The browser blocks the document: the login form never appears in the frame.
    assert frame.locator("input[type=password]").count() == 0
    # ... while the same page opened directly has it.
    direct = stakeholder_page.context.new_page()
    direct.goto(live_server + "/login")
    assert direct.locator("input[type=password]").count() == 1


def test_the_json_can_be_fetched_from_another_site_but_no_other_api_route(
    stakeholder_page, live_server
) -> None:  # type: ignore[no-untyped-def]
    stats = stakeholder_page.evaluate(
        "async (url) => { const r = await fetch(url); return [r.status, (await r.json()).month]; }",
        live_server + "/api/v1/public/stats",
    )
    assert stats[0] == 200
    assert len(stats[1]) == 7  # YYYY-MM
    refused = stakeholder_page.evaluate(
        "async (url) => { try { await fetch(url); return 'read'; }"
        " catch (e) { return 'blocked'; } }",
        live_server + "/api/v1/resources",
    )
    assert refused == "blocked"
