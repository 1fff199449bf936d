"""The report routes (pages and API) for each role: tenant A never sees tenant B."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.conftest import login
from tests.reports.reports_support import local

pytestmark = pytest.mark.db

NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def usage_of_both(member_a, member_b, manager, room, make_booking):
    """Each company booked the room once in November; the incubator too."""
    make_booking(room, member_a, local(2026, 11, 3, 9), local(2026, 11, 3, 11))
    make_booking(room, member_b, local(2026, 11, 4, 9), local(2026, 11, 4, 12))
    make_booking(room, manager, local(2026, 11, 5, 9), local(2026, 11, 5, 10), tenant=None)


@pytest.fixture
def api(client, api_token, people):  # type: ignore[no-untyped-def]
    def get(who: str, **args: str):  # type: ignore[no-untyped-def]
        return client.get(
            "/api/v1/reports/usage", query_string=args, headers=api_token(people[who])
        )

    return get


def test_a_manager_sees_every_company_and_the_incubator(api, usage_of_both, tenant_a, tenant_b):
    answer = api("manager", **NOVEMBER)
    assert answer.status_code == 200, answer.json
    rows = {row["key"]: row for row in answer.json["rows"]}
    assert rows[f"tenant:{tenant_a.id}"]["booked_hours"] == 2.0
    assert rows[f"tenant:{tenant_b.id}"]["booked_hours"] == 3.0
    assert rows["incubator"]["booked_hours"] == 1.0
    assert rows["incubator"]["billable_hours"] == 0.0
    assert answer.json["total"]["booked_hours"] == 6.0
    assert answer.json["tenant"] is None


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
@pytest.mark.parametrize("group_by", ["tenant", "resource", "sector"])
def test_a_company_sees_only_its_own_use_through_the_api(
    api, usage_of_both, who, group_by, tenant_a, tenant_b
):
    answer = api(who, group_by=group_by, tenant=str(tenant_b.id), **NOVEMBER)
    assert answer.status_code == 200, answer.json
    assert answer.json["tenant"] == tenant_a.id  # forced by the server, not the parameter
    assert answer.json["total"]["booked_hours"] == 2.0
    text = answer.get_data(as_text=True)
    assert "Brouwerij Bravo" not in text
    assert f"tenant:{tenant_b.id}" not in text
    assert "incubator" not in text


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_a_company_sees_only_its_own_use_on_the_page(client, people, usage_of_both, who, tenant_b):
    login(client, people[who])
    page = client.get("/reports", query_string={"tenant": str(tenant_b.id), **NOVEMBER})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Atelier Alfa" in html
    assert "Brouwerij Bravo" not in html
    assert "Bea Member" not in html


@pytest.mark.parametrize("who", ["admin_a", "member_a"])
def test_a_company_downloads_only_its_own_csv(client, people, usage_of_both, who, tenant_b):
    login(client, people[who])
    answer = client.get("/reports/usage.csv", query_string={"tenant": str(tenant_b.id), **NOVEMBER})
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert "Atelier Alfa" in text
    assert "Brouwerij Bravo" not in text


def test_a_member_gets_no_rows_per_person(api, client, member_a, usage_of_both):
    assert api("member_a", group_by="member", **NOVEMBER).status_code == 403
    login(client, member_a)
    assert (
        client.get("/reports", query_string={"group_by": "member", **NOVEMBER}).status_code == 422
    )


def test_a_company_admin_sees_its_members_but_no_one_elses(api, usage_of_both, member_a, member_b):
    answer = api("admin_a", group_by="member", **NOVEMBER)
    assert answer.status_code == 200
    keys = {row["key"] for row in answer.json["rows"]}
    assert keys == {f"member:{member_a.id}"}
    assert answer.json["total"]["door_entries"] is None  # no per-person door history


def test_the_page_shows_the_chart_and_the_table_to_a_manager(client, manager, usage_of_both):
    login(client, manager)
    html = client.get("/reports", query_string=NOVEMBER).get_data(as_text=True)
    assert "<svg" in html
    assert "<title" in html
    assert "Atelier Alfa" in html
    assert "Brouwerij Bravo" in html
    assert 'href="/reports"' in html  # the navigation link


def test_someone_not_logged_in_is_sent_to_the_login(client):
    assert client.get("/reports").status_code in (302, 401)
    assert client.get("/api/v1/reports/usage").status_code == 401


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
        ({"start": "yesterday", "end": "2026-11-01"}, "start"),
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2025-01-01", "end": "2026-12-31"}, "end"),
        ({"group_by": "planet"}, "group_by"),
        ({"format": "xls"}, "format"),
    ],
)
def test_bad_input_is_refused_with_the_reason(api, args, field):
    answer = api("manager", **args)
    assert answer.status_code == 422
    assert answer.json["error"] == "invalid"
    assert field in answer.json["fields"]
    assert answer.json["message"]


def test_bad_dates_on_the_page_are_shown_at_the_field(client, manager):
    login(client, manager)
    page = client.get("/reports", query_string={"start": "2026-11-30", "end": "2026-11-01"})
    assert page.status_code == 422
    assert "The end must not be before the start." in page.get_data(as_text=True)


def test_the_csv_opens_in_a_belgian_spreadsheet(api, usage_of_both, tenant_a):
    answer = api("manager", format="csv", **NOVEMBER)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:3] == ["From", "To", "Company"]
    for column in ("Booked hours", "Used hours", "Billable hours", "No-shows", "Utilisation (%)"):
        assert column in header
    by_group = {row[2]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    alfa = by_group["Atelier Alfa"]
    assert alfa["Booked hours"] == "2,00"  # decimal comma
    assert dt.datetime.strptime(alfa["From"], "%d/%m/%Y").date() == dt.date(2026, 11, 1)
    assert dt.datetime.strptime(alfa["To"], "%d/%m/%Y").date() == dt.date(2026, 11, 30)
    assert by_group["Total"]["Booked hours"] == "6,00"
    assert all(len(row) == len(header) for row in rows)


def test_a_company_admin_sees_the_door_entries_per_day_without_names(
    client, admin_a, member_a, usage_of_both, make_device, make_entry
):
    door = make_device("door-main", "door")
    make_entry(door, member_a, local(2026, 11, 3, 8))
    make_entry(door, member_a, local(2026, 11, 3, 12))
    login(client, admin_a)
    html = client.get("/reports", query_string=NOVEMBER).get_data(as_text=True)
    assert "Door entries per day" in html
    assert "Arne Member" not in html  # who came in stays private


def test_a_manager_can_look_at_one_company(api, usage_of_both, tenant_a, tenant_b):
    answer = api("manager", tenant=str(tenant_b.id), **NOVEMBER)
    assert answer.json["tenant"] == tenant_b.id
    assert [row["key"] for row in answer.json["rows"]] == [f"tenant:{tenant_b.id}"]
