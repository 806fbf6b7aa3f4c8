"""Technical benefits, go-to-market offers, support, advisory hours and the
marketing contact, over Slack's wire format: commands, clicks and modals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from bot.blocks import ids
from bot.blocks.activation import Origin
from bot.domain.model import (
    Activation,
    ActivationStatus,
    Benefit,
    Category,
    DirectoryUser,
    Level,
    MarketingContact,
    Membership,
    Role,
    SupportKind,
)
from tests.fakes.web_api import RecordedCall
from tests.slack.harness import SlackHarness, call_text

MEMBER = "UMEMBER01"
ADMIN = "UADMIN001"
PARTNER = "UPARTNER1"
AGENT = "UAGENT001"

MEMBERSHIP = Membership(
    level=Level.SILVER,
    purchase_date=date(2025, 6, 1),
    end_date=date(2026, 5, 31),
    account_email="partner@contoso.com",
)
SIG_CLOUD = Benefit(
    "sig-cloud",
    "Signature cloud support",
    Category.TECHNICAL,
    support_kind=SupportKind.SIGNATURE_CLOUD,
)
INCIDENTS = Benefit(
    "incidents",
    "Product support incidents",
    Category.TECHNICAL,
    support_kind=SupportKind.PRODUCT_INCIDENTS,
)
ADVISORY = Benefit(
    "advisory",
    "Advisory hours",
    Category.TECHNICAL,
    support_kind=SupportKind.ADVISORY_HOURS,
)
GOLD_CORE = Benefit("gold-core", "Gold core", Category.GTM)
WINDOWS = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=5)

VALID_CONTACT: dict[str, dict[str, Any]] = {
    ids.CONTACT_USER_BLOCK: {
        ids.CONTACT_USER_INPUT: {"type": "users_select", "selected_user": MEMBER}
    },
    ids.CONTACT_EMAIL_BLOCK: {ids.CONTACT_EMAIL_INPUT: "marketing@contoso.com"},
    ids.CONTACT_PHONE_BLOCK: {ids.CONTACT_PHONE_INPUT: "+31 20 123 4567"},
    ids.CONTACT_LANGUAGE_BLOCK: {
        ids.CONTACT_LANGUAGE_INPUT: {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": "Dutch"}, "value": "nl"},
        }
    },
}


@pytest.fixture
async def ready(harness: SlackHarness) -> SlackHarness:
    async with harness.bot.store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        for benefit in (SIG_CLOUD, INCIDENTS, ADVISORY, GOLD_CORE, WINDOWS):
            await uow.benefits.put(benefit)
        await uow.people.put_user(DirectoryUser(MEMBER, "Mia", "mia@contoso.com"))
    await harness.grant(ADMIN, Role.GLOBAL_ADMIN)
    await harness.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    await harness.grant(AGENT, Role.ADMIN_AGENT)
    return harness


async def activation(h: SlackHarness, benefit_id: str) -> Activation | None:
    async with h.bot.store.read() as uow:
        return await uow.activations.get(benefit_id)


async def contact(h: SlackHarness) -> MarketingContact | None:
    async with h.bot.store.read() as uow:
        return await uow.marketing_contact.get()


def buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in payload.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def posts_with(h: SlackHarness, action_id: str) -> list[RecordedCall]:
    return [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if any(b["action_id"] == action_id for b in buttons(c.args))
    ]


async def opened_view(h: SlackHarness, callback_id: str) -> dict[str, Any]:
    opened = await h.slack.wait_for(
        "views.open", where=lambda c: c.args["view"]["callback_id"] == callback_id
    )
    view: dict[str, Any] = opened[-1].args["view"]
    return view


async def request_activation(h: SlackHarness, benefit_id: str) -> RecordedCall:
    """Activate as the MPN partner admin; the lasting message with Mark active."""
    ack = await h.command(PARTNER, f"activate {benefit_id}")
    assert "is now pending (requested 2026-01-15)" in ack.text, ack.text
    await h.settle()
    posts = [p for p in posts_with(h, ids.MARK_ACTIVE) if benefit_id in call_text(p)]
    assert len(posts) == 1, h.slack.summary()
    return posts[0]


async def set_contact(h: SlackHarness) -> None:
    ack = await h.submit(PARTNER, ids.CONTACT_VIEW, VALID_CONTACT)
    assert ack.json["response_action"] == "update", ack.body


# -- activating and marking a technical benefit active ------------------------


async def test_an_mpn_partner_admin_activates_a_technical_benefit_and_marks_it_active(
    ready: SlackHarness,
) -> None:
    h = ready
    post = await request_activation(h, SIG_CLOUD.id)

    assert post.args["channel"] == PARTNER  # no admin channel: the requester's DM
    stored = await activation(h, SIG_CLOUD.id)
    assert stored is not None
    assert stored.status is ActivationStatus.PENDING
    assert stored.requested_by == PARTNER

    channel, ts = post.response["channel"], post.response["ts"]
    click = await h.click(ADMIN, ids.MARK_ACTIVE, SIG_CLOUD.id, message={"ts": ts}, channel=channel)
    assert click.status == 200
    view = await opened_view(h, ids.ACTIVATION_VIEW)
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == [ids.ACCESS_ID_BLOCK, ids.CONTRACT_ID_BLOCK]

    done = await h.submit(
        ADMIN,
        ids.ACTIVATION_VIEW,
        {
            ids.ACCESS_ID_BLOCK: {ids.ACCESS_ID_INPUT: " 1234567 "},
            ids.CONTRACT_ID_BLOCK: {ids.CONTRACT_ID_INPUT: "SR-2026-42"},
        },
        private_metadata=view["private_metadata"],
    )

    assert done.json["response_action"] == "update"
    assert "Access ID `1234567`" in done.text
    stored = await activation(h, SIG_CLOUD.id)
    assert stored is not None
    assert (stored.status, stored.access_id, stored.contract_id, stored.completed_by) == (
        ActivationStatus.ACTIVE,
        "1234567",
        "SR-2026-42",
        ADMIN,
    )
    updates = await h.slack.wait_for("chat.update")
    assert (updates[0].args["channel"], updates[0].args["ts"]) == (channel, ts)
    assert "is active" in call_text(updates[0])
    assert not buttons(updates[0].args)

    support = await h.command(MEMBER, "support cloud")
    assert "Access ID `1234567` · Contract ID `SR-2026-42`" in support.text
    await h.click(MEMBER, ids.DETAILS, SIG_CLOUD.id)
    details = await h.slack.wait_for(
        "views.open", where=lambda c: c.args["view"]["callback_id"] == ids.DETAILS_VIEW
    )
    assert "`1234567`" in call_text(details[0])
    assert "`SR-2026-42`" in call_text(details[0])


async def test_a_mark_active_form_naming_another_message_updates_no_message(
    ready: SlackHarness,
) -> None:
    """The form's hidden field says which message to update; a forged one that names a
    message the bot posted for something else (here: an approval request) completes the
    activation but updates nothing, since no pending activation was posted there."""
    h = ready
    post = await request_activation(h, SIG_CLOUD.id)
    ack = await h.command(MEMBER, "request win11 for the lab")
    assert "was sent" in ack.text, ack.text
    await h.settle()
    approval = [
        c
        for c in h.slack.calls_to("chat.postMessage", include_failed=False)
        if any(b["action_id"] == ids.APPROVE for b in buttons(c.args))
    ][-1]
    await h.click(
        ADMIN,
        ids.MARK_ACTIVE,
        SIG_CLOUD.id,
        message={"ts": post.response["ts"]},
        channel=post.response["channel"],
    )
    view = await opened_view(h, ids.ACTIVATION_VIEW)
    forged = Origin(SIG_CLOUD.id, approval.response["channel"], approval.response["ts"]).dump()

    done = await h.submit(
        ADMIN,
        ids.ACTIVATION_VIEW,
        {
            ids.ACCESS_ID_BLOCK: {ids.ACCESS_ID_INPUT: "1234567"},
            ids.CONTRACT_ID_BLOCK: {ids.CONTRACT_ID_INPUT: "SR-2026-42"},
        },
        private_metadata=forged,
    )

    assert done.json["response_action"] == "update"
    stored = await activation(h, SIG_CLOUD.id)
    assert stored is not None
    assert stored.status is ActivationStatus.ACTIVE
    await h.settle()
    assert h.slack.calls_to("chat.update") == [], h.slack.summary()
    assert view["private_metadata"] != forged


@pytest.mark.parametrize(
    ("access_id", "contract_id", "wrong"),
    [
        ("", "", {ids.ACCESS_ID_BLOCK, ids.CONTRACT_ID_BLOCK}),
        ("   ", "C-1", {ids.ACCESS_ID_BLOCK}),
        ("A-1", "<!channel>", {ids.CONTRACT_ID_BLOCK}),
        ("A" * 65, "C-1", {ids.ACCESS_ID_BLOCK}),
    ],
)
async def test_empty_or_odd_ids_are_shown_inline_in_the_modal_and_nothing_changes(
    ready: SlackHarness, access_id: str, contract_id: str, wrong: set[str]
) -> None:
    h = ready
    await request_activation(h, INCIDENTS.id)
    await h.click(ADMIN, ids.MARK_ACTIVE, INCIDENTS.id)
    view = await opened_view(h, ids.ACTIVATION_VIEW)
    audit = await h.audit_count()

    ack = await h.submit(
        ADMIN,
        ids.ACTIVATION_VIEW,
        {
            ids.ACCESS_ID_BLOCK: {ids.ACCESS_ID_INPUT: access_id},
            ids.CONTRACT_ID_BLOCK: {ids.CONTRACT_ID_INPUT: contract_id},
        },
        private_metadata=view["private_metadata"],
    )

    assert ack.json["response_action"] == "errors"
    assert set(ack.json["errors"]) == wrong
    stored = await activation(h, INCIDENTS.id)
    assert stored is not None
    assert stored.status is ActivationStatus.PENDING
    assert await h.audit_count() == audit


async def test_a_member_may_not_activate_and_is_told_who_can(ready: SlackHarness) -> None:
    h = ready
    audit = await h.audit_count()
    ack = await h.command(MEMBER, "activate sig-cloud")
    assert "mpn_partner_admin" in ack.text
    assert f"<@{PARTNER}>" in ack.text
    assert await activation(h, SIG_CLOUD.id) is None
    assert await h.audit_count() == audit


async def test_a_member_clicking_mark_active_is_refused_and_no_modal_opens(
    ready: SlackHarness,
) -> None:
    h = ready
    await request_activation(h, SIG_CLOUD.id)
    await h.click(MEMBER, ids.MARK_ACTIVE, SIG_CLOUD.id)
    await h.settle()
    refusal = h.slack.calls_to("response_url")[-1]
    assert "mpn_partner_admin" in call_text(refusal)
    assert not [
        c
        for c in h.slack.calls_to("views.open")
        if c.args["view"]["callback_id"] == ids.ACTIVATION_VIEW
    ]


async def test_activating_twice_says_it_is_pending_since_when(ready: SlackHarness) -> None:
    h = ready
    await request_activation(h, SIG_CLOUD.id)
    again = await h.command(ADMIN, "activate Signature cloud support")
    assert "already asked to be activated on 2026-01-15" in again.text
    assert f"<@{PARTNER}>" in again.text


async def test_advisory_hours_and_software_are_not_activated(ready: SlackHarness) -> None:
    h = ready
    advisory = await h.command(PARTNER, "activate advisory")
    assert "needs no activation" in advisory.text
    software = await h.command(PARTNER, "activate win11")
    assert "/benefits request win11" in software.text
    unknown = await h.command(PARTNER, "activate nothing-like-this")
    assert "No benefit matches" in unknown.text
    assert await activation(h, ADVISORY.id) is None
    assert await activation(h, WINDOWS.id) is None


async def test_activate_on_a_cloud_credit_assigns_it_to_the_caller_instead(
    ready: SlackHarness,
) -> None:
    h = ready
    credit = Benefit("azure-credit", "Azure credit", Category.CLOUD, seats=3, usage_based=True)
    async with h.bot.store.write() as uow:
        await uow.benefits.put(credit)

    ack = await h.command(MEMBER, "activate azure-credit")

    assert "is now yours, for mia@contoso.com" in ack.text
    assert await activation(h, credit.id) is None
    async with h.bot.store.read() as uow:
        held = await uow.assignments.find_active(credit.id, MEMBER)
    assert held is not None


async def test_nothing_is_activated_while_the_membership_is_in_pmc(ready: SlackHarness) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, managed_in_pmc=True))
    ack = await h.command(ADMIN, "activate sig-cloud")
    assert "Partner Membership Center" in ack.text
    assert "Partner Frontline" in ack.text
    assert await activation(h, SIG_CLOUD.id) is None


async def test_the_activation_goes_to_the_admin_channel_when_there_is_one(
    harness: SlackHarness,
) -> None:
    h = harness
    h.bot.services.admin_channel = "CADMINS01"
    async with h.bot.store.write() as uow:
        await uow.membership.put(MEMBERSHIP)
        await uow.benefits.put(SIG_CLOUD)
    await h.grant(PARTNER, Role.MPN_PARTNER_ADMIN)
    ack = await h.command(PARTNER, "activate sig-cloud")
    assert "<#CADMINS01>" in ack.text
    await h.settle()
    assert [p.args["channel"] for p in posts_with(h, ids.MARK_ACTIVE)] == ["CADMINS01"]


# -- `list technical` ---------------------------------------------------------------


async def test_list_technical_shows_the_level_entitlements_and_an_action_pack_has_no_cloud(
    ready: SlackHarness,
) -> None:
    h = ready
    async with h.bot.store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, level=Level.ACTION_PACK))

    ack = await h.command(MEMBER, "list technical")

    text = ack.text
    assert "What the Action Pack membership includes" in text
    assert "*Signature cloud support*\nnot available" in text
    assert "*Product support incidents*\n10 incidents" in text
    assert "*Presales and deployment advisory hours*\n5 hours, 5 left" in text
    assert "Not available" in text  # the signature cloud row
    assert not [b for b in buttons(ack.json) if b["action_id"] in (ids.ACTIVATE, ids.MARK_ACTIVE)]


async def test_list_technical_gives_admins_activate_and_mark_active_buttons(
    ready: SlackHarness,
) -> None:
    h = ready
    await request_activation(h, INCIDENTS.id)

    ack = await h.command(PARTNER, "list technical")

    by_action = {(b["action_id"], b["value"]) for b in buttons(ack.json)}
    assert (ids.MARK_ACTIVE, INCIDENTS.id) in by_action
    assert (ids.ACTIVATE, SIG_CLOUD.id) in by_action
    assert not any(value == ADVISORY.id for _, value in by_action)
    assert "Pending since 2026-01-15" in ack.text

    click = await h.click(PARTNER, ids.ACTIVATE, SIG_CLOUD.id)
    assert click.status == 200
    await h.settle()
    assert "is now pending" in call_text(h.slack.calls_to("response_url")[-1])
    pending = await activation(h, SIG_CLOUD.id)
    assert pending is not None
    assert pending.status is ActivationStatus.PENDING


# -- go-to-market offers and the marketing contact -----------------------------


async def test_an_offer_needs_a_marketing_contact_then_becomes_active_with_its_expiry(
    ready: SlackHarness,
) -> None:
    h = ready
    refused = await h.command(PARTNER, "activate gold-core")
    assert "/benefits contact" in refused.text
    assert await activation(h, GOLD_CORE.id) is None

    opened = await h.command(PARTNER, "contact")
    assert opened.body in ("", {})
    form = await opened_view(h, ids.CONTACT_VIEW)
    assert [b["element"]["type"] for b in form["blocks"] if b["type"] == "input"] == [
        "users_select",
        "plain_text_input",
        "plain_text_input",
        "static_select",
    ]
    await set_contact(h)
    saved = await contact(h)
    assert saved is not None
    assert (saved.user_id, saved.email, saved.phone, saved.language) == (
        MEMBER,
        "marketing@contoso.com",
        "+31201234567",
        "nl",
    )

    await request_activation(h, GOLD_CORE.id)
    await h.click(PARTNER, ids.MARK_ACTIVE, GOLD_CORE.id)
    view = await opened_view(h, ids.ACTIVATION_VIEW)
    assert [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"] == ["datepicker"]

    today = await h.submit(
        PARTNER,
        ids.ACTIVATION_VIEW,
        {
            ids.EXPIRES_BLOCK: {
                ids.EXPIRES_INPUT: {"type": "datepicker", "selected_date": "2026-01-15"}
            }
        },
        private_metadata=view["private_metadata"],
    )
    assert today.json["response_action"] == "errors"
    assert "after today" in today.json["errors"][ids.EXPIRES_BLOCK]

    done = await h.submit(
        PARTNER,
        ids.ACTIVATION_VIEW,
        {
            ids.EXPIRES_BLOCK: {
                ids.EXPIRES_INPUT: {"type": "datepicker", "selected_date": "2026-12-31"}
            }
        },
        private_metadata=view["private_metadata"],
    )
    assert done.json["response_action"] == "update"
    stored = await activation(h, GOLD_CORE.id)
    assert stored is not None
    assert (stored.status, stored.expires_on) == (ActivationStatus.ACTIVE, date(2026, 12, 31))

    listing = await h.command(MEMBER, "list gtm")
    assert "*Gold core*  `gold-core`\nStatus: Active since 2026-01-15 · Expires: 2026-12-31" in (
        listing.text
    )
    assert f"Marketing contact: <@{MEMBER}>" in listing.text


@pytest.mark.parametrize(
    ("block", "value", "says"),
    [
        (ids.CONTACT_EMAIL_BLOCK, "not-an-email", "not a valid email address"),
        (ids.CONTACT_EMAIL_BLOCK, "Partner@Contoso.com", "must differ"),
        (ids.CONTACT_PHONE_BLOCK, "12345", "not a valid phone number"),
        (ids.CONTACT_PHONE_BLOCK, "+1 555 0000 000", "not a valid phone number"),
        (
            ids.CONTACT_USER_BLOCK,
            {"type": "users_select", "selected_user": "UNOBODY01"},
            "not in the bot's directory",
        ),
        (
            ids.CONTACT_LANGUAGE_BLOCK,
            {"type": "static_select", "selected_option": None},
            "language",
        ),
    ],
)
async def test_each_bad_contact_field_is_shown_inline_at_its_block_and_nothing_is_saved(
    ready: SlackHarness, block: str, value: Any, says: str
) -> None:
    h = ready
    audit = await h.audit_count()
    values = dict(VALID_CONTACT)
    action = next(iter(VALID_CONTACT[block]))
    values[block] = {action: value}

    ack = await h.submit(PARTNER, ids.CONTACT_VIEW, values)

    assert ack.json["response_action"] == "errors"
    assert list(ack.json["errors"]) == [block]
    assert says in ack.json["errors"][block]
    assert await contact(h) is None
    assert await h.audit_count() == audit


async def test_a_member_may_not_set_the_marketing_contact(ready: SlackHarness) -> None:
    h = ready
    ack = await h.command(MEMBER, "contact")
    assert "mpn_partner_admin" in ack.text
    await h.settle()
    assert not h.slack.calls_to("views.open")
    submitted = await h.submit(AGENT, ids.CONTACT_VIEW, VALID_CONTACT)
    assert submitted.json["response_action"] == "errors"
    assert "mpn_partner_admin" in submitted.json["errors"][ids.CONTACT_USER_BLOCK]
    assert await contact(h) is None


# -- support ------------------------------------------------------------------------


async def test_support_asks_what_the_problem_is_about_and_answers_what_to_use(
    ready: SlackHarness,
) -> None:
    h = ready
    ack = await h.command(MEMBER, "support")
    choices = [(b["action_id"], b["value"]) for b in buttons(ack.json)]
    assert choices == [
        (ids.SUPPORT_CLOUD, "cloud"),
        (ids.SUPPORT_ON_PREMISES, "on_premises"),
        (ids.SUPPORT_ADVICE, "advice"),
    ]

    await h.click(MEMBER, ids.SUPPORT_ON_PREMISES, "on_premises")
    await h.settle()
    answer = h.slack.calls_to("response_url")[-1]
    text = call_text(answer)
    assert answer.args["replace_original"] is True
    assert "use *Product support incidents*" in text
    assert "15 incidents" in text
    assert "must be activated first" in text
    assert f"<@{PARTNER}>" in text
    assert "/benefits activate incidents" in text

    await h.click(MEMBER, ids.SUPPORT_ADVICE, "advice")
    await h.settle()
    advice = call_text(h.slack.calls_to("response_url")[-1])
    assert "20 hours; 20 are left" in advice
    assert "No activation needed" in advice


# -- advisory hours -------------------------------------------------------------------


async def test_a_member_files_advisory_hours_the_admins_are_told_and_the_hours_go_down(
    ready: SlackHarness,
) -> None:
    h = ready
    ack = await h.command(MEMBER, "advisory 6 Azure landing zone <!channel>")
    assert "6 advisory hours" in ack.text
    assert "14 of the membership's 20 hours are left" in ack.text
    await h.settle()
    told = [
        c
        for c in h.slack.calls_to("chat.postMessage")
        if c.args["channel"] == ADMIN and "advisory hours request" in call_text(c)
    ]
    assert len(told) == 1
    assert "<!channel>" not in call_text(told[0])
    assert "&lt;!channel&gt;" in call_text(told[0])

    too_many = await h.command(MEMBER, "advisory 15 Migration")
    assert "only 14 of the 20" in too_many.text
    async with h.bot.store.read() as uow:
        assert await uow.advisory.hours_used(ADVISORY.id) == 6


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("advisory", "Usage"),
        ("advisory two Azure", "positive whole number"),
        ("advisory 0 Azure", "positive whole number"),
        ("advisory 2.5 Azure", "positive whole number"),
        ("advisory 3", "Say what the advice is about"),
        ("advisory 3 " + "x" * 501, "too long"),
    ],
)
async def test_bad_advisory_requests_are_refused_clearly_and_write_nothing(
    ready: SlackHarness, text: str, says: str
) -> None:
    h = ready
    audit = await h.audit_count()
    ack = await h.command(MEMBER, text)
    assert says in ack.text
    assert await h.audit_count() == audit
    async with h.bot.store.read() as uow:
        assert await uow.advisory.hours_used(ADVISORY.id) == 0
