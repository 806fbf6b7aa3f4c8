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

    def __init__(self, page: Any, test: str) -> None:
        from playwright.async_api import expect

        self.expect = expect
        self.expect.set_options(timeout=TIMEOUT)
        self.page = page
        self.test = test

    @classmethod
    async def open(cls, browser: Any, url: str, test: str) -> Screen:
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT)
        screen = cls(page, test)
        await page.goto(url)
        await screen.expect(page.get_by_test_id("clock")).not_to_have_text("…")
        return screen

    async def close(self) -> None:
        await self.page.context.close()

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(ARTEFACTS / f"{self.test}-{name}.png"))

    async def be(self, name: str) -> None:
        await self.page.get_by_test_id("person").select_option(label=name)

    async def open_dm(self) -> None:
        await self.page.get_by_test_id("nav-dm").click()

    async def open_channel(self, name: str) -> None:
        await self.page.get_by_test_id(f"nav-{name}").click()

    async def type(self, text: str) -> None:
        composer = self.page.get_by_test_id("composer")
        await composer.fill(text)
        await composer.press("Enter")

    def messages(self) -> Any:
        return self.page.get_by_test_id("messages")

    def modal(self) -> Any:
        return self.page.get_by_test_id("modal")

    async def move_clock(self, days: int) -> None:
        before = await self.page.get_by_test_id("clock").get_attribute("data-now")
        await self.page.get_by_test_id("clock-amount").fill(str(days))
        await self.page.get_by_test_id("clock-unit").select_option(label="days")
        await self.page.get_by_test_id("clock-move").click()
        await self.expect(self.page.get_by_test_id("clock")).not_to_have_attribute(
            "data-now", before or ""
        )


async def test_a_member_requests_a_benefit_and_a_global_admin_approves_it(
    browser: Any, playground_url: str
) -> None:
    screen = await Screen.open(browser, playground_url, "approve")
    try:
        await screen.be(ADA)
        await screen.open_dm()
        await screen.type("/benefits list software")
        listing = screen.page.get_by_test_id("ephemeral").filter(has_text="Windows Server 2025")
        await screen.expect(listing.last).to_contain_text("4 of 4")
        await screen.type("/benefits request windows-server-2025-standard for the build server")
        answer = screen.page.get_by_test_id("ephemeral").last
        await screen.expect(answer).to_contain_text("Windows Server 2025")
        await screen.shot("1-member-requests")

        await screen.be(GLORIA)
        await screen.open_channel("benefits-admins")
        request = screen.page.get_by_test_id("message").filter(has_text="build server")
        await screen.expect(request.get_by_role("button", name="Approve")).to_be_visible()
        ts = await request.get_attribute("data-ts")
        # mrkdwn drawn as Slack draws it: the benefit in bold, the requester a mention.
        await screen.expect(request.locator(".slack_bold").first).to_have_text(
            "Windows Server 2025 Standard"
        )
        await screen.expect(request.locator(".user-mention").first).to_have_text("@Ada Member")
        await screen.shot("2-admin-sees-the-request")
        await request.get_by_role("button", name="Approve").click()
        updated = screen.page.locator(f'[data-testid="message"][data-ts="{ts}"]')
        await screen.expect(updated.get_by_role("button", name="Approve")).to_have_count(0)
        await screen.expect(updated).to_contain_text(re.compile("approved", re.IGNORECASE))
        await screen.shot("3-the-request-updated-in-place")

        await screen.be(ADA)
        await screen.open_dm()
        outcome = screen.page.get_by_test_id("message").filter(has_text="Windows Server 2025")
        await screen.expect(outcome.last).to_contain_text(re.compile("approved", re.IGNORECASE))
        await screen.shot("4-the-member-hears-the-outcome")
        await screen.type("/benefits list software")
        listing = screen.page.get_by_test_id("ephemeral").filter(has_text="Windows Server 2025")
        await screen.expect(listing.last).to_contain_text("3 of 4")
        await screen.shot("5-one-seat-fewer")
    finally:
        await screen.close()


async def test_a_denial_asks_for_a_reason_in_a_modal(browser: Any, playground_url: str) -> None:
    screen = await Screen.open(browser, playground_url, "deny")
    try:
        await screen.be(ADA)
        await screen.open_dm()
        await screen.type("/benefits request windows-server-2025-standard for a test lab")
        await screen.be(GLORIA)
        await screen.open_channel("benefits-admins")
        request = screen.page.get_by_test_id("message").filter(has_text="test lab")
        await request.get_by_role("button", name="Deny").click()
        await screen.expect(screen.modal()).to_be_visible()
        await screen.shot("1-deny-opens-a-modal")
        await screen.page.get_by_test_id("modal-submit").click()
        await screen.expect(screen.page.get_by_test_id("input-error")).to_be_visible()
        await screen.shot("2-an-empty-reason-is-refused-inline")
        await (
            screen.modal()
            .locator("textarea, input.bk-input")
            .first.fill("No seats for labs this year")
        )
        await screen.page.get_by_test_id("modal-submit").click()
        await screen.expect(screen.modal()).to_have_count(0)
        await screen.expect(request).to_contain_text(re.compile("denied", re.IGNORECASE))
        await screen.shot("3-the-request-is-denied")
    finally:
        await screen.close()


async def test_a_holder_reveals_product_keys_and_someone_without_a_seat_is_refused(
    browser: Any, playground_url: str
) -> None:
    screen = await Screen.open(browser, playground_url, "keys")
    try:
        await screen.be(ADA)
        await screen.open_dm()
        await screen.type("/benefits keys windows-11-enterprise")
        modal = screen.modal()
        await screen.expect(modal).to_be_visible()
        selects = modal.locator("select")
        await selects.nth(0).select_option(label="English")
        await selects.nth(1).select_option(label="x64")
        await screen.shot("1-language-and-os")
        await screen.page.get_by_test_id("modal-submit").click()
        await screen.expect(modal).to_contain_text("XXXXX-XXXXX-XXXXX-XXXXX-00001")
        await screen.shot("2-the-keys")
        await modal.get_by_role("button", name="Close").click()

        await screen.be(UMA)
        await screen.open_dm()
        await screen.type("/benefits keys windows-11-enterprise")
        refusal = screen.page.get_by_test_id("ephemeral").last
        await screen.expect(refusal).to_contain_text("Windows 11")
        await screen.expect(screen.modal()).to_have_count(0)
        await screen.expect(refusal).not_to_contain_text("XXXXX")
        await screen.shot("3-no-seat-no-keys")
    finally:
        await screen.close()


async def test_moving_the_clock_brings_the_expiry_reminders_once_each(
    browser: Any, playground_url: str
) -> None:
    screen = await Screen.open(browser, playground_url, "clock")
    try:
        await screen.be(ADA)
        await screen.open_dm()
        reminders = screen.page.get_by_test_id("message").filter(has_text="Windows 11 Enterprise")
        await screen.expect(reminders).to_have_count(0)
        # Windows 11 Enterprise ends on 2027-02-28; reminders go out at 09:00 UTC.
        await screen.move_clock(59)  # 2027-01-29 10:00: 30 days before its end
        await screen.expect(reminders).to_have_count(1)
        await screen.shot("1-thirty-days-before")
        await screen.move_clock(1)
        await screen.page.wait_for_timeout(1500)  # time for a second one, were it wrongly sent
        await screen.expect(reminders).to_have_count(1)
        await screen.move_clock(22)  # 2027-02-21 10:00: 7 days before
        await screen.expect(reminders).to_have_count(2)
        await screen.shot("2-seven-days-before")
        outbox = screen.page.get_by_test_id("outbox")
        await screen.expect(outbox).to_contain_text("sent")
    finally:
        await screen.close()
