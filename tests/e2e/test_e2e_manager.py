"""A manager uses the site in a real browser, as a person would."""

import re

import pytest

from tests.e2e.conftest import MANAGER_EMAIL, MANAGER_PASSWORD

pytestmark = pytest.mark.e2e


def test_manager_creates_a_tenant_and_a_member_then_reads_the_site_in_dutch(page):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(MANAGER_EMAIL)
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=re.compile("Welcome")).wait_for()

    page.get_by_role("navigation").get_by_role("link", name="Tenants").click()
    page.get_by_role("link", name="Add a tenant").click()
    page.get_by_label("Name", exact=True).fill("Keramiekstudio Klei")
    page.get_by_label("Short name", exact=True).fill("klei")
    page.get_by_label("Sector", exact=True).select_option("creative")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Keramiekstudio Klei").wait_for()

    page.get_by_role("navigation").get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Add a member").click()
    page.get_by_label("Name", exact=True).fill("Lotte Klei")
    page.get_by_label("E-mail address", exact=True).fill("lotte@klei.example.org")
    page.get_by_label("Tenant", exact=True).select_option(label="Keramiekstudio Klei")
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("navigation").get_by_role("link", name="Members").click()
    assert page.get_by_text("lotte@klei.example.org").is_visible()
    assert page.get_by_text("Lotte Klei").first.is_visible()

    page.get_by_role("button", name="Nederlands").click()
    page.get_by_role("navigation").get_by_role("link", name="Huurders").wait_for()
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("button", name="Afmelden").is_visible()
