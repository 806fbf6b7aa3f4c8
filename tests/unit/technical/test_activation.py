"""Technical benefits and go-to-market offers: activating them, marking them active, the
overviews behind `list technical` and `list gtm`, completion from an import and the forms."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from bot.blocks import ids
from bot.blocks.activation import Origin, completion_view, overview_message
from bot.domain import events
from bot.domain.activations import State
from bot.domain.clock import FakeClock
from bot.domain.limits import MAX_ID
from bot.domain.model import (
    ActivationStatus,
    Benefit,
    Category,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    Level,
    NoMatch,
    SupportKind,
)
from bot.domain.validation import Field, InvalidFields
from bot.runtime.container import Services
from bot.services.activation import ActivationService, ImportedActivation, ImportOutcome
from storage.sqlite import SqliteStore
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import ADMIN, CO_SELL, M365, MEMBER, AddBenefits, audit_log, rendered
from tests.unit.helpers import (
    ADVISORY,
    AGENT,
    GOLD_CORE,
    INCIDENTS,
    PARTNER_ADMIN,
    SIG_CLOUD,
    USER_ADMIN,
    Recorder,
    activation_of,
    observed,
    set_membership,
    with_contact,
)


async def refused_activation(
    services: Services, store: SqliteStore, actor: str, benefit_id: str, kind: type[DomainError]
) -> str:
    """Activating ``benefit_id`` as ``actor`` is refused with ``kind`` and changes nothing:
    the refusal as the person reads it."""
    before = await observed(store)
    with pytest.raises(kind) as caught:
        await services.activation.activate(actor, benefit_id)
    assert await observed(store) == before
    return rendered(caught.value)


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


async def test_a_technical_benefit_is_found_by_the_start_of_its_name(services: Services) -> None:
    requested = await services.activation.activate(PARTNER_ADMIN, "signature")
    assert requested.benefit == SIG_CLOUD


@pytest.mark.parametrize("actor", [MEMBER, AGENT, USER_ADMIN])
@pytest.mark.parametrize("benefit", [SIG_CLOUD, GOLD_CORE])
async def test_only_an_mpn_partner_admin_or_global_admin_may_activate(
    services: Services, store: SqliteStore, actor: str, benefit: Benefit
) -> None:
    await with_contact(services)
    text = await refused_activation(services, store, actor, benefit.id, Forbidden)

    assert "global_admin or mpn_partner_admin" in text
    assert f"<@{PARTNER_ADMIN}>" in text


async def test_activating_again_while_pending_says_since_when_and_by_whom(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    clock.advance(timedelta(days=2))
    text = await refused_activation(services, store, ADMIN, SIG_CLOUD.id, Conflict)

    assert "pending" in text
    assert "2026-01-15" in text
    assert f"<@{PARTNER_ADMIN}>" in text


async def test_activating_an_active_benefit_says_since_when(
    services: Services, store: SqliteStore, clock: FakeClock
) -> None:
    await services.activation.activate(PARTNER_ADMIN, SIG_CLOUD.id)
    clock.advance(timedelta(days=3))
    await services.activation.complete(ADMIN, SIG_CLOUD.id, access_id="A1", contract_id="C1")
    text = await refused_activation(services, store, PARTNER_ADMIN, SIG_CLOUD.id, Conflict)

    assert "already active (since 2026-01-18)" in text


async def test_advisory_hours_need_no_activation(services: Services, store: SqliteStore) -> None:
    text = await refused_activation(services, store, PARTNER_ADMIN, ADVISORY.id, InvalidInput)

    assert "needs no activation" in text
    assert "/benefits advisory" in text


async def test_a_software_benefit_is_not_activated_but_requested(
    services: Services, store: SqliteStore
) -> None:
    text = await refused_activation(services, store, PARTNER_ADMIN, M365.id, InvalidInput)

    assert f"/benefits request {M365.id}" in text


async def test_an_unknown_benefit_gets_the_closest_matches(services: Services) -> None:
    with pytest.raises(NoMatch) as caught:
        await services.activation.activate(PARTNER_ADMIN, "signatur cloud suport")
    assert SIG_CLOUD in caught.value.candidates


async def test_an_action_pack_cannot_activate_signature_cloud_support(
    services: Services, store: SqliteStore
) -> None:
    await set_membership(store, level=Level.ACTION_PACK)
    text = await refused_activation(services, store, PARTNER_ADMIN, SIG_CLOUD.id, Conflict)

    assert "Action Pack membership includes no Signature cloud support" in text


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
    text = await refused_activation(services, store, PARTNER_ADMIN, GOLD_CORE.id, Conflict)

    assert "marketing contact" in text
    assert "/benefits contact" in text


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


async def test_the_gtm_overview_shows_status_expiry_and_the_contact(services: Services) -> None:
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
    services: Services, store: SqliteStore, benefit: Benefit, imported: ImportedActivation
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
    services: Services, store: SqliteStore, benefit: Benefit, imported: ImportedActivation
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
