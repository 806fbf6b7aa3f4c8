"""The storage contract for every kind of benefit: details, keys, activations and the rest.

Like ``test_contract.py``, each test runs once per store (``[file]`` and
``[throwaway]``), speaks only through the ``UnitOfWork`` and its area ports, and compares
row ids by order, never by value.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.domain.model import (
    Activation,
    ActivationStatus,
    AuditEntry,
    Benefit,
    BenefitRow,
    Category,
    Download,
    KeyReveal,
    Level,
    MarketingContact,
    Membership,
    SupportKind,
)
from storage.unit_of_work import Store, UnitOfWork

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


WINDOWS = Benefit(
    "windows-11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=25,
    description="For workstations",
    instructions="Pick a language and an OS",
    languages=("English", "Français", "日本語"),
    operating_systems=("x64", "arm64"),
    downloads=(
        Download("Français", "x64", "https://example.com/fr/x64.iso"),
        Download("English", "arm64", "https://example.com/en/arm64.iso?a=1&b=2"),
        Download("日本語", "x64", "https://example.com/ja/x64.iso"),
    ),
    expires_on=date(2027, 2, 28),
)
AZURE = Benefit(
    "azure-credit",
    "Monthly Azure credit",
    Category.CLOUD,
    seats=10,
    usage_based=True,
    monthly=True,
    needs_approval=True,
    expires_on=date(2026, 12, 31),
)
DYNAMICS = Benefit("dynamics", "Dynamics 365 Sales", Category.CLOUD, seats=5)
VS = Benefit("vs-ent", "Visual Studio Enterprise", Category.VISUAL_STUDIO, seats=2)
SIGNATURE = Benefit(
    "signature",
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
    "advisory", "Advisory hours", Category.TECHNICAL, support_kind=SupportKind.ADVISORY_HOURS
)
GOLD_CORE = Benefit("gold-core", "Gold core", Category.GTM)
EVERY_KIND = (WINDOWS, AZURE, DYNAMICS, VS, SIGNATURE, INCIDENTS, ADVISORY, GOLD_CORE)


async def put_benefits(store: Store, *benefits: Benefit) -> None:
    async with store.write() as uow:
        for benefit in benefits:
            await uow.benefits.put(benefit)


async def assign(uow: UnitOfWork, benefit_id: str, user_id: str, minute: int) -> int:
    made = await uow.assignments.add(
        benefit_id=benefit_id, user_id=user_id, assigned_at=at(minute), assigned_by="UADMIN"
    )
    return made.id


def pending(benefit_id: str, minute: int, by: str = "UMPN") -> Activation:
    return Activation(benefit_id, ActivationStatus.PENDING, by, at(minute))


# -- benefit details and the membership -----------------------------------------------


async def test_every_detail_of_every_kind_of_benefit_reads_back_exactly(store: Store) -> None:
    await put_benefits(store, *EVERY_KIND)

    async with store.read() as uow:
        for benefit in EVERY_KIND:
            assert await uow.benefits.get(benefit.id) == benefit


async def test_lists_and_searches_carry_the_details_too(store: Store) -> None:
    await put_benefits(store, *EVERY_KIND)

    async with store.read() as uow:
        listed = await uow.benefits.all()
        rows = await uow.benefits.rows(category=Category.SOFTWARE, offset=0, limit=10)
        found = await uow.benefits.by_name_prefix("monthly", limit=5)

    assert set(listed) == set(EVERY_KIND)
    assert rows == [BenefitRow(WINDOWS, 0)]
    assert found == [AZURE]


async def test_putting_a_benefit_again_replaces_its_details_and_can_clear_them(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, AZURE, SIGNATURE)
    cleared = replace(
        WINDOWS, languages=("English",), operating_systems=("x64",), downloads=(), expires_on=None
    )
    not_usage_based = replace(AZURE, usage_based=False, monthly=False, needs_approval=False)
    other_kind = replace(SIGNATURE, support_kind=SupportKind.ADVISORY_HOURS)

    await put_benefits(store, cleared, not_usage_based, other_kind)

    async with store.read() as uow:
        assert await uow.benefits.get(WINDOWS.id) == cleared
        assert await uow.benefits.get(AZURE.id) == not_usage_based
        assert await uow.benefits.get(SIGNATURE.id) == other_kind


async def test_each_cloud_flag_reads_back_on_its_own(store: Store) -> None:
    alone = [
        replace(DYNAMICS, id="usage-based-only", usage_based=True),
        replace(DYNAMICS, id="monthly-only", monthly=True),
        replace(DYNAMICS, id="needs-approval-only", needs_approval=True),
    ]
    await put_benefits(store, *alone)

    async with store.read() as uow:
        for benefit in alone:
            assert await uow.benefits.get(benefit.id) == benefit


async def test_the_cloud_competency_of_the_membership_reads_back_and_can_be_turned_off(
    store: Store,
) -> None:
    cloud = Membership(
        Level.SILVER, date(2026, 3, 1), date(2027, 3, 1), "it@example.com", cloud_competency=True
    )
    async with store.write() as uow:
        await uow.membership.put(cloud)
    async with store.read() as uow:
        assert await uow.membership.get() == cloud

    async with store.write() as uow:
        await uow.membership.put(replace(cloud, cloud_competency=False))
    async with store.read() as uow:
        assert await uow.membership.get() == replace(cloud, cloud_competency=False)


# -- assignments over time -------------------------------------------------------------


async def test_first_assignment_is_the_earliest_ever_in_the_asked_categories(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, AZURE, VS)
    async with store.write() as uow:
        assert await uow.assignments.first([Category.SOFTWARE]) is None
        await assign(uow, VS.id, "U1", 0)  # earliest, but another category
        later = await assign(uow, WINDOWS.id, "U2", 20)
        earlier = await assign(uow, AZURE.id, "U3", 10)
        await uow.assignments.release(earlier, at=at(30))  # released ones count too

    async with store.read() as uow:
        software = await uow.assignments.first([Category.SOFTWARE])
        either = await uow.assignments.first([Category.SOFTWARE, Category.CLOUD])
        none_asked = await uow.assignments.first([])
        technical = await uow.assignments.first([Category.TECHNICAL])

    assert software is not None
    assert software.id == later
    assert either is not None
    assert either.id == earlier
    assert either.released_at == at(30)
    assert either.user_id == "U3"
    assert none_asked is None
    assert technical is None


async def test_first_assignment_breaks_a_tie_in_time_by_the_order_of_assignment(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, DYNAMICS)
    async with store.write() as uow:
        first = await assign(uow, DYNAMICS.id, "U1", 5)
        await assign(uow, WINDOWS.id, "U2", 5)

    async with store.read() as uow:
        found = await uow.assignments.first([Category.SOFTWARE, Category.CLOUD])

    assert found is not None
    assert found.id == first


async def test_count_released_assignments_counts_only_that_benefits_released_seats(
    store: Store,
) -> None:
    await put_benefits(store, AZURE, VS)
    async with store.write() as uow:
        for minute, user in enumerate(("U1", "U2", "U3")):
            made = await assign(uow, AZURE.id, user, minute)
            if user != "U3":
                await uow.assignments.release(made, at=at(minute + 10))
        await uow.assignments.release(await assign(uow, VS.id, "U1", 0), at=at(1))

    async with store.read() as uow:
        assert await uow.assignments.count_released(AZURE.id) == 2
        assert await uow.assignments.count_released(VS.id) == 1
        assert await uow.assignments.count_released("unknown") == 0
        assert await uow.assignments.count_active(AZURE.id) == 1


# -- product keys ------------------------------------------------------------------------


async def test_a_benefit_has_no_keys_until_some_are_put(store: Store) -> None:
    await put_benefits(store, WINDOWS)

    async with store.read() as uow:
        assert await uow.keys.ciphertexts(WINDOWS.id) == []
        assert await uow.keys.count(WINDOWS.id) == 0
        assert await uow.keys.all_ciphertexts() == []


async def test_keys_read_back_in_the_order_they_were_put(store: Store) -> None:
    await put_benefits(store, WINDOWS)
    keys = ["gAAA-zeta", "gAAA-alpha", "gAAA-mid", "gAAA-alpha"]  # order kept, duplicates too
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, keys)

    async with store.read() as uow:
        assert await uow.keys.ciphertexts(WINDOWS.id) == keys
        assert await uow.keys.count(WINDOWS.id) == 4


async def test_putting_keys_again_replaces_them_and_an_empty_list_removes_them(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, DYNAMICS)
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, ["a", "b", "c"])
        await uow.keys.put(DYNAMICS.id, ["d"])
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, ["e"])
    async with store.read() as uow:
        assert await uow.keys.ciphertexts(WINDOWS.id) == ["e"]
        assert await uow.keys.ciphertexts(DYNAMICS.id) == ["d"]

    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, [])
    async with store.read() as uow:
        assert await uow.keys.ciphertexts(WINDOWS.id) == []
        assert await uow.keys.count(WINDOWS.id) == 0
        assert await uow.keys.ciphertexts(DYNAMICS.id) == ["d"]


async def test_putting_a_benefit_again_keeps_its_keys(store: Store) -> None:
    await put_benefits(store, WINDOWS)
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, ["a", "b"])

    await put_benefits(store, replace(WINDOWS, seats=30))

    async with store.read() as uow:
        assert await uow.keys.ciphertexts(WINDOWS.id) == ["a", "b"]


async def test_all_key_ciphertexts_lists_every_key_by_benefit_id_then_position(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, DYNAMICS, AZURE)
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, ["w0", "w1"])
        await uow.keys.put(DYNAMICS.id, ["d0", "d1", "d2"])

    async with store.read() as uow:
        listed = await uow.keys.all_ciphertexts()

    assert listed == [
        ("dynamics", 0, "d0"),
        ("dynamics", 1, "d1"),
        ("dynamics", 2, "d2"),
        ("windows-11", 0, "w0"),
        ("windows-11", 1, "w1"),
    ]


async def test_updating_one_key_ciphertext_changes_only_that_key(store: Store) -> None:
    await put_benefits(store, WINDOWS, DYNAMICS)
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, ["w0", "w1", "w2"])
        await uow.keys.put(DYNAMICS.id, ["d0"])
        for benefit_id, position, text in await uow.keys.all_ciphertexts():
            if (benefit_id, position) == (WINDOWS.id, 1):
                await uow.keys.update_ciphertext(benefit_id, position, text + "-rotated")

    async with store.read() as uow:
        assert await uow.keys.ciphertexts(WINDOWS.id) == ["w0", "w1-rotated", "w2"]
        assert await uow.keys.ciphertexts(DYNAMICS.id) == ["d0"]
        assert await uow.keys.count(WINDOWS.id) == 3


@pytest.mark.parametrize(
    ("benefit_id", "position"),
    [
        pytest.param("windows-11", 2, id="past the last key"),
        pytest.param("windows-11", -1, id="negative position"),
        pytest.param("dynamics", 0, id="benefit without keys"),
    ],
)
async def test_updating_a_key_that_does_not_exist_raises_lookup_error_and_changes_nothing(
    store: Store, benefit_id: str, position: int
) -> None:
    await put_benefits(store, WINDOWS, DYNAMICS)
    async with store.write() as uow:
        await uow.keys.put(WINDOWS.id, ["w0", "w1"])

    with pytest.raises(LookupError):
        async with store.write() as uow:
            await uow.keys.update_ciphertext(benefit_id, position, "x")

    async with store.read() as uow:
        assert await uow.keys.all_ciphertexts() == [
            ("windows-11", 0, "w0"),
            ("windows-11", 1, "w1"),
        ]


async def test_there_is_no_key_reveal_until_one_is_added(store: Store) -> None:
    async with store.read() as uow:
        assert await uow.keys.first_reveal() is None


async def test_the_first_key_reveal_is_the_earliest_in_time_not_in_insertion(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, DYNAMICS)
    earliest = KeyReveal(DYNAMICS.id, "U2", datetime(2026, 1, 15, 9, 30, tzinfo=CET))  # 08:30 UTC
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(WINDOWS.id, "U1", at(0)))
        await uow.keys.add_reveal(earliest)
        await uow.keys.add_reveal(KeyReveal(WINDOWS.id, "U3", at(60)))

    async with store.read() as uow:
        first = await uow.keys.first_reveal()

    assert first == earliest
    assert first is not None
    assert first.at.tzinfo is not None


async def test_of_two_key_reveals_at_the_same_moment_the_first_added_is_first(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS)
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(WINDOWS.id, "U1", at(5)))
        await uow.keys.add_reveal(KeyReveal(WINDOWS.id, "U2", at(5)))

    async with store.read() as uow:
        assert await uow.keys.first_reveal() == KeyReveal(WINDOWS.id, "U1", at(5))


# -- activations ---------------------------------------------------------------------------


async def test_a_benefit_has_no_activation_until_one_is_put(store: Store) -> None:
    await put_benefits(store, SIGNATURE)

    async with store.read() as uow:
        assert await uow.activations.get(SIGNATURE.id) is None
        assert await uow.activations.all() == []


async def test_a_pending_activation_reads_back_with_empty_ids_and_no_completion(
    store: Store,
) -> None:
    await put_benefits(store, SIGNATURE)
    requested = pending(SIGNATURE.id, 0)
    async with store.write() as uow:
        await uow.activations.put(requested)

    async with store.read() as uow:
        found = await uow.activations.get(SIGNATURE.id)

    assert found == requested
    assert found is not None
    assert (found.access_id, found.contract_id, found.completed_by, found.completed_at) == (
        "",
        "",
        None,
        None,
    )


async def test_completing_an_activation_replaces_it_with_every_field(store: Store) -> None:
    await put_benefits(store, SIGNATURE, GOLD_CORE)
    completed_at = datetime(2026, 1, 20, 16, 45, 1, 250, tzinfo=CET)
    technical = replace(
        pending(SIGNATURE.id, 0),
        status=ActivationStatus.ACTIVE,
        completed_by="UGLOBAL",
        completed_at=completed_at,
        access_id="ACC-1234-ÄÖ",
        contract_id="CON'; DROP TABLE activations; --",
    )
    offer = replace(
        pending(GOLD_CORE.id, 1),
        status=ActivationStatus.ACTIVE,
        completed_by="UMPN",
        completed_at=at(90),
        expires_on=date(2027, 6, 30),
    )
    async with store.write() as uow:
        await uow.activations.put(pending(SIGNATURE.id, 0))
        await uow.activations.put(pending(GOLD_CORE.id, 1))
    async with store.write() as uow:
        await uow.activations.put(technical)
        await uow.activations.put(offer)

    async with store.read() as uow:
        assert await uow.activations.get(SIGNATURE.id) == technical
        assert await uow.activations.get(GOLD_CORE.id) == offer
        assert len(await uow.activations.all()) == 2


async def test_activations_are_ordered_by_request_time_then_benefit_id_and_filter_by_status(
    store: Store,
) -> None:
    await put_benefits(store, SIGNATURE, INCIDENTS, ADVISORY, GOLD_CORE)
    expired = replace(
        pending(GOLD_CORE.id, 0),
        status=ActivationStatus.EXPIRED,
        completed_by="UMPN",
        completed_at=at(1),
        expires_on=date(2026, 1, 16),
    )
    active = replace(
        pending(INCIDENTS.id, 20),
        status=ActivationStatus.ACTIVE,
        completed_by="UMPN",
        completed_at=at(30),
        access_id="A",
        contract_id="C",
    )
    async with store.write() as uow:
        await uow.activations.put(pending(SIGNATURE.id, 10))
        await uow.activations.put(active)
        await uow.activations.put(expired)
        await uow.activations.put(pending(ADVISORY.id, 10))  # same time: by benefit id

    async with store.read() as uow:
        every = await uow.activations.all()
        waiting = await uow.activations.all(status=ActivationStatus.PENDING)
        running = await uow.activations.all(status=ActivationStatus.ACTIVE)
        ended = await uow.activations.all(status=ActivationStatus.EXPIRED)

    assert [a.benefit_id for a in every] == ["gold-core", "advisory", "signature", "incidents"]
    assert waiting == [pending(ADVISORY.id, 10), pending(SIGNATURE.id, 10)]
    assert running == [active]
    assert ended == [expired]


async def test_activation_times_read_back_equal_whatever_zone_they_were_given_in(
    store: Store,
) -> None:
    await put_benefits(store, SIGNATURE, INCIDENTS)
    early = Activation(
        INCIDENTS.id, ActivationStatus.PENDING, "U1", datetime(2026, 1, 15, 9, 59, tzinfo=CET)
    )
    async with store.write() as uow:
        await uow.activations.put(pending(SIGNATURE.id, 0))  # 09:00 UTC
        await uow.activations.put(early)  # 08:59 UTC

    async with store.read() as uow:
        listed = await uow.activations.all()

    assert listed == [early, pending(SIGNATURE.id, 0)]


# -- marketing contact ------------------------------------------------------------------------


async def test_there_is_no_marketing_contact_until_one_is_put_and_a_second_replaces_it(
    store: Store,
) -> None:
    first = MarketingContact("U1", "m@contoso.com", "+31201234567", "nl", "UMPN", at(0))
    second = MarketingContact("U2", "é@contoso.com", "+14155550100", "en", "UGLOBAL", at(5))
    async with store.read() as uow:
        assert await uow.marketing_contact.get() is None

    async with store.write() as uow:
        await uow.marketing_contact.put(first)
    async with store.read() as uow:
        assert await uow.marketing_contact.get() == first

    async with store.write() as uow:
        await uow.marketing_contact.put(second)
    async with store.read() as uow:
        assert await uow.marketing_contact.get() == second


# -- advisory hours ----------------------------------------------------------------------------


async def test_advisory_requests_read_back_and_their_hours_add_up_per_benefit(
    store: Store,
) -> None:
    other = replace(ADVISORY, id="advisory-2", name="Advisory hours (second)")
    await put_benefits(store, ADVISORY, other)
    async with store.read() as uow:
        assert await uow.advisory.hours_used(ADVISORY.id) == 0

    async with store.write() as uow:
        first = await uow.advisory.add_request(
            benefit_id=ADVISORY.id,
            user_id="U1",
            hours=3,
            topic="Azure landing zone",
            created_at=at(0),
        )
        second = await uow.advisory.add_request(
            benefit_id=ADVISORY.id, user_id="U2", hours=12, topic="Hybrid 🚀", created_at=at(5)
        )
        await uow.advisory.add_request(
            benefit_id=other.id, user_id="U1", hours=7, topic="Other", created_at=at(6)
        )

    assert (first.benefit_id, first.user_id, first.hours, first.topic, first.created_at) == (
        ADVISORY.id,
        "U1",
        3,
        "Azure landing zone",
        at(0),
    )
    assert second.id > first.id
    assert second.topic == "Hybrid 🚀"
    async with store.read() as uow:
        assert await uow.advisory.hours_used(ADVISORY.id) == 15
        assert await uow.advisory.hours_used(other.id) == 7
        assert await uow.advisory.hours_used("unknown") == 0


# -- service requests ------------------------------------------------------------------------------


async def test_service_requests_start_open_and_list_in_the_order_they_were_filed(
    store: Store,
) -> None:
    async with store.read() as uow:
        assert await uow.service_requests.all() == []

    async with store.write() as uow:
        cancel = await uow.service_requests.add(
            kind="cancellation", created_by="UAGENT", created_at=at(0), detail="Refund, please"
        )
        other = await uow.service_requests.add(kind="other", created_by="UMPN", created_at=at(1))

    assert (cancel.kind, cancel.status, cancel.created_by, cancel.created_at, cancel.detail) == (
        "cancellation",
        "open",
        "UAGENT",
        at(0),
        "Refund, please",
    )
    assert other.detail == ""
    assert other.id > cancel.id
    async with store.read() as uow:
        assert await uow.service_requests.all() == [cancel, other]


# -- the audit log for exports -------------------------------------------------------------------------


async def test_audit_entries_page_forward_oldest_first_after_an_id(store: Store) -> None:
    async with store.write() as uow:
        for minute in range(5):
            await uow.audit.add(AuditEntry(at(minute), "U1", f"action.{minute}", "s", "d"))

    async with store.read() as uow:
        everything = await uow.audit.entries(after_id=0, limit=100)
        first_page = await uow.audit.entries(after_id=0, limit=2)
        second_page = await uow.audit.entries(after_id=first_page[-1].id, limit=2)
        last_page = await uow.audit.entries(after_id=second_page[-1].id, limit=2)
        beyond = await uow.audit.entries(after_id=last_page[-1].id, limit=2)
        nothing = await uow.audit.entries(after_id=0, limit=0)
        newest = await uow.audit.recent(5)

    assert [e.action for e in everything] == [f"action.{m}" for m in range(5)]
    assert [e.at for e in everything] == [at(m) for m in range(5)]
    ids = [e.id for e in everything]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert first_page + second_page + last_page == everything
    assert len(last_page) == 1
    assert beyond == []
    assert nothing == []
    assert list(reversed(newest)) == everything


# -- units of work ----------------------------------------------------------------------------------


async def test_a_write_that_raises_leaves_no_key_activation_contact_or_request_behind(
    store: Store,
) -> None:
    await put_benefits(store, WINDOWS, SIGNATURE, ADVISORY)

    class Boom(Exception):
        pass

    async def doomed_write() -> None:
        async with store.write() as uow:
            await uow.keys.put(WINDOWS.id, ["secret"])
            await uow.keys.add_reveal(KeyReveal(WINDOWS.id, "U1", at(0)))
            await uow.activations.put(pending(SIGNATURE.id, 0))
            await uow.marketing_contact.put(
                MarketingContact("U1", "m@contoso.com", "+31201234567", "nl", "U1", at(0))
            )
            await uow.advisory.add_request(
                benefit_id=ADVISORY.id, user_id="U1", hours=2, topic="t", created_at=at(0)
            )
            await uow.service_requests.add(kind="cancellation", created_by="U1", created_at=at(0))
            await uow.benefits.put(replace(WINDOWS, languages=("Deutsch",)))
            assert await uow.keys.count(WINDOWS.id) == 1  # visible inside the block
            raise Boom

    with pytest.raises(Boom):
        await doomed_write()

    async with store.read() as uow:
        assert await uow.keys.all_ciphertexts() == []
        assert await uow.keys.first_reveal() is None
        assert await uow.activations.all() == []
        assert await uow.marketing_contact.get() is None
        assert await uow.advisory.hours_used(ADVISORY.id) == 0
        assert await uow.service_requests.all() == []
        assert await uow.benefits.get(WINDOWS.id) == WINDOWS
