"""The playground in a real browser: what a person does on the page reaches the real bot.

Each test starts ``benefits-bot playground`` (its clock at 2026-12-01 10:00 UTC,
the example inventory loaded) and drives the page in Chromium; every moment
worth seeing is saved as a screenshot (see conftest.py).
"""

from __future__ import annotations

import re
from typing import Any

from tests.playground.conftest import ARTEFACTS

ADA = "Ada Member"  # holds Windows 11 Enterprise and Office (example inventory)
GLORIA = "Gloria Global"
UMA = "Uma Directory"  # a User management admin: no seat of anything
TIMEOUT = 15_000  # ms


class Screen:
    """The page, with the gestures a person makes in Slack."""

    def __init__(self, browser: Any, url: str, test: str) -> None:
        from playwright.sync_api import expect

        self.expect = expect
        self.context = browser.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.expect.set_options(timeout=TIMEOUT)
        self.test = test
        self.page.goto(url)
        self.expect(self.page.get_by_test_id("clock")).not_to_have_text("…")

    def close(self) -> None:
        self.context.close()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTEFACTS / f"{self.test}-{name}.png"))

    def be(self, name: str) -> None:
        self.page.get_by_test_id("person").select_option(label=name)

    def open_dm(self) -> None:
        self.page.get_by_test_id("nav-dm").click()

    def open_channel(self, name: str) -> None:
        self.page.get_by_test_id(f"nav-{name}").click()

    def type(self, text: str) -> None:
        composer = self.page.get_by_test_id("composer")
        composer.fill(text)
        composer.press("Enter")

    def messages(self) -> Any:
        return self.page.get_by_test_id("messages")

    def modal(self) -> Any:
        return self.page.get_by_test_id("modal")

    def move_clock(self, days: int) -> None:
        before = self.page.get_by_test_id("clock").get_attribute("data-now")
        self.page.get_by_test_id("clock-amount").fill(str(days))
        self.page.get_by_test_id("clock-unit").select_option(label="days")
        self.page.get_by_test_id("clock-move").click()
        self.expect(self.page.get_by_test_id("clock")).not_to_have_attribute(
            "data-now", before or ""
        )


def test_a_member_requests_a_benefit_and_a_global_admin_approves_it(
    browser: Any, playground_url: str
) -> None:
    screen = Screen(browser, playground_url, "approve")
    try:
        screen.be(ADA)
        screen.open_dm()
        screen.type("/benefits list software")
        listing = screen.page.get_by_test_id("ephemeral").filter(has_text="Windows Server 2025")
        screen.expect(listing.last).to_contain_text("4 of 4")
        screen.type("/benefits request windows-server-2025-standard for the build server")
        answer = screen.page.get_by_test_id("ephemeral").last
        screen.expect(answer).to_contain_text("Windows Server 2025")
        screen.shot("1-member-requests")

        screen.be(GLORIA)
        screen.open_channel("benefits-admins")
        request = screen.page.get_by_test_id("message").filter(has_text="build server")
        screen.expect(request.get_by_role("button", name="Approve")).to_be_visible()
        ts = request.get_attribute("data-ts")
        screen.shot("2-admin-sees-the-request")
        request.get_by_role("button", name="Approve").click()
        updated = screen.page.locator(f'[data-testid="message"][data-ts="{ts}"]')
        screen.expect(updated.get_by_role("button", name="Approve")).to_have_count(0)
        screen.expect(updated).to_contain_text(re.compile("approved", re.IGNORECASE))
        screen.shot("3-the-request-updated-in-place")

        screen.be(ADA)
        screen.open_dm()
        outcome = screen.page.get_by_test_id("message").filter(has_text="Windows Server 2025")
        screen.expect(outcome.last).to_contain_text(re.compile("approved", re.IGNORECASE))
        screen.shot("4-the-member-hears-the-outcome")
        screen.type("/benefits list software")
        listing = screen.page.get_by_test_id("ephemeral").filter(has_text="Windows Server 2025")
        screen.expect(listing.last).to_contain_text("3 of 4")
        screen.shot("5-one-seat-fewer")
    finally:
        screen.close()


def test_a_denial_asks_for_a_reason_in_a_modal(browser: Any, playground_url: str) -> None:
    screen = Screen(browser, playground_url, "deny")
    try:
        screen.be(ADA)
        screen.open_dm()
        screen.type("/benefits request windows-server-2025-standard for a test lab")
        screen.be(GLORIA)
        screen.open_channel("benefits-admins")
        request = screen.page.get_by_test_id("message").filter(has_text="test lab")
        request.get_by_role("button", name="Deny").click()
        screen.expect(screen.modal()).to_be_visible()
        screen.shot("1-deny-opens-a-modal")
        screen.page.get_by_test_id("modal-submit").click()
        screen.expect(screen.page.get_by_test_id("input-error")).to_be_visible()
        screen.shot("2-an-empty-reason-is-refused-inline")
        screen.modal().locator("textarea, input.bk-input").first.fill("No seats for labs this year")
        screen.page.get_by_test_id("modal-submit").click()
        screen.expect(screen.modal()).to_have_count(0)
        screen.expect(request).to_contain_text(re.compile("denied", re.IGNORECASE))
        screen.shot("3-the-request-is-denied")
    finally:
        screen.close()


def test_a_holder_reveals_product_keys_and_someone_without_a_seat_is_refused(
    browser: Any, playground_url: str
) -> None:
    screen = Screen(browser, playground_url, "keys")
    try:
        screen.be(ADA)
        screen.open_dm()
        screen.type("/benefits keys windows-11-enterprise")
        modal = screen.modal()
        screen.expect(modal).to_be_visible()
        selects = modal.locator("select")
        selects.nth(0).select_option(label="English")
        selects.nth(1).select_option(label="x64")
        screen.shot("1-language-and-os")
        screen.page.get_by_test_id("modal-submit").click()
        screen.expect(modal).to_contain_text("XXXXX-XXXXX-XXXXX-XXXXX-00001")
        screen.shot("2-the-keys")
        modal.get_by_role("button", name="Close").click()

        screen.be(UMA)
        screen.open_dm()
        screen.type("/benefits keys windows-11-enterprise")
        refusal = screen.page.get_by_test_id("ephemeral").last
        screen.expect(refusal).to_contain_text("Windows 11")
        screen.expect(screen.modal()).to_have_count(0)
        screen.expect(refusal).not_to_contain_text("XXXXX")
        screen.shot("3-no-seat-no-keys")
    finally:
        screen.close()


def test_moving_the_clock_brings_the_expiry_reminders_once_each(
    browser: Any, playground_url: str
) -> None:
    screen = Screen(browser, playground_url, "clock")
    try:
        screen.be(ADA)
        screen.open_dm()
        reminders = screen.page.get_by_test_id("message").filter(has_text="Windows 11 Enterprise")
        screen.expect(reminders).to_have_count(0)
        # Windows 11 Enterprise ends on 2027-02-28; reminders go out at 09:00 UTC.
        screen.move_clock(59)  # 2027-01-29 10:00: 30 days before its end
        screen.expect(reminders).to_have_count(1)
        screen.shot("1-thirty-days-before")
        screen.move_clock(1)
        screen.page.wait_for_timeout(1500)  # time for a second one, were it wrongly sent
        screen.expect(reminders).to_have_count(1)
        screen.move_clock(22)  # 2027-02-21 10:00: 7 days before
        screen.expect(reminders).to_have_count(2)
        screen.shot("2-seven-days-before")
        outbox = screen.page.get_by_test_id("outbox")
        screen.expect(outbox).to_contain_text("sent")
    finally:
        screen.close()
