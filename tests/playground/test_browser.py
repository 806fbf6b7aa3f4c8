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
        # The seat check (never opened its keys) is in the DM from the start; the expiry
        # reminders are the messages that say what replaces it.
        reminders = screen.page.get_by_test_id("message").filter(
            has_text="Plan for what replaces it"
        )
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


GALLERY: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Every block :tada:"}},
    {
        "type": "section",
        "block_id": "s1",
        "text": {
            "type": "mrkdwn",
            "text": "*bold* _italics_ ~strike~ `code` <https://example.com|a link> "
            "<@U024BE7LH> <#C0ADMINS01|benefits-admins>\n• one\n• two",
        },
        "fields": [
            {"type": "mrkdwn", "text": "*Seats*\n4"},
            {"type": "plain_text", "text": "Software"},
        ],
        "accessory": {
            "type": "overflow",
            "action_id": "more",
            "options": [{"text": {"type": "plain_text", "text": "Hide"}, "value": "hide"}],
        },
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "a _context_ line"}]},
    {"type": "divider"},
    {
        "type": "actions",
        "block_id": "a1",
        "elements": [
            {
                "type": "button",
                "action_id": "go",
                "style": "primary",
                "value": "1",
                "text": {"type": "plain_text", "text": "Go"},
            },
            {
                "type": "button",
                "action_id": "stop",
                "style": "danger",
                "value": "2",
                "text": {"type": "plain_text", "text": "Stop"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Really stop?"},
                    "text": {"type": "mrkdwn", "text": "It *cannot* be undone."},
                    "confirm": {"type": "plain_text", "text": "Stop it"},
                    "deny": {"type": "plain_text", "text": "Keep going"},
                    "style": "danger",
                },
            },
            {
                "type": "static_select",
                "action_id": "pick",
                "placeholder": {"type": "plain_text", "text": "Pick one"},
                "options": [
                    {"text": {"type": "plain_text", "text": "English"}, "value": "en"},
                    {"text": {"type": "plain_text", "text": "Dutch"}, "value": "nl"},
                ],
            },
            {"type": "datepicker", "action_id": "when", "initial_date": "2027-02-28"},
            {"type": "external_select", "action_id": "find", "min_query_length": 1},
        ],
    },
]


async def test_block_kit_is_drawn_and_a_confirmation_comes_before_the_click_is_sent(
    browser: Any, playground_url: str
) -> None:
    screen = await Screen.open(browser, playground_url, "blockkit")
    try:
        page = screen.page
        await page.evaluate(
            """(blocks) => {
                window.sent = [];
                const ctx = {
                    names: {users: {U024BE7LH: "Ada Member"}, channels: {}},
                    errors: {},
                    onAction: (action) => window.sent.push(action),
                    onOptions: () => Promise.resolve({options: []}),
                    confirm: (c) => window.confirmForTest(c),
                };
                // A box of its own: the page redraws its conversations when the state changes.
                const box = document.createElement("div");
                box.id = "gallery";
                box.className = "home";
                document.getElementById("messages").before(box);
                box.appendChild(BlockKit.render(blocks, ctx));
            }""",
            GALLERY,
        )
        # The page's own confirmation dialog, as the page uses it for every confirm object.
        await page.evaluate(
            """() => { window.confirmForTest = (c) => {
                const answer = new Promise((resolve) => { window.answerConfirm = resolve; });
                document.getElementById("confirm-layer").innerHTML =
                    '<div data-testid="confirm">' + BlockKit.plainText(c.title) + '</div>';
                return answer;
            }; }"""
        )
        box = page.locator("#gallery")
        await screen.expect(box.locator(".bk-header")).to_have_text(re.compile("Every block"))
        section = box.locator('[data-block-id="s1"]')
        for selector, text in (
            (".slack_bold", "bold"),
            (".slack_italics", "italics"),
            (".slack_strikethrough", "strike"),
            ("code", "code"),
            ("a", "a link"),
            (".user-mention", "@Ada Member"),
        ):
            await screen.expect(section.locator(selector).first).to_have_text(text)
        await screen.expect(section.locator(".bk-fields > *")).to_have_count(2)
        await screen.expect(box.locator(".bk-context")).to_contain_text("context")
        await screen.expect(box.locator("hr.bk-divider")).to_have_count(1)
        await screen.expect(box.locator(".bk-button.primary")).to_have_text("Go")
        await screen.expect(box.locator(".bk-button.danger")).to_have_text("Stop")
        await screen.expect(box.locator('input[type="date"]')).to_have_value("2027-02-28")
        await screen.shot("1-every-block")

        await box.get_by_role("button", name="Go").click()
        await box.get_by_role("button", name="Stop").click()
        await screen.expect(page.get_by_test_id("confirm")).to_have_text("Really stop?")
        assert [a["action_id"] for a in await page.evaluate("window.sent")] == ["go"]
        await page.evaluate("window.answerConfirm(true)")
        await box.locator("select").first.select_option(label="Dutch")
        await box.get_by_role("button", name="More actions").click()
        await box.get_by_role("menuitem", name="Hide").click()
        sent = await page.evaluate("window.sent")
        assert [(a["action_id"], a["block_id"], a["type"]) for a in sent] == [
            ("go", "a1", "button"),
            ("stop", "a1", "button"),
            ("pick", "a1", "static_select"),
            ("more", "s1", "overflow"),
        ]
        assert sent[0]["value"] == "1"
        assert sent[2]["selected_option"]["value"] == "nl"
        assert sent[3]["selected_option"]["value"] == "hide"
    finally:
        await screen.close()


HOMES = (
    (ADA, "member"),
    (GLORIA, "global-admin"),
    ("Mira Partner", "mpn-partner-admin"),
    (UMA, "user-admin"),
)


async def test_each_roles_home_shows_in_english_and_after_language_nl_in_dutch(
    browser: Any, playground_url: str
) -> None:
    from bot.i18n.translate import reading_as, t

    english = t("Partner benefits")
    with reading_as("nl"):
        dutch = t("Partner benefits")
    assert dutch != english
    screen = await Screen.open(browser, playground_url, "home")
    try:
        await screen.be(ADA)
        await screen.open_dm()
        await screen.type("/benefits request windows-server-2025-standard for the build server")
        await screen.expect(screen.page.get_by_test_id("ephemeral").last).to_contain_text(
            "Windows Server 2025"
        )
        home = screen.page.get_by_test_id("home")
        for person, role in HOMES:
            await screen.be(person)
            await screen.page.get_by_test_id("nav-home").click()
            await screen.expect(home).to_contain_text(english)
            await screen.shot(f"{role}-en")
            await screen.open_dm()
            await screen.type("/benefits language nl")
            await screen.expect(screen.page.get_by_test_id("ephemeral").last).to_contain_text(
                "Nederlands"
            )
            await screen.page.get_by_test_id("nav-home").click()
            await screen.expect(home).to_contain_text(dutch)
            await screen.expect(home).not_to_contain_text(english)
            await screen.shot(f"{role}-nl")
    finally:
        await screen.close()


async def test_a_member_requests_a_benefit_through_the_form_of_the_home(
    browser: Any, playground_url: str
) -> None:
    screen = await Screen.open(browser, playground_url, "form")
    try:
        await screen.be(ADA)
        await screen.page.get_by_test_id("nav-home").click()
        home = screen.page.get_by_test_id("home")
        await home.get_by_role("button", name="Request a benefit").click()
        modal = screen.modal()
        await screen.expect(modal).to_contain_text("Why do you need it?")
        await modal.get_by_test_id("external-query").fill("Windows Server")
        choice = modal.locator("select option", has_text="Windows Server 2025")
        await screen.expect(choice.first).to_be_attached()
        value = await choice.first.get_attribute("value")
        await modal.locator("select").first.select_option(value=value)
        await modal.locator("textarea").fill("for the build server")
        await screen.shot("1-the-form")
        await screen.page.get_by_test_id("modal-submit").click()
        await screen.expect(modal).to_have_count(0)

        await screen.be(GLORIA)
        await screen.open_channel("benefits-admins")
        request = screen.page.get_by_test_id("message").filter(has_text="for the build server")
        await screen.expect(request.get_by_role("button", name="Approve")).to_be_visible()
        await screen.shot("2-the-request-reached-the-admins")
    finally:
        await screen.close()
