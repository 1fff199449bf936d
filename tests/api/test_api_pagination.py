"""Lists: ?page= and ?per_page=, the page envelope and the Link header."""

import re

import pytest

pytestmark = pytest.mark.db


@pytest.fixture
def nine_tenants(make_tenant, tenant_a, tenant_b):  # type: ignore[no-untyped-def]
    """Tenants A and B (the `auth` fixture makes them anyway) and seven more."""
    return [
        tenant_a,
        tenant_b,
        *(make_tenant(name=f"Paged {n}", slug=f"paged-{n}") for n in range(7)),
    ]


def _links(response):
    """{rel: url} from the Link header."""
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    }


def test_per_page_limits_the_items_and_the_envelope_counts(client, auth, nine_tenants):
    response = client.get("/api/v1/tenants?per_page=3", headers=auth("manager"))
    body = response.get_json()
    assert len(body["items"]) == 3
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 3, 9, 3)


def test_the_default_page_size_is_50(client, auth, nine_tenants):
    body = client.get("/api/v1/tenants", headers=auth("manager")).get_json()
    assert body["per_page"] == 50
    assert body["pages"] == 1


def test_per_page_is_capped_at_the_configured_maximum(app, client, auth, nine_tenants, monkeypatch):
    monkeypatch.setitem(app.config, "API_MAX_PAGE_SIZE", 4)
    body = client.get("/api/v1/tenants?per_page=1000", headers=auth("manager")).get_json()
    assert body["per_page"] == 4
    assert len(body["items"]) == 4


def test_the_link_header_points_to_next_prev_first_and_last(client, auth, nine_tenants):
    response = client.get("/api/v1/tenants?per_page=3&page=2", headers=auth("manager"))
    links = _links(response)
    assert set(links) == {"next", "prev", "first", "last"}
    assert "page=3" in links["next"]
    assert "per_page=3" in links["next"]
    assert "page=1" in links["prev"]
    assert "page=3" in links["last"]
    assert links["next"].startswith("http://localhost/api/v1/tenants?")


def test_the_first_page_has_no_prev_and_the_last_no_next(client, auth, nine_tenants):
    first = _links(client.get("/api/v1/tenants?per_page=3", headers=auth("manager")))
    last = _links(client.get("/api/v1/tenants?per_page=3&page=3", headers=auth("manager")))
    assert "prev" not in first
    assert "next" in first
    assert "next" not in last
    assert "prev" in last


def test_following_next_walks_every_item_once(client, auth, nine_tenants):
    seen, url = [], "/api/v1/tenants?per_page=3"
    while url:
        response = client.get(url, headers=auth("manager"))
        seen += [t["id"] for t in response.get_json()["items"]]
        url = _links(response).get("next")
    assert sorted(seen) == sorted(t.id for t in nine_tenants)


def test_the_links_keep_the_filters(client, auth, make_member, tenant_a):
    for n in range(3):
        make_member(tenant=tenant_a, name=f"Paged member {n}")
    response = client.get(
        f"/api/v1/members?tenant_id={tenant_a.id}&include_inactive=true&per_page=1",
        headers=auth("manager"),
    )
    nxt = _links(response)["next"]
    assert f"tenant_id={tenant_a.id}" in nxt
    assert "include_inactive=true" in nxt
    assert client.get(nxt, headers=auth("manager")).get_json()["page"] == 2


def test_unknown_query_parameters_are_not_echoed_into_links(client, auth, nine_tenants):
    response = client.get(
        "/api/v1/tenants?per_page=3&_external=0&_anchor=x&evil=<script>", headers=auth("manager")
    )
    assert response.status_code == 200
    header = response.headers["Link"]
    assert "evil" not in header
    assert "script" not in header
    assert "#" not in header


def test_a_page_past_the_end_has_no_items(client, auth, nine_tenants):
    response = client.get("/api/v1/tenants?per_page=3&page=9", headers=auth("manager"))
    body = response.get_json()
    assert response.status_code == 200
    assert body["items"] == []
    assert body["total"] == 9
    links = _links(response)
    assert "next" not in links
    assert "page=3" in links["prev"]


@pytest.mark.parametrize(
    "url", ["/api/v1/members", "/api/v1/resources", "/api/v1/badges", "/api/v1/qualifications"]
)
def test_every_list_has_the_same_envelope(client, auth, url):
    response = client.get(url + "?per_page=2", headers=auth("manager"))
    assert response.status_code == 200
    assert set(response.get_json()) == {"items", "page", "per_page", "total", "pages"}
    assert "Link" in response.headers
