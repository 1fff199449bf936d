"""Data exports on request (GDPR): contents, formats, who may, and the audit row."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from tests.statements.conftest import local

pytestmark = pytest.mark.db


@pytest.fixture
def records(
    member_a, member_b, resources, make_badge, store_booking, store_session, store_event, db_session
):  # type: ignore[no-untyped-def]
    from app.models import Qualification

    badge = make_badge(member_a, uid="04A1B2C3D4E5F6")
    db_session.add(Qualification(member_id=member_a.id, resource_id=resources["laser"].id))
    store_booking(
        member_a, resources["room"], local(2026, 10, 5, 9), local(2026, 10, 5, 12), title="Pitch"
    )
    store_session(member_a, resources["printer"], local(2026, 10, 8, 10), local(2026, 10, 8, 11))
    store_event(member_a, local(2026, 10, 8, 9, 58), badge=badge.uid)
    # another company's rows: never in A's exports
    store_booking(
        member_b, resources["room"], local(2026, 10, 6, 9), local(2026, 10, 6, 12), title="Bravo"
    )
    store_session(member_b, resources["printer"], local(2026, 10, 9, 10), local(2026, 10, 9, 11))
    db_session.commit()
    return badge


def audit_rows(db_session: Any, action: str) -> list[Any]:
    from app.models import AuditLog

    db_session.expire_all()
    return list(db_session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_member_export_as_json(client, manager, member_a, records, api_token, db_session):  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/v1/members/{member_a.id}/export", headers=api_token(manager))
    assert answer.status_code == 200
    body = answer.get_json()
    tables = body["tables"]
    assert body["export"] == "member"
    assert tables["profile"][0]["email"] == member_a.email
    assert "password_hash" not in tables["profile"][0]
    assert tables["badges"][0]["uid_sha256"] == hashlib.sha256(b"04A1B2C3D4E5F6").hexdigest()
    assert "04A1B2C3D4E5F6" not in answer.get_data(as_text=True)  # never the UID itself
    assert [q["resource"] for q in tables["qualifications"]] == ["laser"]
    assert [b["title"] for b in tables["bookings"]] == ["Pitch"]
    assert tables["bookings"][0]["start"] == "2026-10-05T07:00:00Z"
    assert len(tables["sessions"]) == 1
    assert len(tables["access_events"]) == 1
    assert tables["access_events"][0]["badge_sha256"] == tables["badges"][0]["uid_sha256"]
    (row,) = audit_rows(db_session, "member.data_export")
    assert (row.actor_id, row.object_id, row.tenant_id) == (
        manager.id,
        str(member_a.id),
        member_a.tenant_id,
    )
    assert row.details["format"] == "json"
    assert row.details["rows"]["bookings"] == 1


def test_tenant_export_as_a_zip_of_csv_files(
    client, manager, tenant_a, member_a, admin_a, records, api_token, db_session
):  # type: ignore[no-untyped-def]
    answer = client.get(
        f"/api/v1/tenants/{tenant_a.id}/export?format=csv", headers=api_token(manager)
    )
    assert answer.status_code == 200
    assert answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    names = sorted(name.rsplit("/", 1)[1] for name in archive.namelist())
    assert names == ["bookings.csv", "members.csv", "sessions.csv", "tenant.csv"]

    def table(name: str) -> list[dict[str, str]]:
        (path,) = [n for n in archive.namelist() if n.endswith("/" + name)]
        text = archive.read(path).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))

    assert table("tenant.csv")[0]["slug"] == "atelier"
    assert {m["email"] for m in table("members.csv")} == {member_a.email, admin_a.email}
    bookings = table("bookings.csv")
    assert [b["title"] for b in bookings] == ["Pitch"]  # not Bravo's
    assert bookings[0]["start"] == "05/10/2026 09:00"  # Brussels time, Belgian dialect
    assert len(table("sessions.csv")) == 1
    (row,) = audit_rows(db_session, "tenant.data_export")
    assert row.details["format"] == "csv"


@pytest.mark.parametrize("who", ["admin_a", "member_a", "admin_b"])
@pytest.mark.parametrize(
    "path", ["/api/v1/members/{member}/export", "/api/v1/tenants/{tenant}/export"]
)
def test_only_managers_export(
    client, request, tenant_a, member_a, api_token, db_session, who, path
):  # type: ignore[no-untyped-def]
    caller = request.getfixturevalue(who)
    answer = client.get(
        path.format(member=member_a.id, tenant=tenant_a.id), headers=api_token(caller)
    )
    assert answer.status_code == 403
    assert audit_rows(db_session, "member.data_export") == []
    assert audit_rows(db_session, "tenant.data_export") == []


def test_an_unknown_subject_is_404(client, manager, api_token):  # type: ignore[no-untyped-def]
    answer = client.get("/api/v1/members/999999/export", headers=api_token(manager))
    assert answer.status_code == 404


def test_export_page_for_managers(client, manager, member_a, records, db_session):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    db_session.commit()
    login(client, manager)
    assert client.get("/statements/data-export").status_code == 200
    answer = client.post(
        "/statements/data-export",
        data={"subject": "member", "subject_id": member_a.id, "format": "json"},
    )
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.get_json()["tables"]["profile"][0]["id"] == member_a.id
    assert len(audit_rows(db_session, "member.data_export")) == 1


def test_member_and_tenant_pages_link_to_a_filled_in_export(  # type: ignore[no-untyped-def]
    client, manager, member_a, tenant_a, db_session
):
    from tests.conftest import login

    db_session.commit()
    login(client, manager)
    member_page = client.get(f"/members/{member_a.id}").get_data(as_text=True)
    link = f"/statements/data-export?subject=member&amp;subject_id={member_a.id}"
    assert link in member_page
    tenant_page = client.get(f"/manage/tenants/{tenant_a.id}").get_data(as_text=True)
    assert f"/statements/data-export?subject=tenant&amp;subject_id={tenant_a.id}" in tenant_page
    form = client.get(f"/statements/data-export?subject=tenant&subject_id={tenant_a.id}")
    page = form.get_data(as_text=True)
    assert re.search(rf'<input[^>]*name="subject_id"[^>]*value="{tenant_a.id}"', page)
    assert re.search(r'<input[^>]*checked[^>]*value="tenant"', page)


def test_export_page_shows_an_unknown_number(client, manager, db_session):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    db_session.commit()
    login(client, manager)
    answer = client.post(
        "/statements/data-export", data={"subject": "tenant", "subject_id": 999999, "format": "csv"}
    )
    assert answer.status_code == 422
    assert "No such tenant." in answer.get_data(as_text=True)


def test_tenant_admins_have_no_export_page(client, admin_a, db_session):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    db_session.commit()
    login(client, admin_a)
    assert client.get("/statements/data-export").status_code == 403
    assert client.post("/statements/data-export", data={"subject": "member"}).status_code == 403


def test_an_anonymised_session_has_no_member_in_the_tenant_export(
    manager, tenant_a, member_a, resources, store_session, db_session
):  # type: ignore[no-untyped-def]
    from app.services.data_export import export_tenant_data
    from app.services.retention import run_retention

    store_session(member_a, resources["printer"], local(2023, 1, 9, 10), local(2023, 1, 9, 11))
    now = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    run_retention(now=now, days=730)
    db_session.expire_all()
    export = export_tenant_data(manager, tenant_a.id, fmt="json", now=now)
    (session,) = export.tables["sessions"]
    assert (session["member_id"], session["member"], session["tenant_id"]) == (
        None,
        None,
        tenant_a.id,
    )
