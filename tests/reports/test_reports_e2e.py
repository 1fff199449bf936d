"""The report pages in a real browser: a manager and a company admin, as people use them."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, MANAGER_EMAIL, MANAGER_PASSWORD

pytestmark = pytest.mark.e2e

E2E_SEED_DEMO = True
ADMIN_EMAIL = "an@houtatelier.example.org"  # tenant admin of Houtatelier Van Damme (demo data)


def log_in(page, email: str, password: str, home: str = "Welcome") -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="English").click()  # demo people may read Dutch
    page.get_by_role("heading", name=re.compile(home)).first.wait_for()


def test_a_manager_reads_the_report_per_resource_and_downloads_it(page):
    log_in(page, MANAGER_EMAIL, MANAGER_PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="Usage reports").wait_for()
    page.get_by_label("From", exact=True).fill("2026-10-01")
    page.get_by_label("To (included)", exact=True).fill("2026-10-31")
    page.get_by_label("Per", exact=True).select_option("resource")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name=re.compile("2026")).first.wait_for()
    assert page.locator("svg[role=img] title").count() >= 1  # the chart, with its title
    header = page.locator("table.report thead").text_content() or ""
    assert "Resource" in header
    assert "Billable hours" in header
    assert page.locator("table.report tbody tr").filter(has_text="Laser").count() == 1

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download as CSV")).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["From", "To", "Resource"]
    assert rows[1][0] == "01/10/2026"


def test_a_company_admin_sees_only_the_own_company_and_bad_dates_are_explained(page):
    log_in(page, ADMIN_EMAIL, DEMO_PASSWORD, home="Houtatelier")
    page.get_by_role("navigation").get_by_role("link", name="Reports").click()
    page.get_by_role("heading", name="Our company's use").wait_for()
    assert page.get_by_label("Company", exact=True).count() == 0  # no choice of company
    body = page.locator("main").inner_text()
    assert "Studio Kleur" not in body

    page.get_by_label("From", exact=True).fill("2026-10-31")
    page.get_by_label("To (included)", exact=True).fill("2026-10-01")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_text("The end must not be before the start.").is_visible()
