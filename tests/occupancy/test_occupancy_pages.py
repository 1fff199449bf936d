"""The occupancy pages: managers see heatmaps and trends; a company sees only its own trend."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.occupancy.occupancy_support import add_session

pytestmark = pytest.mark.db


@pytest.fixture
def two_companies(db_session, make_tenant, make_member, laser, now):  # type: ignore[no-untyped-def]
    """Alfa ran the laser 2 h this month (or today), Bravo 5 h, each inside the current month."""
    from app.models import Sector
    from app.services.occupancy import months_back
    from tests.occupancy.occupancy_support import BRUSSELS

    ((_, (month_start, _)),) = months_back(now, BRUSSELS, 1)
    alfa = make_tenant(name="Atelier Alfa", slug="alfa", sector=Sector.CREATIVE)
    bravo = make_tenant(name="Brouwerij Bravo", slug="bravo", sector=Sector.TRADITIONAL)
    a = make_member(tenant=alfa, name="Anna Alfa")
    b = make_member(tenant=bravo, name="Bert Bravo")
    # Sessions well inside the current month: from its start (or 7 h before now, if later).
    start = max(month_start, now - dt.timedelta(hours=7))
    add_session(db_session, laser, start, start + dt.timedelta(hours=2), member=a)
    add_session(db_session, laser, start, start + dt.timedelta(hours=5), member=b)
    return {"alfa": alfa, "bravo": bravo, "a": a, "b": b}


def last_month_row(html: str) -> list[str]:
    """The cells of the trend table's last row (this month)."""
    body = html.rsplit("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", rows[-1], re.S)]


def test_a_manager_sees_a_heatmap_per_facility_and_the_trend(
    sign_in, make_member, fablab, laser, room, two_companies
) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    response = client.get("/occupancy/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Two facilities (Fablab, the room) and the trend: three charts, each with its table.
    assert html.count('role="img"') == 3
    assert "Fablab: share of each hour in use" in html
    assert last_month_row(html)[1] == "7"


def test_the_booked_measure_is_a_choice(sign_in, make_member, fablab, laser) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    html = client.get("/occupancy/?measure=booked").get_data(as_text=True)
    assert "Fablab: share of each hour booked" in html


def test_a_bad_period_is_explained(sign_in, make_member, fablab) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    response = client.get("/occupancy/?start=2026-01-01&end=2026-09-01")
    assert response.status_code == 422
    assert "at most three months" in response.get_data(as_text=True)
    response = client.get("/occupancy/?start=2026-13-01")
    assert response.status_code == 422


def test_a_manager_sees_one_resource_both_ways(sign_in, make_member, laser) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    html = client.get(f"/occupancy/resources/{laser.id}").get_data(as_text=True)
    assert "Laser cutter: share of each hour in use" in html
    assert "Laser cutter: share of each hour booked" in html
    assert client.get("/occupancy/resources/999999").status_code == 404


def test_a_company_sees_only_its_own_trend(sign_in, two_companies) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(two_companies["a"])
    response = client.get("/occupancy/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Atelier Alfa" in html
    assert "Brouwerij Bravo" not in html
    assert last_month_row(html)[1] == "2"
    assert "share of each hour" not in html  # no building heatmaps


def test_a_company_cannot_read_another_companys_trend(sign_in, two_companies) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(two_companies["a"])
    assert client.get(f"/occupancy/tenants/{two_companies['bravo'].id}").status_code == 404
    own = client.get(f"/occupancy/tenants/{two_companies['alfa'].id}")
    assert own.status_code == 200
    assert last_month_row(own.get_data(as_text=True))[1] == "2"


def test_a_company_cannot_see_heatmaps(sign_in, two_companies, laser) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(two_companies["b"])
    assert client.get(f"/occupancy/resources/{laser.id}").status_code == 403


def test_a_manager_reads_any_companys_trend(sign_in, make_member, two_companies) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    html = client.get(f"/occupancy/tenants/{two_companies['bravo'].id}").get_data(as_text=True)
    assert last_month_row(html)[1] == "5"


def test_tenant_admins_are_scoped_too(sign_in, make_member, two_companies) -> None:  # type: ignore[no-untyped-def]
    admin = make_member(role="tenant_admin", tenant=two_companies["bravo"])
    client = sign_in(admin)
    assert client.get(f"/occupancy/tenants/{two_companies['alfa'].id}").status_code == 404
    assert last_month_row(client.get("/occupancy/").get_data(as_text=True))[1] == "5"


def test_occupancy_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/occupancy/")
    assert response.status_code in (302, 401)


def test_the_nav_links_managers_to_occupancy_and_every_page_to_the_public_report(
    sign_in, make_member
) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    html = client.get("/").get_data(as_text=True)
    assert 'href="/occupancy/"' in html
    assert 'href="/public/"' in html


def test_a_company_that_does_not_exist_is_not_found(sign_in, make_member, two_companies) -> None:  # type: ignore[no-untyped-def]
    client = sign_in(make_member(role="manager"))
    missing = max(company.id for company in two_companies.values()) + 100
    assert client.get(f"/occupancy/tenants/{missing}").status_code == 404
