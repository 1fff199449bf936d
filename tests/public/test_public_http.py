"""The public page and /api/v1/public/stats over HTTP: no login, no personal data,
framing only for the page, CORS only for /api/v1/public/*, brief caching."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.occupancy.occupancy_support import add_booking, add_session
from tests.public.conftest import PRIVATE_WORDS

pytestmark = pytest.mark.db

PAGE = "/public/"
STATS = "/api/v1/public/stats"


@pytest.fixture
def busy(db_session, building, companies, now) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Uses in the current month (whatever today is), by every company."""
    from app.services.occupancy import months_back
    from tests.occupancy.occupancy_support import BRUSSELS

    ((_, (month_start, _)),) = months_back(now, BRUSSELS, 1)
    start = max(now - dt.timedelta(hours=1), month_start)
    laser, cnc, printer = building["machines"]
    for i, person in enumerate(companies.values()):
        machine = (laser, cnc, printer)[i % 3]
        add_session(db_session, machine, start, start + dt.timedelta(minutes=1 + i), member=person)
    add_booking(
        db_session,
        building["kitchen"],
        companies["brassworks"],
        start,
        start + dt.timedelta(minutes=30),
        title="Secret launch party",
    )
    return building


def test_the_page_needs_no_login_and_shows_no_personal_data(client, busy) -> None:  # type: ignore[no-untyped-def]
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Fablab" in html
    assert "Open Studio Named" in html  # opted in
    for word in PRIVATE_WORDS:
        assert word not in html


def test_the_json_needs_no_token_and_shows_no_personal_data(client, busy) -> None:  # type: ignore[no-untyped-def]
    response = client.get(STATS)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert {f["slug"] for f in body["facilities"]} == {"fablab", "kitchen", "room"}
    assert body["totals"]["companies"] == 8
    assert len(body["trend"]) == 12
    text = response.get_data(as_text=True)
    assert "Open Studio Named" in text
    for word in PRIVATE_WORDS:
        assert word not in text


def test_the_page_has_charts_with_tables(client, busy) -> None:  # type: ignore[no-untyped-def]
    html = client.get(PAGE).get_data(as_text=True)
    assert html.count('role="img"') == 2
    assert html.count("<table>") == 2
    assert "<script" not in html


def test_only_the_public_page_may_be_framed(client, make_member, as_member) -> None:  # type: ignore[no-untyped-def]
    page = client.get(PAGE)
    assert "X-Frame-Options" not in page.headers
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    for other in ("/auth/login", STATS, "/healthz"):
        response = client.get(other)
        assert response.headers.get("X-Frame-Options") == "DENY", other
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], other
    as_member(make_member(role="manager"))
    home = client.get("/")
    assert home.status_code == 200
    assert home.headers["X-Frame-Options"] == "DENY"


def test_cors_without_credentials_on_the_public_api_only(client, make_member, api_token) -> None:  # type: ignore[no-untyped-def]
    origin = {"Origin": "https://stakeholder.example"}
    public = client.get(STATS, headers=origin)
    assert public.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in public.headers
    headers = {**origin, **api_token(make_member(role="manager"))}
    other = client.get("/api/v1/resources", headers=headers)
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in client.get(PAGE, headers=origin).headers


def test_preflight_is_answered_on_the_public_api_only(client) -> None:  # type: ignore[no-untyped-def]
    ask = {
        "Origin": "https://stakeholder.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match, x-secret",
    }
    response = client.options(STATS, headers=ask)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "If-None-Match"
    assert "Access-Control-Allow-Credentials" not in response.headers
    other = client.options("/api/v1/resources", headers=ask)
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Methods" not in other.headers


def test_the_json_is_cached_briefly_with_an_etag(client, busy) -> None:  # type: ignore[no-untyped-def]
    first = client.get(STATS)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = client.get(STATS, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Access-Control-Allow-Origin"] == "*"


def test_the_in_process_cache_serves_the_same_figures_for_a_while(
    client, db_session, busy, companies
) -> None:  # type: ignore[no-untyped-def]
    first = client.get(STATS).get_json()
    add_session(
        db_session,
        busy["room"],
        dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
        member=companies["zebrawood-film"],
    )
    assert client.get(STATS).get_json() == first
    from app.services.public_report import CACHE

    CACHE.clear()
    fresh = client.get(STATS).get_json()
    room = next(f for f in fresh["facilities"] if f["slug"] == "room")
    assert room["active_days"] == 1


def test_the_language_can_be_chosen_in_the_link(client) -> None:  # type: ignore[no-untyped-def]
    dutch = client.get(PAGE + "?lang=nl", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in dutch.get_data(as_text=True)
    english = client.get(PAGE + "?lang=en", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Set-Cookie" not in dutch.headers
    # Only that page: the language link does not stick to other requests.
    assert '<html lang="en">' in client.get(PAGE, headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_in_use_now_is_hidden_on_the_page_when_the_building_is_closed(
    client, db_session, busy
) -> None:  # type: ignore[no-untyped-def]
    from app.services.site import get_site_settings

    get_site_settings().building_hours = {
        day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    db_session.commit()
    html = client.get(PAGE).get_data(as_text=True)
    assert "The building is closed now." in html
    assert "machines running" not in html
    assert client.get(STATS).get_json()["building_open"] is False


def test_openapi_documents_the_public_operation_without_a_token(client) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/v1/public/stats"]["get"]
    assert operation["security"] == []
    assert "401" not in operation["responses"]
    assert "PublicStats" in document["components"]["schemas"]


def test_head_is_cached_like_get(client) -> None:  # type: ignore[no-untyped-def]
    response = client.head(STATS)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
