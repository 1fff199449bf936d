"""Statement pages and API: who sees which tenant's statement (tenant isolation)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.statements.conftest import local

pytestmark = pytest.mark.db

MONTH = "2026-10"


@pytest.fixture
def bookings(member_a, member_b, resources, store_booking):  # type: ignore[no-untyped-def]
    store_booking(member_a, resources["room"], local(2026, 10, 5, 9), local(2026, 10, 5, 16))
    store_booking(member_b, resources["room"], local(2026, 10, 6, 9), local(2026, 10, 6, 21))


def signed_in(client: Any, db_session: Any, member: Any) -> Any:
    from tests.conftest import login

    db_session.commit()
    return login(client, member)


# -- pages ---------------------------------------------------------------------


def test_manager_picks_any_tenant_and_month(client, db_session, manager, tenant_b, bookings):  # type: ignore[no-untyped-def]
    page = signed_in(client, db_session, manager).get(
        f"/statements/?tenant={tenant_b.id}&month={MONTH}"
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Brouwerij Bravo \u2013 2026-10" in text
    assert 'name="tenant"' in text  # the tenant picker
    assert "Atelier" in text  # listed in the picker


def test_tenant_admin_sees_only_their_own_tenant(client, db_session, admin_a, tenant_b, bookings):  # type: ignore[no-untyped-def]
    page = signed_in(client, db_session, admin_a).get(
        f"/statements/?tenant={tenant_b.id}&month={MONTH}"
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Atelier Ölsen &amp; Zonen \u2013 2026-10" in text
    assert "Bravo" not in text
    assert 'name="tenant"' not in text


@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_tenant_admin_cannot_download_another_tenants_statement(
    client, db_session, admin_a, tenant_b, bookings, fmt
):  # type: ignore[no-untyped-def]
    answer = signed_in(client, db_session, admin_a).get(f"/statements/{tenant_b.id}/{MONTH}.{fmt}")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("fmt", "media", "start"),
    [("csv", "text/csv", b"\xef\xbb\xbf"), ("pdf", "application/pdf", b"%PDF")],
)
def test_downloads(client, db_session, admin_a, tenant_a, bookings, fmt, media, start):  # type: ignore[no-untyped-def]
    answer = signed_in(client, db_session, admin_a).get(f"/statements/{tenant_a.id}/{MONTH}.{fmt}")
    assert answer.status_code == 200
    assert answer.mimetype == media
    assert answer.data.startswith(start)
    assert f"statement-atelier-{MONTH}.{fmt}" in answer.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "path",
    [
        "/statements/",
        "/statements/{a}/2026-10.csv",
        "/statements/{a}/2026-10.pdf",
        "/statements/data-export",
    ],
)
def test_members_have_no_statements(client, db_session, member_a, tenant_a, path):  # type: ignore[no-untyped-def]
    answer = signed_in(client, db_session, member_a).get(path.format(a=tenant_a.id))
    assert answer.status_code == 403


def test_a_wrong_month_is_shown_as_an_error(client, db_session, admin_a):  # type: ignore[no-untyped-def]
    answer = signed_in(client, db_session, admin_a).get("/statements/?month=2026-13")
    assert answer.status_code == 422
    assert "YYYY-MM" in answer.get_data(as_text=True)


def test_statements_need_a_login(client, tenant_a):  # type: ignore[no-untyped-def]
    assert client.get("/statements/").status_code in (302, 401)


# -- API -----------------------------------------------------------------------


def test_api_statement_as_json(client, manager, tenant_a, bookings, api_token):  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/statements?tenant={tenant_a.id}&month={MONTH}", headers=api_token(manager)
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["tenant"]["slug"] == "atelier"
    assert body["total_amount"] == "60.00"  # 7 h, 4 included, 3 x 20
    assert [line["source"] for line in body["lines"]] == ["booking"]


@pytest.mark.parametrize(("fmt", "media"), [("csv", "text/csv"), ("pdf", "application/pdf")])
def test_api_statement_as_a_file(client, admin_a, bookings, api_token, fmt, media):  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/statements?month={MONTH}&format={fmt}", headers=api_token(admin_a)
    )
    assert answer.status_code == 200
    assert answer.mimetype == media
    assert "attachment" in answer.headers["Content-Disposition"]


@pytest.mark.parametrize("fmt", ["json", "csv", "pdf"])
def test_api_tenant_admin_gets_404_for_another_tenant(
    client, admin_a, tenant_b, bookings, api_token, fmt
):  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/statements?tenant={tenant_b.id}&month={MONTH}&format={fmt}",
        headers=api_token(admin_a),
    )
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "not_found"


def test_api_members_get_403(client, member_a, tenant_a, api_token):  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/statements?tenant={tenant_a.id}", headers=api_token(member_a))
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("month=2026-13", "month"),
        ("month=nonsense", "month"),
        ("", "tenant"),
        ("format=xls&tenant=1", "format"),
    ],
)
def test_api_bad_input_answers_422_with_the_field(client, manager, api_token, query, field):  # type: ignore[no-untyped-def]
    if "tenant" not in query and field != "tenant":
        query += "&tenant=1"
    answer = client.get(f"/api/v1/statements?{query}", headers=api_token(manager))
    assert answer.status_code == 422
    assert field in answer.get_json()["fields"]


def test_api_statements_are_in_the_openapi_document(client):  # type: ignore[no-untyped-def]
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/statements" in paths
    assert "/api/v1/members/{member_id}/export" in paths
    assert "/api/v1/tenants/{tenant_id}/export" in paths
