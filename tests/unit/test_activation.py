"""Technical benefits, go-to-market offers, support, advisory hours and the
marketing contact: the rules of docs/rules.md that ActivationService owns."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest

from bot.blocks import ids
from bot.blocks.activation import Origin, completion_view, overview_message
from bot.blocks.contact import contact_view
from bot.domain import events
from bot.domain.activations import State
from bot.domain.clock import FakeClock
from bot.domain.entitlements import (
    ENTITLEMENTS,
    Allowance,
    Problem,
    Unit,
    entitlement,
    parse_problem,
)
from bot.domain.events import Event
from bot.domain.limits import MAX_ID, MAX_TOPIC
from bot.domain.model import (
    Activation,
    ActivationStatus,
    AuditEntry,
    Benefit,
    Category,
    Conflict,
    Forbidden,
    InvalidInput,
    Level,
    MarketingContact,
    NoMatch,
    Role,
    SupportKind,
)
from bot.domain.validation import Field, InvalidFields
from bot.runtime.bootstrap import build_services
from bot.runtime.container import Services
from bot.services.activation import ActivationService, ImportedActivation, ImportOutcome
from bot.services.contact import ContactService
from bot.services.core import EventBus
from bot.services.support import SupportService
from storage.sqlite import SqliteStore
from storage.unit_of_work import UnitOfWork
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    CO_SELL,
    M365,
    MEMBER,
    MEMBER2,
    MEMBERSHIP,
    STRANGER,
    AddBenefits,
    audit_log,
    rendered,
)

PARTNER_ADMIN = "UPARTNER1"
AGENT = "UAGENT001"
USER_ADMIN = "UUSERADM1"

SIG_CLOUD = Benefit(
    "sig-cloud",
    "Signature cloud support",
    Category.TECHNICAL,
    support_kind=SupportKind.SIGNATURE_CLOUD,
)
INCIDENTS = Benefit(
    "psi-kind",
    "Product support incidents (on-premises)",
    Category.TECHNICAL,
    support_kind=SupportKind.PRODUCT_INCIDENTS,
)
ADVISORY = Benefit(
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)
GOLD_CORE = Benefit("gold-core", "Gold core", Category.GTM)


@dataclass(frozen=True)
class State_:
    """What the activation side of storage shows."""

    activations: list[Activation]
    contact: MarketingContact | None
    advisory_used: int
    audit: list[AuditEntry]


async def observed(store: SqliteStore) -> State_:
    async with store.read() as uow:
        return State_(
            activations=await uow.activations.all(),
            contact=await uow.marketing_contact.get(),
            advisory_used=await uow.advisory.hours_used(ADVISORY.id),
            audit=await uow.audit.recent(100_000),
        )


async def activation_of(store: SqliteStore, benefit_id: str) -> Activation | None:
    async with store.read() as uow:
        return await uow.activations.get(benefit_id)


async def set_membership(store: SqliteStore, **changes: object) -> None:
    async with store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, **changes))  # type: ignore[arg-type]


class Recorder:
    """An event sink that remembers each event and whether it came inside a write."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.fail = False

    async def __call__(self, uow: UnitOfWork, event: Event) -> None:
        await uow.activations.get("anything")  # the unit of work is open
        self.events.append(event)
        if self.fail:
            raise RuntimeError("sink failed")

    @property
    def completions(self) -> list[events.ActivationCompleted]:
        return [e for e in self.events if isinstance(e, events.ActivationCompleted)]


@pytest.fixture
def sink() -> Recorder:
    return Recorder()


@pytest.fixture
async def services(
    services: Services,
    store: SqliteStore,
    clock: FakeClock,
    add_benefits: AddBenefits,
    sink: Recorder,
) -> Services:
    """The services, with ``sink`` recording every event; ADMIN is Global admin,
    PARTNER_ADMIN an MPN partner admin."""
    await add_benefits(SIG_CLOUD, INCIDENTS, ADVISORY, GOLD_CORE)
    await services.roles.grant(ADMIN, PARTNER_ADMIN, Role.MPN_PARTNER_ADMIN)
    await services.roles.grant(ADMIN, AGENT, Role.ADMIN_AGENT)
    await services.roles.grant(ADMIN, USER_ADMIN, Role.USER_ADMIN)
    return build_services(store, clock=clock, page_size=3, events=EventBus.to_all([sink]))


async def with_contact(services: Services) -> MarketingContact:
    return await services.contact.set_marketing_contact(
        PARTNER_ADMIN,
        user_id=MEMBER,
        email="Marketing@Example.com",
        phone="+31 20 123 4567",
        language="nl",
    )


# -- the entitlement table ------------------------------------------------------

# docs/rules.md, "Kinds of support and entitlement per level", row by row:
# (kind, level, cloud competency) -> incidents or hours (None: unlimited, 0: none).
DOMAIN_TABLE = [
    (SupportKind.SIGNATURE_CLOUD, Level.ACTION_PACK, False, 0),
    (SupportKind.SIGNATURE_CLOUD, Level.ACTION_PACK, True, 0),
    (SupportKind.SIGNATURE_CLOUD, Level.SILVER, False, 5),
    (SupportKind.SIGNATURE_CLOUD, Level.SILVER, True, None),
    (SupportKind.SIGNATURE_CLOUD, Level.GOLD, False, 10),
    (SupportKind.SIGNATURE_CLOUD, Level.GOLD, True, None),
    (SupportKind.PRODUCT_INCIDENTS, Level.ACTION_PACK, False, 10),
    (SupportKind.PRODUCT_INCIDENTS, Level.ACTION_PACK, True, 10),
    (SupportKind.PRODUCT_INCIDENTS, Level.SILVER, False, 15),
    (SupportKind.PRODUCT_INCIDENTS, Level.SILVER, True, 15),
    (SupportKind.PRODUCT_INCIDENTS, Level.GOLD, False, 20),
    (SupportKind.PRODUCT_INCIDENTS, Level.GOLD, True, 20),
    (SupportKind.ADVISORY_HOURS, Level.ACTION_PACK, False, 5),
    (SupportKind.ADVISORY_HOURS, Level.ACTION_PACK, True, 5),
    (SupportKind.ADVISORY_HOURS, Level.SILVER, False, 20),
    (SupportKind.ADVISORY_HOURS, Level.SILVER, True, 20),
    (SupportKind.ADVISORY_HOURS, Level.GOLD, False, 50),
    (SupportKind.ADVISORY_HOURS, Level.GOLD, True, 50),
]


@pytest.mark.parametrize(("kind", "level", "cloud", "amount"), DOMAIN_TABLE)
def test_each_level_is_entitled_to_what_the_domain_table_says(
    kind: SupportKind, level: Level, cloud: bool, amount: int | None
) -> None:
    membership = replace(MEMBERSHIP, level=level, cloud_competency=cloud)
    unit = Unit.HOURS if kind is SupportKind.ADVISORY_HOURS else Unit.INCIDENTS
    assert entitlement(kind, membership) == Allowance(amount, unit)


def test_the_table_covers_every_kind_and_level_and_nothing_else() -> None:
    assert set(ENTITLEMENTS) == set(SupportKind)
    assert all(set(row) == set(Level) for row in ENTITLEMENTS.values())
    assert len(DOMAIN_TABLE) == len(SupportKind) * len(Level) * 2


def test_an_action_pack_has_no_signature_cloud_support_but_silver_does() -> None:
    pack = replace(MEMBERSHIP, level=Level.ACTION_PACK, cloud_competency=True)
    assert not entitlement(SupportKind.SIGNATURE_CLOUD, pack).available
    assert entitlement(SupportKind.SIGNATURE_CLOUD, MEMBERSHIP).available


@pytest.mark.parametrize(
    ("text", "problem"),
    [("cloud", Problem.CLOUD), ("On-Premises", Problem.ON_PREMISES), ("advice", Problem.ADVICE)],
)
def test_a_problem_is_named_by_a_word(text: str, problem: Problem) -> None:
    assert parse_problem(text) is problem


def test_an_unknown_problem_names_the_choices() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_problem("printer")
    assert "on-premises" in rendered(caught.value)


# -- activating a technical benefit -------------------------------------------


@pytest.mark.parametrize("actor", [PARTNER_ADMIN, ADMIN])
async def test_an_admin_activates_a_technical_benefit_and_it_is_pending_since_today(
    services: Services, store: SqliteStore, clock: FakeClock, actor: str
) -> None:
    requested = await services.activation.activate(actor, "sig-cloud")

    stored = await activation_of(store, SIG_CLOUD.id)
    assert stored == requested.activation
    assert stored is not None
    assert stored.status is ActivationStatus.PENDING
    assert (stored.requested_by, stored.requested_at) == (actor, clock.now())
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action, last.subject) == (
        actor,
        "activation.request",
        f"benefit:{SIG_CLOUD.id}",
    )
    row = await services.activation.row(SIG_CLOUD.id)
    assert row.state is State.PENDING


async def test_a_technical_benefit_is_found_by_the_start_of_its_name(
    services: Services,
) -> None:
    requested = await services.activation.activate(PARTNER_ADMIN, "signature")
    assert requested.benefit == SIG_CLOUD


@pytest.mark.parametrize("actor", [MEMBER, AGENT, USER_ADMIN])
@pytest.mark.parametrize("benefit", [SIG_CLOUD, GOLD_CORE])
async def test_only_an_mpn_partner_admin_or_global_admin_may_activate(
    services: Services, store: SqliteStore, actor: str, benefit: Benefit
) -> None:
    await with_contact(services)
    before = await observed(store)

    with pytest.raises(Forbidden) as caught:
        await services.activation.activate(actor, benefit.id)

    assert "global_admin or mpn_partner_admin" in rendered(caught.value)
    assert f"<@{PARTNER_ADMIN}>" in rendered(caught.value)
    assert await observed(store) == before


async def test_activating_again_while_pending_says_since_when_and_by_whom(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    clock.advance(timedelta(days=2))
    before = await observed(store)

    with pytest.raises(Conflict) as caught:
        await services.activation.activate(ADMIN, SIG_CLOUD.id)

    text = rendered(caught.value)
    assert "pending" in text
    assert "2026-01-15" in text
    assert f"<@{PARTNER_ADMIN}>" in text
    assert await observed(store) == before


async def test_activating_an_active_benefit_says_since_when(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    clock.advance(timedelta(days=3))
    await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    before = await observed(store)

    with pytest.raises(Conflict) as caught:
        await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)

    assert "already active (since 2026-01-18)" in rendered(caught.value)
    assert await observed(store) == before


async def test_advisory_hours_need_no_activation(services: Services, store: SqliteStore) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput) as caught:
        await services.activation.activate(PARTNER_ADMIN, ADVISORY.id)
    assert "needs no activation" in rendered(caught.value)
    assert "/benefits advisory" in rendered(caught.value)
    assert await observed(store) == before


async def test_a_software_benefit_is_not_activated_but_requested(
    services: Services, store: SqliteStore
) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput) as caught:
        await services.activation.activate(PARTNER_ADMIN, M365.id)
    assert f"/benefits request {M365.id}" in rendered(caught.value)
    assert await observed(store) == before


async def test_an_unknown_benefit_gets_the_closest_matches(
    services: Services,
) -> None:
    with pytest.raises(NoMatch) as caught:
        await services.activation.activate(PARTNER_ADMIN, "signatur cloud suport")
    assert SIG_CLOUD in caught.value.candidates


async def test_an_action_pack_cannot_activate_signature_cloud_support(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, level=Level.ACTION_PACK)
    before = await observed(store)
    with pytest.raises(Conflict) as caught:
        await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    assert "Action Pack membership includes no Signature cloud support" in rendered(caught.value)
    assert await observed(store) == before


async def test_nothing_is_activated_while_the_membership_is_in_pmc(
    services: Services, store: SqliteStore
) -> None:
    await with_contact(services)
    await set_membership(store, managed_in_pmc=True)
    before = await observed(store)
    for benefit in (SIG_CLOUD, GOLD_CORE):
        with pytest.raises(Forbidden) as caught:
            await services.activation.activate(ADMIN, benefit.id)
        assert "Partner Frontline" in rendered(caught.value)
    assert await observed(store) == before


# -- marking a technical benefit active ----------------------------------------


async def test_mark_active_records_the_ids_who_and_when_and_raises_the_event(
    services: Services, store: SqliteStore, clock: FakeClock, sink: Recorder
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    clock.advance(timedelta(days=4))

    done = await services.activation.complete(
        ADMIN, SIG_CLOUD.id, access_id=" 1234567 ", contract_id="SR-2026/0042"
    )

    stored = await activation_of(store, SIG_CLOUD.id)
    assert stored == done.activation
    assert stored is not None
    assert stored.status is ActivationStatus.ACTIVE
    assert (stored.access_id, stored.contract_id) == ("1234567", "SR-2026/0042")
    assert (stored.completed_by, stored.completed_at) == (ADMIN, clock.now())
    assert stored.requested_by == PARTNER_ADMIN
    requested = replace(
        stored,
        status=ActivationStatus.PENDING,
        completed_by=None,
        completed_at=None,
        access_id="",
        contract_id="",
    )
    assert sink.events == [
        events.ActivationRequested(SIG_CLOUD, requested),
        events.ActivationCompleted(SIG_CLOUD, stored),
    ]
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action) == (ADMIN, "activation.complete")
    assert "1234567" in last.detail
    assert (await services.activation.row(SIG_CLOUD.id)).state is State.ACTIVE


async def test_a_failing_event_sink_rolls_the_completion_back(
    services: Services, store: SqliteStore, sink: Recorder
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    before = await observed(store)
    sink.fail = True

    with pytest.raises(RuntimeError):
        await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")

    assert await observed(store) == before


@pytest.mark.parametrize(
    ("access_id", "contract_id", "wrong"),
    [
        ("", "C1", {Field.ACCESS_ID}),
        ("   ", "  \t", {Field.ACCESS_ID, Field.CONTRACT_ID}),
        ("A1", "x" * (MAX_ID + 1), {Field.CONTRACT_ID}),
        ("12 34", "C1", {Field.ACCESS_ID}),
        ("<!channel>", "C1", {Field.ACCESS_ID}),
        ("A1", "-C1", {Field.CONTRACT_ID}),
        (None, None, {Field.ACCESS_ID, Field.CONTRACT_ID}),
    ],
)
async def test_bad_support_ids_are_refused_field_by_field_and_nothing_changes(
    services: Services,
    store: SqliteStore,
    sink: Recorder,
    access_id: str | None,
    contract_id: str | None,
    wrong: set[Field],
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    before = await observed(store)

    with pytest.raises(InvalidFields) as caught:
        await services.activation.complete(
            ADMIN, SIG_CLOUD.id, access_id=access_id, contract_id=contract_id
        )

    assert set(caught.value.errors) == wrong
    for error in caught.value.errors.values():
        assert rendered(error)
    assert await observed(store) == before
    assert sink.completions == []


async def test_support_ids_may_be_64_characters(services: Services) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    done = await services.activation.complete(
        ADMIN, SIG_CLOUD.id, access_id="a" * MAX_ID, contract_id="b" * MAX_ID
    )
    assert done.activation.access_id == "a" * MAX_ID


async def test_marking_active_before_anyone_activated_it_says_to_activate_first(
    services: Services, store: SqliteStore
) -> None:
    before = await observed(store)
    with pytest.raises(Conflict) as caught:
        await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    assert "/benefits activate sig-cloud" in rendered(caught.value)
    assert await observed(store) == before


async def test_marking_active_twice_names_who_did_it_first(
    services: Services, store: SqliteStore, sink: Recorder
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    await services.activation.complete(
        PARTNER_ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1"
    )
    before = await observed(store)

    with pytest.raises(Conflict) as caught:
        await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A2", contract_id="C2")

    assert f"<@{PARTNER_ADMIN}> marked it" in rendered(caught.value)
    assert await observed(store) == before
    assert len(sink.completions) == 1


@pytest.mark.parametrize("actor", [MEMBER, AGENT, USER_ADMIN])
async def test_only_an_admin_may_mark_a_benefit_active(
    services: Services, store: SqliteStore, actor: str
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    before = await observed(store)
    with pytest.raises(Forbidden):
        await services.activation.completion_form(actor, SIG_CLOUD.id)
    with pytest.raises(Forbidden):
        await services.activation.complete(actor, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    assert await observed(store) == before


# -- go-to-market offers -------------------------------------------------------


async def test_an_offer_is_not_activated_before_a_marketing_contact_is_set(
    services: Services, store: SqliteStore
) -> None:
    before = await observed(store)
    with pytest.raises(Conflict) as caught:
        await services.activation.activate(PARTNER_ADMIN, GOLD_CORE.id)
    assert "marketing contact" in rendered(caught.value)
    assert "/benefits contact" in rendered(caught.value)
    assert await observed(store) == before


async def test_with_a_marketing_contact_an_offer_becomes_pending(
    services: Services, store: SqliteStore
) -> None:
    await with_contact(services)
    requested = await services.activation.activate(ADMIN, CO_SELL.id)
    assert requested.activation.status is ActivationStatus.PENDING
    assert (await services.activation.row(CO_SELL.id)).state is State.PENDING


async def test_an_offer_is_marked_active_with_its_expiry_and_expires_after_that_day(
    services: Services, store: SqliteStore, clock: FakeClock, sink: Recorder
) -> None:
    await with_contact(services)
    await services.activation.activate(PARTNER_ADMIN, GOLD_CORE.id)

    done = await services.activation.complete(PARTNER_ADMIN, GOLD_CORE.id, expires_on="2026-06-30")

    assert done.activation.expires_on == date(2026, 6, 30)
    assert done.activation.status is ActivationStatus.ACTIVE
    assert sink.completions == [events.ActivationCompleted(GOLD_CORE, done.activation)]
    clock.set(datetime(2026, 6, 30, 23, 0, tzinfo=clock.now().tzinfo))
    assert (await services.activation.row(GOLD_CORE.id)).state is State.ACTIVE
    clock.advance(timedelta(hours=2))
    assert (await services.activation.row(GOLD_CORE.id)).state is State.EXPIRED

    again = await services.activation.activate(PARTNER_ADMIN, GOLD_CORE.id)
    assert again.activation.status is ActivationStatus.PENDING


@pytest.mark.parametrize(
    "expires", ["2026-01-15", "2025-12-31", "", None, "next year", "2026-02-30", "2040-01-01"]
)
async def test_an_expiry_must_be_a_date_after_today(
    services: Services, store: SqliteStore, expires: str | None
) -> None:
    await with_contact(services)
    await services.activation.activate(PARTNER_ADMIN, GOLD_CORE.id)
    before = await observed(store)

    with pytest.raises(InvalidFields) as caught:
        await services.activation.complete(PARTNER_ADMIN, GOLD_CORE.id, expires_on=expires)

    assert set(caught.value.errors) == {Field.EXPIRES_ON}
    assert await observed(store) == before


async def test_an_offer_may_expire_tomorrow(services: Services) -> None:
    await with_contact(services)
    await services.activation.activate(PARTNER_ADMIN, GOLD_CORE.id)
    done = await services.activation.complete(
        PARTNER_ADMIN, GOLD_CORE.id, expires_on=date(2026, 1, 16)
    )
    assert done.activation.expires_on == date(2026, 1, 16)


# -- the marketing contact ------------------------------------------------------


async def test_the_marketing_contact_is_saved_with_the_phone_in_e164_and_audited(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    contact = await with_contact(services)

    assert contact == MarketingContact(
        user_id=MEMBER,
        email="marketing@example.com",
        phone="+31201234567",
        language="nl",
        set_by=PARTNER_ADMIN,
        set_at=clock.now(),
    )
    assert await services.contact.marketing_contact() == contact
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action, last.subject) == (
        PARTNER_ADMIN,
        "marketing_contact.set",
        f"user:{MEMBER}",
    )


async def test_a_phone_number_without_a_country_code_is_read_in_the_configured_region(
    store: SqliteStore, clock: FakeClock, services: Services
) -> None:
    us = await services.contact.set_marketing_contact(
        ADMIN, user_id=MEMBER, email="m@contoso.com", phone="(201) 555-0123", language="en"
    )
    assert us.phone == "+12015550123"
    dutch = ContactService(store, clock=clock, phone_region="NL")
    nl = await dutch.set_marketing_contact(
        ADMIN, user_id=MEMBER, email="m@contoso.com", phone="020 123 4567", language="nl"
    )
    assert nl.phone == "+31201234567"


@pytest.mark.parametrize(
    ("changes", "wrong"),
    [
        ({"email": "PARTNER@example.com"}, {Field.EMAIL}),
        ({"email": "not-an-email"}, {Field.EMAIL}),
        ({"email": "a@b"}, {Field.EMAIL}),
        ({"email": "   "}, {Field.EMAIL}),
        ({"email": "x" * 250 + "@example.com"}, {Field.EMAIL}),
        ({"phone": "12"}, {Field.PHONE}),
        ({"phone": "+1 555 0000 000"}, {Field.PHONE}),
        ({"phone": "call me maybe"}, {Field.PHONE}),
        ({"phone": "+" + "1" * 40}, {Field.PHONE}),
        ({"language": "xx"}, {Field.LANGUAGE}),
        ({"language": None}, {Field.LANGUAGE}),
        ({"user_id": STRANGER}, {Field.USER}),
        ({"user_id": "not a user"}, {Field.USER}),
        (
            {"user_id": None, "email": "", "phone": "", "language": ""},
            set(Field)
            - {
                Field.ACCESS_ID,
                Field.CONTRACT_ID,
                Field.EXPIRES_ON,
            },
        ),
    ],
)
async def test_each_bad_contact_field_is_refused_on_its_own_and_nothing_is_saved(
    services: Services,
    store: SqliteStore,
    changes: dict[str, str | None],
    wrong: set[Field],
) -> None:
    before = await observed(store)
    values: dict[str, str | None] = {
        "user_id": MEMBER,
        "email": "marketing@example.com",
        "phone": "+31 20 123 4567",
        "language": "nl",
    }
    values.update(changes)

    with pytest.raises(InvalidFields) as caught:
        await services.contact.set_marketing_contact(PARTNER_ADMIN, **values)

    assert set(caught.value.errors) == wrong
    assert all(rendered(e) for e in caught.value.errors.values())
    assert await observed(store) == before


async def test_the_contact_email_must_differ_from_the_account_email_in_any_case(
    services: Services,
) -> None:
    with pytest.raises(InvalidFields) as caught:
        await services.contact.set_marketing_contact(
            PARTNER_ADMIN,
            user_id=MEMBER,
            email="Partner@Example.COM",
            phone="+31 20 123 4567",
            language="nl",
        )
    assert "partner@example.com" in rendered(caught.value.errors[Field.EMAIL])


@pytest.mark.parametrize("actor", [MEMBER, AGENT, USER_ADMIN])
async def test_only_an_admin_may_set_the_marketing_contact(
    services: Services, store: SqliteStore, actor: str
) -> None:
    before = await observed(store)
    with pytest.raises(Forbidden):
        await services.contact.contact_form(actor)
    with pytest.raises(Forbidden):
        await services.contact.set_marketing_contact(
            actor, user_id=MEMBER, email="m@contoso.com", phone="+31201234567", language="nl"
        )
    assert await observed(store) == before


async def test_the_contact_form_shows_the_current_contact_and_the_account_email(
    services: Services,
) -> None:
    assert (await services.contact.contact_form(ADMIN)).current is None
    contact = await with_contact(services)
    form = await services.contact.contact_form(ADMIN)
    assert (form.current, form.account_email) == (contact, MEMBERSHIP.account_email)


# -- support ---------------------------------------------------------------------


async def test_support_for_a_broken_cloud_product_is_signature_cloud_support_with_its_ids(
    services: Services,
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    pending = await services.support.support(MEMBER, Problem.CLOUD)
    assert (pending.kind, pending.state) == (SupportKind.SIGNATURE_CLOUD, State.PENDING)
    assert pending.allowance == Allowance(5, Unit.INCIDENTS)

    await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    answer = await services.support.support(MEMBER, Problem.CLOUD)
    assert answer.state is State.ACTIVE
    assert answer.activation is not None
    assert (answer.activation.access_id, answer.activation.contract_id) == ("A1", "C1")


async def test_support_for_an_on_premises_product_names_who_activates_it(
    services: Services,
) -> None:
    answer = await services.support.support(MEMBER, Problem.ON_PREMISES)
    assert answer.kind is SupportKind.PRODUCT_INCIDENTS
    assert answer.state is State.NOT_ACTIVATED
    assert answer.allowance == Allowance(15, Unit.INCIDENTS)
    assert set(answer.activators) == {ADMIN, PARTNER_ADMIN}


async def test_support_with_a_cloud_competency_is_unlimited_and_action_pack_has_none(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, level=Level.GOLD, cloud_competency=True)
    assert (await services.support.support(MEMBER, Problem.CLOUD)).allowance.unlimited
    await set_membership(store, level=Level.ACTION_PACK)
    answer = await services.support.support(MEMBER, Problem.CLOUD)
    assert answer.state is State.NOT_AVAILABLE


# -- advisory hours ---------------------------------------------------------------


async def test_a_member_files_advisory_hours_and_the_hours_left_go_down(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    first = await services.support.file_advisory(MEMBER, "6", "  Azure landing zone for Contoso  ")
    second = await services.support.file_advisory(MEMBER2, 4, "Teams rollout")

    assert (first.hours_left, second.hours_left) == (14, 10)
    assert first.request.topic == "Azure landing zone for Contoso"
    assert (first.request.user_id, first.request.hours) == (MEMBER, 6)
    assert first.request.created_at == clock.now()
    assert first.admins == [ADMIN]
    assert (await services.support.support(MEMBER, Problem.ADVICE)).hours_left == 10
    assert (await services.activation.row(ADVISORY.id)).hours_left == 10
    entries = (await audit_log(store))[-2:]
    assert [(e.actor, e.action) for e in entries] == [
        (MEMBER, "advisory.request"),
        (MEMBER2, "advisory.request"),
    ]


async def test_advisory_hours_beyond_what_is_left_are_refused_saying_how_many_are_left(
    services: Services, store: SqliteStore
) -> None:
    await services.support.file_advisory(MEMBER, 15, "Migration")
    before = await observed(store)

    with pytest.raises(Conflict) as caught:
        await services.support.file_advisory(MEMBER2, 6, "More")

    assert caught.value.params == {"hours": 6, "left": 5, "total": 20}
    assert "only 5 of the 20" in rendered(caught.value)
    assert await observed(store) == before
    assert (await services.support.file_advisory(MEMBER2, 5, "Exactly the rest")).hours_left == 0


@pytest.mark.parametrize("hours", ["0", "-2", "2.5", "two", "", "1e3", "9999999"])
async def test_advisory_hours_must_be_a_positive_whole_number(
    services: Services, store: SqliteStore, hours: str
) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput) as caught:
        await services.support.file_advisory(MEMBER, hours, "Topic")
    assert "positive whole number" in rendered(caught.value)
    assert await observed(store) == before


@pytest.mark.parametrize("topic", ["", "   ", "t" * (MAX_TOPIC + 1)])
async def test_an_advisory_request_needs_a_topic_of_sensible_length(
    services: Services, store: SqliteStore, topic: str
) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput):
        await services.support.file_advisory(MEMBER, 2, topic)
    assert await observed(store) == before


async def test_advisory_hours_need_the_benefit_in_the_inventory(
    store: SqliteStore, clock: FakeClock
) -> None:
    bare = SupportService(store, clock=clock)
    with pytest.raises(Conflict) as caught:
        await bare.file_advisory(MEMBER, 2, "Topic")
    assert "advisory_hours" in rendered(caught.value)


async def test_no_advisory_hours_are_filed_while_the_membership_is_in_pmc(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, managed_in_pmc=True)
    before = await observed(store)
    with pytest.raises(Forbidden):
        await services.support.file_advisory(MEMBER, 2, "Topic")
    assert await observed(store) == before


# -- the overview behind `list technical` and `list gtm` ---------------------------


async def test_the_technical_overview_shows_each_kind_for_the_level_with_not_available(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, level=Level.ACTION_PACK)
    await services.support.file_advisory(MEMBER, 2, "Topic")

    overview = await services.activation.overview(MEMBER, Category.TECHNICAL)

    summary = {s.kind: (s.allowance.amount, s.hours_left) for s in overview.entitlements}
    assert summary == {
        SupportKind.SIGNATURE_CLOUD: (0, None),
        SupportKind.PRODUCT_INCIDENTS: (10, None),
        SupportKind.ADVISORY_HOURS: (5, 3),
    }
    assert not overview.can_manage
    assert overview.page.total == 4
    assert overview.page.has_next  # three a page in these tests
    states = {r.benefit.id: r.state for r in overview.page.items}
    assert states[ADVISORY.id] is State.NO_ACTIVATION_NEEDED
    second = await services.activation.overview(ADMIN, Category.TECHNICAL, page=1)
    assert second.can_manage
    everything = {r.benefit.id: r.state for r in second.page.items} | states
    assert everything[SIG_CLOUD.id] is State.NOT_AVAILABLE


async def test_the_gtm_overview_shows_status_expiry_and_the_contact(
    services: Services,
) -> None:
    contact = await with_contact(services)
    await services.activation.activate(PARTNER_ADMIN, GOLD_CORE.id)
    await services.activation.complete(PARTNER_ADMIN, GOLD_CORE.id, expires_on="2026-12-31")

    overview = await services.activation.overview(PARTNER_ADMIN, Category.GTM)

    assert overview.contact == contact
    assert overview.can_manage
    rows = {r.benefit.id: r for r in overview.page.items}
    assert rows[GOLD_CORE.id].state is State.ACTIVE
    assert rows[GOLD_CORE.id].activation is not None
    assert rows[GOLD_CORE.id].activation.expires_on == date(2026, 12, 31)  # type: ignore[union-attr]
    assert rows[CO_SELL.id].state is State.NOT_ACTIVATED


# -- completion from an inventory import ------------------------------------------


async def import_activation(
    services: Services,
    store: SqliteStore,
    benefit: Benefit,
    imported: ImportedActivation,
) -> ImportOutcome:
    async with store.write() as uow:
        return await services.activation.record_imported(uow, benefit, imported)


async def test_an_import_with_the_ids_completes_a_pending_activation_like_mark_active(
    services: Services, store: SqliteStore, sink: Recorder, clock: FakeClock
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    imported = ImportedActivation(ActivationStatus.ACTIVE, access_id="A9", contract_id="C9")

    outcome = await import_activation(services, store, SIG_CLOUD, imported)

    assert outcome is ImportOutcome.COMPLETED
    stored = await activation_of(store, SIG_CLOUD.id)
    assert stored is not None
    assert (stored.status, stored.access_id, stored.contract_id) == (
        ActivationStatus.ACTIVE,
        "A9",
        "C9",
    )
    assert (stored.requested_by, stored.completed_by, stored.completed_at) == (
        PARTNER_ADMIN,
        "import",
        clock.now(),
    )
    assert sink.completions == [events.ActivationCompleted(SIG_CLOUD, stored)]
    assert (await audit_log(store))[-1].action == "activation.complete"

    again = await import_activation(services, store, SIG_CLOUD, imported)
    assert again is ImportOutcome.UNCHANGED
    assert len(sink.completions) == 1


async def test_an_import_never_moves_an_active_benefit_back_to_pending(
    services: Services, store: SqliteStore
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    outcome = await import_activation(
        services, store, SIG_CLOUD, ImportedActivation(ActivationStatus.PENDING)
    )
    assert outcome is ImportOutcome.UNCHANGED
    stored = await activation_of(store, SIG_CLOUD.id)
    assert stored is not None
    assert stored.status is ActivationStatus.ACTIVE


async def test_an_import_can_record_a_pending_activation_and_new_ids(
    services: Services, store: SqliteStore, sink: Recorder
) -> None:
    pending = ImportedActivation(ActivationStatus.PENDING, requested_by=PARTNER_ADMIN)
    assert await import_activation(services, store, INCIDENTS, pending) is (ImportOutcome.REQUESTED)
    active = ImportedActivation(ActivationStatus.ACTIVE, access_id="A1", contract_id="C1")
    assert await import_activation(services, store, INCIDENTS, active) is (ImportOutcome.COMPLETED)
    changed = replace(active, contract_id="C2")
    assert await import_activation(services, store, INCIDENTS, changed) is (ImportOutcome.UPDATED)
    assert len(sink.events) == 1


async def test_an_imported_offer_whose_expiry_has_passed_is_stored_expired_without_event(
    services: Services, store: SqliteStore, sink: Recorder
) -> None:
    old = ImportedActivation(ActivationStatus.ACTIVE, expires_on=date(2025, 12, 31))
    assert await import_activation(services, store, GOLD_CORE, old) is ImportOutcome.EXPIRED
    assert sink.events == []
    assert (await services.activation.row(GOLD_CORE.id)).state is State.EXPIRED


@pytest.mark.parametrize(
    ("benefit", "imported"),
    [
        (SIG_CLOUD, ImportedActivation(ActivationStatus.ACTIVE, access_id="", contract_id="C1")),
        (SIG_CLOUD, ImportedActivation(ActivationStatus.ACTIVE, access_id="a b", contract_id="C")),
        (GOLD_CORE, ImportedActivation(ActivationStatus.ACTIVE)),
        (ADVISORY, ImportedActivation(ActivationStatus.PENDING)),
        (M365, ImportedActivation(ActivationStatus.PENDING)),
    ],
)
async def test_an_import_with_a_bad_activation_is_refused(
    services: Services,
    store: SqliteStore,
    benefit: Benefit,
    imported: ImportedActivation,
) -> None:
    before = await observed(store)
    with pytest.raises(InvalidInput):
        await import_activation(services, store, benefit, imported)
    assert await observed(store) == before


# -- builders: within Block Kit's limits at their largest -----------------------------


async def test_a_full_page_of_pending_benefits_for_an_admin_stays_within_block_kit_limits(
    store: SqliteStore, clock: FakeClock, services: Services, add_benefits: AddBenefits
) -> None:
    many = [
        Benefit(f"tech-{n:03}", f"Technical benefit {n:03} " + "x" * 140, Category.TECHNICAL)
        for n in range(40)
    ]
    await add_benefits(*many)
    activation_service = ActivationService(store, clock=clock)
    for benefit in many:
        await activation_service.activate(ADMIN, benefit.id)

    overview = await activation_service.overview(ADMIN, Category.TECHNICAL, page=1)
    payload = overview_message(overview)

    assert block_kit_violations(payload, surface="message") == []
    marks = [
        e
        for b in payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.MARK_ACTIVE
    ]
    assert len(marks) == overview.page.page_size == 15
    nav = [b for b in payload["blocks"] if b.get("block_id") == ids.LIST_NAV_BLOCK]
    assert [e["action_id"] for e in nav[0]["elements"]] == [ids.LIST_PREVIOUS, ids.LIST_NEXT]


async def test_the_contact_form_is_filled_with_the_current_contact(
    services: Services,
) -> None:
    await with_contact(services)
    view = contact_view(await services.contact.contact_form(ADMIN))

    assert block_kit_violations(view, surface="modal") == []
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[ids.CONTACT_USER_BLOCK]["initial_user"] == MEMBER
    assert elements[ids.CONTACT_PHONE_BLOCK]["initial_value"] == "+31201234567"
    assert elements[ids.CONTACT_LANGUAGE_BLOCK]["initial_option"]["value"] == "nl"
    assert MEMBERSHIP.account_email in str(view)


async def test_the_mark_active_form_asks_for_ids_or_an_expiry_by_category(
    services: Services,
) -> None:
    await with_contact(services)
    for benefit, wanted in ((SIG_CLOUD, ["plain_text_input"] * 2), (GOLD_CORE, ["datepicker"])):
        requested = await services.activation.activate(ADMIN, benefit.id)
        view = completion_view(benefit, requested.activation, Origin(benefit.id))
        assert block_kit_violations(view, surface="modal") == []
        assert [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"] == wanted
        assert Origin.load(view["private_metadata"]) == Origin(benefit.id)
