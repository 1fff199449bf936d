"""What the API does with bodies and query strings it cannot accept: 415, 400, 413 and 422,
always in the one error shape, and always without changing anything."""

import pytest

pytestmark = pytest.mark.db


@pytest.fixture
def routes(manager, member_a, make_resource):  # type: ignore[no-untyped-def]
    """Every route that takes a body: (method, url, a valid body)."""
    resource = make_resource(slug="laser", kind="machine")
    return {
        "create tenant": (
            "POST",
            "/api/v1/tenants",
            {"name": "Nieuw", "slug": "nieuw", "sector": "tech"},
        ),
        "update tenant": ("PATCH", f"/api/v1/tenants/{member_a.tenant_id}", {"name": "Anders"}),
        "create member": (
            "POST",
            "/api/v1/members",
            {
                "email": "x@example.org",
                "name": "X",
                "role": "member",
                "tenant_id": member_a.tenant_id,
            },
        ),
        "update member": ("PATCH", f"/api/v1/members/{member_a.id}", {"name": "Anders"}),
        "create resource": (
            "POST",
            "/api/v1/resources",
            {"slug": "oven", "name": "Oven", "kind": "kitchen"},
        ),
        "update resource": ("PATCH", f"/api/v1/resources/{resource.slug}", {"name": "Laser 2"}),
        "create badge": ("POST", "/api/v1/badges", {"uid": "04A22B1C", "member_id": member_a.id}),
        "create qualification": (
            "POST",
            "/api/v1/qualifications",
            {"member_id": member_a.id, "resource": resource.slug},
        ),
    }


ROUTE_NAMES = [
    "create tenant",
    "update tenant",
    "create member",
    "update member",
    "create resource",
    "update resource",
    "create badge",
    "create qualification",
]


def _send(client, headers, method, url, **kwargs):
    return client.open(url, method=method, headers=headers, **kwargs)


def _assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_the_valid_bodies_of_these_tests_are_accepted(client, auth, routes, route):
    method, url, body = routes[route]
    response = _send(client, auth("manager"), method, url, json=body)
    assert response.status_code in (200, 201), response.get_json()


@pytest.mark.parametrize("route", ROUTE_NAMES)
@pytest.mark.parametrize(
    "content",
    [
        {"data": {"name": "Nieuw"}},  # form-encoded
        {"data": '{"name": "Nieuw"}', "content_type": "text/plain"},
        {"data": '{"name": "Nieuw"}', "content_type": "application/x-www-form-urlencoded"},
        {"data": "<name>Nieuw</name>", "content_type": "application/xml"},
        {"data": b""},  # no content type at all
    ],
    ids=["form", "text-plain", "json-as-form", "xml", "none"],
)
def test_a_body_that_is_not_json_is_415(client, auth, routes, snapshot, route, content):
    method, url, _body = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, **content)
    _assert_error(response, 415, "unsupported_media_type")
    assert snapshot() == before


@pytest.mark.parametrize("route", ROUTE_NAMES)
@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"name": }',
        b"{'name': 'single quotes'}",
        b'{"name": "x",}',
        b"\xff\xfe",
        b"nul",
    ],
)
def test_malformed_json_is_400(client, auth, routes, snapshot, route, raw):
    method, url, _body = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, data=raw, content_type="application/json")
    _assert_error(response, 400, "bad_request")
    assert snapshot() == before


@pytest.mark.parametrize("route", ROUTE_NAMES)
@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_422(client, auth, routes, snapshot, route, raw):
    method, url, _body = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, data=raw, content_type="application/json")
    _assert_error(response, 422, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize("route", ROUTE_NAMES)
def test_a_body_over_the_size_limit_is_413(client, auth, routes, snapshot, route):
    method, url, body = routes[route]
    headers = auth("manager")
    before = snapshot()
    huge = {**body, "name": "x" * (3 * 1024 * 1024)}
    response = _send(client, headers, method, url, json=huge)
    _assert_error(response, 413, "too_large")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("route", "missing"),
    [
        ("create tenant", {"name", "slug", "sector"}),
        ("create member", {"email", "name", "role"}),
        ("create resource", {"slug", "name", "kind"}),
        ("create badge", {"uid", "member_id"}),
        ("create qualification", {"member_id", "resource"}),
    ],
)
def test_missing_fields_are_422_naming_each(client, auth, routes, snapshot, route, missing):
    method, url, _body = routes[route]
    headers = auth("manager")
    before = snapshot()
    body = _assert_error(_send(client, headers, method, url, json={}), 422, "invalid")
    assert set(body["fields"]) == missing
    assert all(message == "This field is required." for message in body["fields"].values())
    assert snapshot() == before


WRONG_TYPES = [
    ("create tenant", "name", 123),
    ("create tenant", "name", ["Nieuw"]),
    ("create tenant", "sector", ["tech"]),
    ("create tenant", "public_opt_in", "true"),
    ("create tenant", "public_opt_in", 1),
    ("create tenant", "contract_start", 20250101),
    ("create tenant", "contract_start", "1 januari"),
    ("update tenant", "active", "false"),
    ("update tenant", "name", None),
    ("update tenant", "slug", {"a": 1}),
    ("create member", "tenant_id", "1"),
    ("create member", "tenant_id", 1.5),
    ("create member", "tenant_id", True),
    ("create member", "email", ["x@example.org"]),
    ("create member", "role", "admin"),
    ("create member", "locale", "fr"),
    ("update member", "email", None),
    ("update member", "active", "yes"),
    ("create resource", "min_minutes", "30"),
    ("create resource", "min_minutes", 30.5),
    ("create resource", "bookable", "true"),
    ("create resource", "kind", "spaceship"),
    ("create resource", "hourly_rate", [12]),
    ("create resource", "hourly_rate", "twelve"),
    ("create resource", "opening_hours", ["mon"]),
    ("update resource", "max_minutes", "480"),
    ("update resource", "name", None),
    ("create badge", "member_id", "5"),
    ("create badge", "uid", 4711),
    ("create badge", "label", ["card"]),
    ("create badge", "reader_format", "morse"),
    ("create qualification", "member_id", [1]),
    ("create qualification", "expires_at", 1893456000),
    ("create qualification", "expires_at", "next tuesday"),
    ("create qualification", "resource", 7),
]


@pytest.mark.parametrize(("route", "field", "value"), WRONG_TYPES)
def test_a_value_of_the_wrong_type_is_422_naming_the_field(
    client, auth, routes, snapshot, route, field, value
):
    method, url, valid = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, json={**valid, field: value})
    body = _assert_error(response, 422, "invalid")
    assert field in body["fields"], body
    assert snapshot() == before


TOO_LONG = [
    ("create tenant", "name"),
    ("create tenant", "slug"),
    ("update tenant", "name"),
    ("create member", "email"),
    ("create member", "name"),
    ("create member", "password"),
    ("update member", "name"),
    ("create resource", "name"),
    ("create resource", "description"),
    ("update resource", "description"),
    ("create badge", "uid"),
    ("create badge", "label"),
    ("create qualification", "resource"),
]


@pytest.mark.parametrize(("route", "field"), TOO_LONG)
def test_a_5000_character_value_is_422_naming_the_field(
    client, auth, routes, snapshot, route, field
):
    method, url, valid = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, json={**valid, field: "a" * 5000})
    body = _assert_error(response, 422, "invalid")
    assert field in body["fields"]
    assert snapshot() == before


SCRIPT = "<script>alert(1)</script>"
SQL = "x'; DROP TABLE member; --"
HOSTILE = [
    ("create tenant", "slug", SCRIPT),
    ("create tenant", "slug", SQL),
    ("create tenant", "slug", "caf\u00e9"),
    ("create tenant", "sector", SQL),
    ("create tenant", "name", "Null\x00Byte"),
    ("create tenant", "name", "Bell\x07"),
    ("create tenant", "name", "evil\u202etxt.exe"),
    ("update tenant", "name", "zero\u200bwidth"),
    ("update tenant", "slug", "../../etc/passwd"),
    ("create member", "email", f"{SCRIPT}@example.org"),
    ("create member", "email", "robert'); DROP TABLE member;--@example.org"),
    ("create member", "email", "nul\x00@example.org"),
    ("create member", "name", "Line\nBreak"),
    ("create member", "role", "manager' OR '1'='1"),
    ("update member", "email", SQL),
    ("create resource", "slug", SCRIPT),
    ("create resource", "slug", "UPPER"),
    ("create resource", "name", "Tab\tin name"),
    ("create resource", "parent", SQL),
    ("create resource", "parent", "nul\x00"),
    ("create resource", "opening_hours", {"mon": [[SCRIPT, SQL]]}),
    ("update resource", "privacy", SQL),
    ("create badge", "uid", SCRIPT),
    ("create badge", "uid", SQL),
    ("create badge", "uid", "04A2\x002B1C"),
    ("create badge", "label", "Esc\x1b[31m"),
    ("create badge", "reader_format", "../../hex"),
    ("create qualification", "resource", SQL),
    ("create qualification", "resource", "laser\x00"),
    ("create qualification", "expires_at", SQL),
]


@pytest.mark.parametrize(("route", "field", "value"), HOSTILE)
def test_a_hostile_value_is_422_naming_the_field(
    client, auth, routes, snapshot, route, field, value
):
    method, url, valid = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, json={**valid, field: value})
    body = _assert_error(response, 422, "invalid")
    assert field in body["fields"], body
    assert snapshot() == before


@pytest.mark.parametrize(
    "value", [SCRIPT, SQL, "Zo\u00eb \u00c5ngstr\u00f6m \u4e2d\u6587 \U0001f6e0"]
)
def test_free_text_is_stored_and_returned_literally(client, auth, count, value):
    from app.models import Tenant

    before = count(Tenant)
    response = client.post(
        "/api/v1/tenants",
        json={"name": value, "slug": "literal", "sector": "other"},
        headers=auth("manager"),
    )
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert response.get_json()["name"] == value
    assert count(Tenant) == before + 1  # the SQL in the name ran nowhere


@pytest.mark.parametrize("route", ROUTE_NAMES)
@pytest.mark.parametrize("extra", [{"is_admin": True}, {"id": 99}, {"password_hash": "x"}])
def test_an_unknown_field_is_422_naming_it(client, auth, routes, snapshot, route, extra):
    method, url, valid = routes[route]
    headers = auth("manager")
    before = snapshot()
    response = _send(client, headers, method, url, json={**valid, **extra})
    body = _assert_error(response, 422, "invalid")
    (name,) = extra
    assert body["fields"] == {name: "Unknown field."}
    assert snapshot() == before


@pytest.mark.parametrize(
    "query",
    ["page=0", "page=-1", "page=abc", "page=1000001", "per_page=0", "per_page=ten", "tenant_id=x"],
)
def test_a_bad_query_parameter_is_422_naming_it(client, auth, query):
    response = client.get(f"/api/v1/members?{query}", headers=auth("manager"))
    body = _assert_error(response, 422, "invalid")
    assert set(body["fields"]) == {query.partition("=")[0]}


def test_a_search_with_control_characters_is_422(client, auth):
    response = client.get("/api/v1/members?search=a%00b", headers=auth("manager"))
    assert _assert_error(response, 422, "invalid")["fields"].keys() == {"search"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nothing-here",
        "/api/v1/tenants/0",
        "/api/v1/tenants/-1",
        "/api/v1/tenants/abc",
        "/api/v1/tenants/99999999999999999999",
        "/api/v1/members/2147483648",
        "/api/v1/resources/Not%20A%20Slug",
        "/api/v1/resources/nul%00",
        "/api/v2/me",
        "/api/",
    ],
)
def test_an_unknown_api_url_is_a_json_404(client, auth, url):
    response = client.get(url, headers=auth("manager"))
    _assert_error(response, 404, "not_found")


def test_an_unknown_api_url_is_a_json_404_without_a_token_too(client):
    _assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "url"),
    [("PUT", "/api/v1/me"), ("DELETE", "/api/v1/tenants"), ("PATCH", "/api/v1/badges/1")],
)
def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(client, auth, method, url):
    response = client.open(url, method=method, headers=auth("manager"), json={})
    _assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_a_service_refusal_has_the_same_shape(client, auth, tenant_a):
    response = client.post(
        "/api/v1/tenants",
        json={"name": "Other", "slug": tenant_a.slug, "sector": "tech"},
        headers=auth("manager"),
    )
    body = _assert_error(response, 422, "invalid")
    assert body == {
        "error": "invalid",
        "message": "Some fields are not valid.",
        "fields": {"slug": "Another tenant already uses this short name."},
    }


def test_a_charset_parameter_on_the_json_content_type_is_fine(client, auth):
    response = client.post(
        "/api/v1/tenants",
        data='{"name": "Met Charset", "slug": "charset", "sector": "tech"}',
        content_type="application/json; charset=utf-8",
        headers=auth("manager"),
    )
    assert response.status_code == 201


def test_json_constants_that_are_not_json_are_refused(client, auth, snapshot):
    headers = auth("manager")
    before = snapshot()
    response = client.post(
        "/api/v1/resources",
        data='{"slug": "oven", "name": "Oven", "kind": "kitchen", "hourly_rate": NaN}',
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code in (400, 422)
    assert snapshot() == before
