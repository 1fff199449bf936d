"""A member books the kitchen in a real browser, sees the booking, cancels it."""

import re

import pytest

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

E2E_SEED_DEMO = True
MEMBER_EMAIL = "dries@studiokleur.example.org"  # a plain member of Studio Kleur (demo data)
TITLE = "Jam session"


def test_a_member_books_a_free_slot_sees_it_and_cancels_it(page):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(MEMBER_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="English").click()  # the demo member reads Dutch
    page.get_by_role("heading", name=re.compile("Welcome")).wait_for()

    # The week grid: choose the kitchen, go to next week (all of it lies ahead).
    page.get_by_role("navigation").get_by_role("link", name="Book", exact=True).click()
    page.get_by_label("Facility").select_option(label="Kitchen")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=re.compile("Next week")).click()
    page.get_by_role("heading", name="Book: Kitchen").wait_for()
    free = page.locator("td.slot.free a").first
    slot_link = free.get_attribute("href")
    about = free.locator(".sr-only").inner_text()  # "Kitchen, Monday 7 December, 07:00-07:30: "

    # Book it through the prefilled form.
    free.click()
    assert page.get_by_label("What").input_value() == "kitchen"
    page.get_by_label("Title").fill(TITLE)
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_role("heading", name=TITLE).wait_for()
    assert page.get_by_role("status").filter(has_text="Booked: Kitchen").is_visible()

    # It is in the grid, as mine, where the free slot was.
    page.get_by_role("link", name="The week of this booking").click()
    mine = page.locator("td.slot.mine a", has_text=TITLE)
    assert mine.count() == 1
    assert mine.locator(".sr-only").inner_text().split(",")[:2] == about.split(",")[:2]
    assert page.locator(f'a[href="{slot_link}"]').count() == 0

    # It is in "My bookings"; open it and cancel it.
    page.get_by_role("navigation").get_by_role("link", name="My bookings").click()
    page.get_by_role("link", name=re.compile(r"\d{2}:\d{2}")).first.wait_for()
    assert page.get_by_role("cell", name=TITLE).is_visible()
    page.get_by_role("row", name=re.compile(TITLE)).get_by_role("link").click()
    page.get_by_role("button", name="Cancel the booking").click()
    assert page.get_by_role("status").filter(has_text="The booking is cancelled.").is_visible()
    assert "cancelled" in page.locator("h1 + p").inner_text()

    # The slot is free again, and the booking has left the upcoming list.
    page.get_by_role("link", name="The week of this booking").click()
    assert page.locator("td.slot.mine").count() == 0
    assert page.locator(f'a[href="{slot_link}"]').count() == 1
    page.get_by_role("navigation").get_by_role("link", name="My bookings").click()
    assert page.get_by_text("No upcoming bookings.").is_visible()
