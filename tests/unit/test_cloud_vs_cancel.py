"""Details, Azure credits, Visual Studio reassignment, cancellation, PMC and the audit log.

The service owns these rules of docs/rules.md; each test builds its state through
the service or the repository API and checks what a person, the directory or
the audit log would see.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import pytest

from bot.blocks.admin import audit_message, cancellation_check_message
from bot.blocks.benefits import details_view
from bot.domain.cancellation import CancellationRefused
from bot.domain.clock import FakeClock
from bot.domain.cloud import is_free_mail, normalized_email
from bot.domain.model import (
    Activation,
    ActivationStatus,
    AuditEntry,
    Benefit,
    Category,
    Conflict,
    DirectoryUser,
    DomainError,
    Forbidden,
    InvalidInput,
    KeyReveal,
    NotFound,
    RequestStatus,
    Role,
    ServiceRequest,
)
from bot.services.audit import COLUMNS, export_audit_csv
from bot.services.benefits import AUDIT_MAX, BenefitsService
from storage.sqlite import SqliteStore, throwaway_store
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    AZURE,
    CO_SELL,
    M365,
    MEMBER,
    MEMBER2,
    MEMBER3,
    MEMBERSHIP,
    STRANGER,
    SUPPORT,
    VS_ENT,
    VS_PRO,
    AddBenefits,
    Snapshot,
    audit_log,
    rendered,
    snapshot,
)

CREDIT = Benefit(
    "azure-monthly",
    "Azure monthly credit $150",
    Category.CLOUD,
    seats=3,
    usage_based=True,
    monthly=True,
)
CREDIT_2 = Benefit("azure-dev", "Azure dev/test credit", Category.CLOUD, usage_based=True)
APPROVED_CREDIT = Benefit(
    "azure-approved", "Azure credit with approval", Category.CLOUD, usage_based=True, seats=2
)
APPROVED_CREDIT = replace(APPROVED_CREDIT, needs_approval=True)
ONE_SEAT_MONTHLY = Benefit(
    "azure-single", "Azure single credit", Category.CLOUD, seats=1, usage_based=True, monthly=True
)
ONE_SEAT_CREDIT = replace(ONE_SEAT_MONTHLY, id="azure-yearly", name="Azure yearly", monthly=False)
WINDOWS = Benefit(
    "win11",
    "Windows 11 Enterprise",
    Category.SOFTWARE,
    seats=10,
    languages=("English", "German", "Dutch"),
    operating_systems=("x64", "ARM64"),
    expires_on=date(2026, 6, 30),
    instructions="Redeem once per device.",
)

CLOUD_BENEFITS = (CREDIT, CREDIT_2, APPROVED_CREDIT, ONE_SEAT_MONTHLY, ONE_SEAT_CREDIT, WINDOWS)


@pytest.fixture
async def cloud(service: BenefitsService, add_benefits: AddBenefits) -> BenefitsService:
    await add_benefits(*CLOUD_BENEFITS)
    return service


@dataclass(frozen=True)
class State:
    base: Snapshot
    service_requests: list[ServiceRequest]
    holders: dict[str, list[str | None]]


@contextmanager
def refused(kind: type[DomainError], text: str) -> Iterator[None]:
    """Expect a refusal of ``kind`` whose rendered message contains ``text``."""
    with pytest.raises(kind) as caught:
        yield
    assert text in rendered(caught.value)


async def state(store: SqliteStore) -> State:
    """Everything these tests may change: the base snapshot, service requests, holders."""
    async with store.read() as uow:
        holders = {
            b.id: [a.user_id for a in await uow.assignments.active(b.id)] for b in CLOUD_BENEFITS
        }
        requests = await uow.service_requests.all()
    return State(await snapshot(store), requests, holders)


async def put_user(store: SqliteStore, user: str, email: str = "") -> None:
    async with store.write() as uow:
        await uow.people.put_user(DirectoryUser(user, email=email))


async def set_membership(store: SqliteStore, **changes: object) -> None:
    async with store.write() as uow:
        await uow.membership.put(replace(MEMBERSHIP, **changes))  # type: ignore[arg-type]


async def email_of(store: SqliteStore, user: str) -> str:
    async with store.read() as uow:
        found = await uow.people.get_user(user)
    return found.email if found else ""


# -- details ------------------------------------------------------------------------------------


async def test_details_show_languages_operating_systems_expiry_and_status(
    cloud: BenefitsService,
) -> None:
    details = await cloud.details(MEMBER, WINDOWS.id)

    assert details.status is ActivationStatus.ACTIVE
    assert details.expires_on == date(2026, 6, 30)
    text = str(details_view(details, None))
    for shown in ("English, German, Dutch", "x64, ARM64", "2026-06-30", "Active", "Redeem once"):
        assert shown in text


async def test_a_benefit_past_its_expiry_date_shows_as_expired(
    cloud: BenefitsService, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 7, 1, 9, 0, tzinfo=clock.now().tzinfo))

    details = await cloud.details(MEMBER, WINDOWS.id)

    assert details.status is ActivationStatus.EXPIRED
    assert "Expired" in str(details_view(details, None))


async def test_a_technical_benefit_is_not_activated_then_pending_then_active_with_its_ids(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    assert (await service.details(MEMBER, SUPPORT.id)).status is None
    pending = Activation(SUPPORT.id, ActivationStatus.PENDING, ADMIN, clock.now())
    async with store.write() as uow:
        await uow.activations.put(pending)

    waiting = await service.details(MEMBER, SUPPORT.id)
    assert waiting.status is ActivationStatus.PENDING
    view = str(details_view(waiting, None))
    assert "Pending (requested 2026-01-15)" in view
    assert "Access ID" not in view

    async with store.write() as uow:
        await uow.activations.put(
            replace(
                pending,
                status=ActivationStatus.ACTIVE,
                access_id="ACC-123",
                contract_id="CON-456",
                completed_by=ADMIN,
                completed_at=clock.now(),
            )
        )
    active = await service.details(MEMBER, SUPPORT.id)  # a member sees the IDs too
    assert active.status is ActivationStatus.ACTIVE
    view = str(details_view(active, None))
    assert "ACC-123" in view
    assert "CON-456" in view


async def test_an_offer_past_its_activation_expiry_is_expired(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        await uow.activations.put(
            Activation(
                CO_SELL.id,
                ActivationStatus.ACTIVE,
                ADMIN,
                clock.now() - timedelta(days=400),
                expires_on=date(2026, 1, 14),
            )
        )

    details = await service.details(MEMBER, CO_SELL.id)

    assert details.status is ActivationStatus.EXPIRED
    assert details.expires_on == date(2026, 1, 14)


async def test_holders_come_page_by_page_and_a_page_past_the_end_shows_the_last(
    service: BenefitsService, store: SqliteStore, add_benefits: AddBenefits, clock: FakeClock
) -> None:
    wide = Benefit("wide", "Wide licence", Category.SOFTWARE, seats=200)
    await add_benefits(wide)
    async with store.write() as uow:
        for i in range(120):
            await uow.assignments.add(
                benefit_id=wide.id, user_id=f"UH{i:05d}", assigned_at=clock.now(), assigned_by=ADMIN
            )

    first = await service.details(ADMIN, wide.id)
    last = await service.details(ADMIN, wide.id, holders_page=99)

    assert first.holders_pages == 3
    assert first.holders is not None
    assert len(first.holders) == 50
    assert last.holders_page == 2
    assert last.holders is not None
    assert [a.user_id for a in last.holders][-1] == "UH00119"
    view = details_view(last, None)
    assert block_kit_violations(view, surface="modal") == []
    assert "page 3 of 3" in str(view)


async def test_a_usage_based_credit_offers_an_activate_button_and_a_software_benefit_does_not(
    cloud: BenefitsService,
) -> None:
    def action_ids(view: dict[str, object]) -> list[str]:
        return [
            e["action_id"]
            for b in view["blocks"]  # type: ignore[attr-defined]
            if b["type"] == "actions"
            for e in b["elements"]
        ]

    assert "cloud_activate" in action_ids(
        details_view(await cloud.details(MEMBER, CREDIT.id), None)
    )
    assert "cloud_activate" not in action_ids(
        details_view(await cloud.details(MEMBER, WINDOWS.id), None)
    )


# -- free mail domains ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "a@gmail.com",
        "a@outlook.com",
        "a@hotmail.com",
        "a@yahoo.com",
        "a@live.com",
        "a@icloud.com",
        "a@aol.com",
        "a@gmx.de",
        "a@gmx.net",
        "a@proton.me",
        "a@protonmail.com",
        "a@yahoo.co.uk",
        "a@hotmail.fr",
        "A@GMAIL.COM",
    ],
)
def test_free_mail_domains_are_recognised(email: str) -> None:
    assert is_free_mail(email)


@pytest.mark.parametrize(
    "email",
    [
        "a@contoso.com",
        "a@outlook.contoso.com",
        "a@gmxtra.com",
        "a@mail.example.org",
        "a@live-events.com",
    ],
)
def test_company_domains_are_not_free_mail(email: str) -> None:
    assert not is_free_mail(email)


def test_an_email_is_checked_for_syntax_and_kept_in_lower_case() -> None:
    assert normalized_email(" Mia.Member@Contoso.COM ") == "mia.member@contoso.com"
    assert normalized_email("not an email") is None
    assert normalized_email("a@b") is None


# -- activating an Azure credit ------------------------------------------------------------------


async def test_a_member_assigns_a_credit_to_themselves_and_it_is_audited(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    result = await cloud.activate_cloud(MEMBER, CREDIT.id)

    assert result.assignment is not None
    assert result.assignment.user_id == MEMBER
    assert result.assignment.assigned_by == MEMBER
    assert result.request is None
    assert result.email == "mia@example.com"  # from the directory
    assert result.seats_left == 2
    assert [(e.action, e.subject, e.detail) for e in await audit_log(store)][-1] == (
        "cloud.activate",
        f"user:{MEMBER}",
        CREDIT.id,
    )


async def test_the_directory_email_wins_over_the_slack_profile(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    result = await cloud.activate_cloud(MEMBER, CREDIT.id, email="mia@gmail.com")

    assert result.email == "mia@example.com"
    assert await email_of(store, MEMBER) == "mia@example.com"


async def test_the_slack_email_is_kept_in_the_directory_when_it_had_none(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await put_user(store, "UNOEMAIL1")

    result = await cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email=" Noa@Contoso.com ")

    assert result.email == "noa@contoso.com"
    assert await email_of(store, "UNOEMAIL1") == "noa@contoso.com"
    actions = [e.action for e in await audit_log(store)]
    assert actions[-2:] == ["user.email", "cloud.activate"]


async def test_someone_not_yet_in_the_directory_is_added_with_their_slack_email(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await cloud.activate_cloud("UNEWCOMER", CREDIT.id, email="new@contoso.com")

    assert await email_of(store, "UNEWCOMER") == "new@contoso.com"


@pytest.mark.parametrize("email", [None, "", "   "])
async def test_an_unknown_email_is_refused_with_what_to_do_and_nothing_is_written(
    cloud: BenefitsService, store: SqliteStore, email: str | None
) -> None:
    await put_user(store, "UNOEMAIL1")
    before = await state(store)

    with pytest.raises(InvalidInput) as caught:
        await cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email=email)

    assert "don't know your email address" in rendered(caught.value)
    assert "Slack profile" in rendered(caught.value)
    assert await state(store) == before


async def test_a_malformed_slack_email_is_refused_and_nothing_is_written(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await put_user(store, "UNOEMAIL1")
    before = await state(store)

    with pytest.raises(InvalidInput) as caught:
        await cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email="noa at contoso")

    assert "not a valid email address" in rendered(caught.value)
    assert await state(store) == before


@pytest.mark.parametrize(
    "email", ["noa@gmail.com", "noa@outlook.com", "noa@hotmail.com", "noa@yahoo.com", "noa@gmx.de"]
)
async def test_a_credit_never_goes_to_a_free_mail_domain_and_nothing_is_written(
    cloud: BenefitsService, store: SqliteStore, email: str
) -> None:
    await put_user(store, "UNOEMAIL1")
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email=email)

    text = rendered(caught.value)
    assert "free mail domain" in text
    assert email.partition("@")[2] in text
    assert await state(store) == before  # not even the email was kept


async def test_a_free_mail_address_already_in_the_directory_is_refused_too(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await put_user(store, "UGMAIL001", "someone@gmail.com")

    with refused(Conflict, "free mail domain"):
        await cloud.activate_cloud("UGMAIL001", CREDIT.id, email="someone@contoso.com")


async def test_one_active_usage_based_credit_per_person(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await cloud.activate_cloud(MEMBER, CREDIT.id)
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await cloud.activate_cloud(MEMBER, CREDIT_2.id)

    assert CREDIT.name in rendered(caught.value)
    assert "One credit per person" in rendered(caught.value)
    assert await state(store) == before


async def test_a_second_credit_is_possible_once_the_first_is_released(
    cloud: BenefitsService,
) -> None:
    await cloud.activate_cloud(MEMBER, CREDIT.id)
    await cloud.unassign(ADMIN, CREDIT.id, MEMBER)

    result = await cloud.activate_cloud(MEMBER, CREDIT_2.id)

    assert result.assignment is not None


async def test_activating_a_credit_you_hold_is_a_conflict(cloud: BenefitsService) -> None:
    await cloud.activate_cloud(MEMBER, CREDIT.id)

    with refused(Conflict, "already hold"):
        await cloud.activate_cloud(MEMBER, CREDIT.id)


async def test_no_credit_is_given_when_every_seat_is_taken(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await cloud.activate_cloud(MEMBER, ONE_SEAT_CREDIT.id)
    before = await state(store)

    with refused(Conflict, "No credit"):
        await cloud.activate_cloud(MEMBER2, ONE_SEAT_CREDIT.id)

    assert await state(store) == before


@pytest.mark.parametrize("benefit", [WINDOWS, VS_ENT, SUPPORT, AZURE], ids=lambda b: b.id)
async def test_only_a_usage_based_cloud_credit_can_be_self_activated(
    cloud: BenefitsService, store: SqliteStore, benefit: Benefit
) -> None:
    before = await state(store)

    with pytest.raises(InvalidInput) as caught:
        await cloud.activate_cloud(MEMBER, benefit.id)

    assert "not a usage-based cloud credit" in rendered(caught.value)
    assert f"request {benefit.id}" in rendered(caught.value)
    assert await state(store) == before


async def test_an_unknown_credit_is_not_found(cloud: BenefitsService) -> None:
    with pytest.raises(NotFound):
        await cloud.activate_cloud(MEMBER, "no-such-credit")


async def test_a_monthly_credit_is_reassigned_at_most_five_times(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    users = [f"UMONTH{i:03d}" for i in range(7)]
    for user in users:
        await put_user(store, user, f"{user.lower()}@contoso.com")
    for user in users[:6]:  # the first holder, then five reassignments
        await cloud.activate_cloud(user, ONE_SEAT_MONTHLY.id)
        await cloud.unassign(ADMIN, ONE_SEAT_MONTHLY.id, user)
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await cloud.activate_cloud(users[6], ONE_SEAT_MONTHLY.id)

    assert "at most 5" in rendered(caught.value)
    assert await state(store) == before


async def test_a_credit_that_is_not_monthly_has_no_reassignment_limit(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    users = [f"UYEAR{i:04d}" for i in range(8)]
    for user in users:
        await put_user(store, user, f"{user.lower()}@contoso.com")
        await cloud.activate_cloud(user, ONE_SEAT_CREDIT.id)
        await cloud.unassign(ADMIN, ONE_SEAT_CREDIT.id, user)


async def test_a_credit_that_needs_approval_files_a_request_for_a_global_admin(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await put_user(store, "UNOEMAIL1")

    result = await cloud.activate_cloud("UNOEMAIL1", APPROVED_CREDIT.id, email="noa@contoso.com")

    assert result.assignment is None
    assert result.request is not None
    assert result.request.approvers == [ADMIN]
    assert result.request.request.status is RequestStatus.PENDING
    assert (await state(store)).holders[APPROVED_CREDIT.id] == []
    assert await email_of(store, "UNOEMAIL1") == "noa@contoso.com"
    actions = [e.action for e in await audit_log(store)]
    assert actions[-3:] == ["user.email", "request.create", "cloud.activate_request"]

    decided = await cloud.approve(ADMIN, result.request.request.id)
    assert decided.assignment is not None
    assert decided.assignment.user_id == "UNOEMAIL1"


async def test_a_credit_that_needs_approval_is_refused_before_filing_when_a_rule_fails(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await cloud.activate_cloud(MEMBER, CREDIT.id)
    before = await state(store)

    with refused(Conflict, "One credit per person"):
        await cloud.activate_cloud(MEMBER, APPROVED_CREDIT.id)

    assert await state(store) == before


async def test_approving_a_credit_for_someone_who_got_another_meanwhile_is_refused(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    filed = await cloud.activate_cloud(MEMBER, APPROVED_CREDIT.id)
    assert filed.request is not None
    await cloud.activate_cloud(MEMBER, CREDIT.id)

    with refused(Conflict, "One credit per person"):
        await cloud.approve(ADMIN, filed.request.request.id)

    assert (await state(store)).holders[APPROVED_CREDIT.id] == []


async def test_a_global_admin_cannot_assign_a_credit_to_a_free_mail_address(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await put_user(store, "UGMAIL001", "someone@gmail.com")

    with refused(Conflict, "free mail domain"):
        await cloud.assign(ADMIN, CREDIT.id, "UGMAIL001")


async def test_a_global_admin_cannot_assign_a_second_credit_to_one_person(
    cloud: BenefitsService,
) -> None:
    await cloud.activate_cloud(MEMBER, CREDIT.id)

    with refused(Conflict, "One credit per person"):
        await cloud.assign(ADMIN, CREDIT_2.id, MEMBER)


# -- Visual Studio reassignment -----------------------------------------------------------------


async def test_a_subscription_cannot_move_before_90_days_and_the_refusal_gives_the_date(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)  # 2026-01-15
    clock.advance(timedelta(days=89, hours=23))
    before = await snapshot(store)

    with pytest.raises(Conflict) as caught:
        await service.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)

    text = rendered(caught.value)
    assert "2026-04-15" in text  # 90 days after 2026-01-15
    assert "2026-01-15" in text
    assert await snapshot(store) == before


async def test_after_90_days_a_subscription_moves_in_one_step_and_is_audited(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=90))

    moved = await service.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)

    assert moved.released.user_id == MEMBER
    assert moved.assignment.user_id == MEMBER2
    assert moved.assignment.assigned_at == clock.now()
    async with store.read() as uow:
        assert [a.user_id for a in await uow.assignments.active(VS_ENT.id)] == [MEMBER2]
        assert await uow.assignments.count_released(VS_ENT.id) == 1
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action, last.subject) == (
        ADMIN,
        "assignment.reassign",
        f"user:{MEMBER2}",
    )
    assert f"user:{MEMBER}" in last.detail


async def test_the_90_days_count_from_the_current_holders_assignment(
    service: BenefitsService, clock: FakeClock
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=90))
    await service.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)
    clock.advance(timedelta(days=10))

    with refused(Conflict, "2026-07-14"):
        await service.reassign(ADMIN, VS_ENT.id, MEMBER2, MEMBER3)


async def test_a_software_seat_moves_without_waiting(service: BenefitsService) -> None:
    await service.assign(ADMIN, M365.id, MEMBER)

    moved = await service.reassign(ADMIN, M365.id, MEMBER, MEMBER2)

    assert moved.assignment.user_id == MEMBER2


async def test_reassigning_to_someone_unknown_says_a_user_admin_or_global_admin_must_add_them(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=120))
    before = await snapshot(store)

    with pytest.raises(NotFound) as caught:
        await service.reassign(ADMIN, VS_ENT.id, MEMBER, STRANGER)

    text = rendered(caught.value)
    assert "User management admin or Global admin" in text
    assert "adduser" in text
    assert await snapshot(store) == before


async def test_a_subscription_cannot_go_to_someone_who_holds_one_already(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    await service.assign(ADMIN, VS_ENT.id, MEMBER2)
    clock.advance(timedelta(days=120))
    before = await snapshot(store)

    with refused(Conflict, "one per person"):
        await service.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)

    assert await snapshot(store) == before


async def test_reassigning_from_someone_without_a_seat_is_not_found(
    service: BenefitsService,
) -> None:
    with refused(NotFound, "holds no seat"):
        await service.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER2)


async def test_reassigning_to_the_same_person_is_invalid(service: BenefitsService) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)

    with refused(InvalidInput, "two different people"):
        await service.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER)


@pytest.mark.parametrize("benefit", [SUPPORT, CO_SELL], ids=lambda b: b.id)
async def test_a_company_wide_benefit_has_no_seat_to_reassign(
    service: BenefitsService, store: SqliteStore, benefit: Benefit
) -> None:
    before = await snapshot(store)

    with refused(InvalidInput, "no seat to reassign"):
        await service.reassign(ADMIN, benefit.id, MEMBER, MEMBER2)

    assert await snapshot(store) == before


async def test_only_a_global_admin_reassigns(service: BenefitsService, clock: FakeClock) -> None:
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    clock.advance(timedelta(days=120))
    await service.grant(ADMIN, MEMBER3, Role.MPN_PARTNER_ADMIN)

    with refused(Forbidden, "global_admin"):
        await service.reassign(MEMBER3, VS_ENT.id, MEMBER, MEMBER2)


async def test_reassigning_a_monthly_credit_counts_towards_its_five_moves(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    users = [f"UMOVE{i:04d}" for i in range(7)]
    for user in users:
        await put_user(store, user, f"{user.lower()}@contoso.com")
    await cloud.assign(ADMIN, ONE_SEAT_MONTHLY.id, users[0])
    for previous, following in itertools.pairwise(users[:6]):
        await cloud.reassign(ADMIN, ONE_SEAT_MONTHLY.id, previous, following)

    with refused(Conflict, "at most 5"):
        await cloud.reassign(ADMIN, ONE_SEAT_MONTHLY.id, users[5], users[6])


async def test_reassigning_a_credit_to_a_free_mail_address_is_refused(
    cloud: BenefitsService, store: SqliteStore
) -> None:
    await put_user(store, "UGMAIL001", "someone@gmail.com")
    await cloud.activate_cloud(MEMBER, CREDIT.id)
    before = await state(store)

    with refused(Conflict, "free mail domain"):
        await cloud.reassign(ADMIN, CREDIT.id, MEMBER, "UGMAIL001")

    assert await state(store) == before


# -- cancellation -------------------------------------------------------------------------------

AGENT = "UAGENT001"


@pytest.fixture
async def agent(service: BenefitsService, store: SqliteStore, clock: FakeClock) -> str:
    """An admin agent, and a membership bought 10 days ago."""
    await service.grant(ADMIN, AGENT, Role.ADMIN_AGENT)
    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=10))
    return AGENT


async def test_a_fresh_untouched_package_can_be_cancelled(
    service: BenefitsService, store: SqliteStore, agent: str
) -> None:
    check = await service.cancellation_check(agent)
    assert check.eligible
    assert check.blockers == []
    assert check.refund_window_ends == date(2026, 2, 4)

    filed = await service.request_cancellation(agent)

    assert (filed.request.kind, filed.request.status) == ("cancellation", "open")
    assert filed.request.created_by == agent
    assert filed.global_admins == [ADMIN]
    async with store.read() as uow:
        assert await uow.service_requests.all() == [filed.request]
    last = (await audit_log(store))[-1]
    assert (last.actor, last.action) == (agent, "service_request.cancellation")


async def test_checking_writes_nothing(
    service: BenefitsService, store: SqliteStore, agent: str
) -> None:
    before = await state(store)
    await service.cancellation_check(agent)
    assert await state(store) == before


async def test_the_30th_day_after_purchase_is_the_last_one_for_a_refund(
    service: BenefitsService, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=30))
    assert (await service.cancellation_check(agent)).eligible

    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=31))
    check = await service.cancellation_check(agent)

    assert len(check.blockers) == 1
    assert check.blockers[0].since == clock.now().date()
    text = rendered_blocker(check.blockers[0])
    assert "2025-12-15" in text  # purchased
    assert "closed on 2026-01-14" in text


def rendered_blocker(blocker: object) -> str:
    from bot.blocks.admin import blocker_text
    from bot.domain.cancellation import Blocker

    assert isinstance(blocker, Blocker)
    return blocker_text(blocker, None)


async def test_an_activated_software_benefit_blocks_the_refund_naming_it_and_since_when(
    service: BenefitsService, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    await service.assign(ADMIN, M365.id, MEMBER)
    clock.advance(timedelta(days=2))
    await service.unassign(ADMIN, M365.id, MEMBER)  # released still counts: it was activated

    check = await service.cancellation_check(agent)

    assert len(check.blockers) == 1
    text = rendered_blocker(check.blockers[0])
    assert M365.name in text
    assert f"<@{MEMBER}>" in text
    assert "2026-01-15" in text


async def test_a_cloud_or_visual_studio_assignment_does_not_block_the_refund(
    cloud: BenefitsService, agent: str
) -> None:
    await cloud.assign(ADMIN, VS_ENT.id, MEMBER)
    await cloud.activate_cloud(MEMBER2, CREDIT.id)

    assert (await cloud.cancellation_check(agent)).eligible


async def test_a_viewed_key_blocks_the_refund_saying_which_when_and_by_whom(
    service: BenefitsService, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(M365.id, MEMBER2, clock.now() - timedelta(days=3)))

    check = await service.cancellation_check(agent)

    assert [b.since for b in check.blockers] == [date(2026, 1, 12)]
    text = rendered_blocker(check.blockers[0])
    assert f"a key of *{M365.name}* was viewed on 2026-01-12 by <@{MEMBER2}>" in text


async def test_every_failing_condition_is_listed_and_nothing_is_filed(
    service: BenefitsService, store: SqliteStore, clock: FakeClock, agent: str
) -> None:
    await service.assign(ADMIN, M365.id, MEMBER)
    async with store.write() as uow:
        await uow.keys.add_reveal(KeyReveal(M365.id, MEMBER, clock.now()))
    clock.advance(timedelta(days=40))
    before = await state(store)

    with pytest.raises(CancellationRefused) as caught:
        await service.request_cancellation(agent)

    assert len(caught.value.blockers) == 3
    assert "3 of the three conditions" in rendered(caught.value)
    assert await state(store) == before
    shown = str(cancellation_check_message(await service.cancellation_check(agent), None))
    assert "Request cancellation" not in shown
    assert M365.name in shown
    assert "viewed" in shown
    assert "closed on" in shown


async def test_a_second_cancellation_while_one_is_open_is_refused(
    service: BenefitsService, store: SqliteStore, agent: str
) -> None:
    first = await service.request_cancellation(agent)
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await service.request_cancellation(ADMIN)

    text = rendered(caught.value)
    assert f"#{first.request.id}" in text
    assert f"<@{agent}>" in text
    assert await state(store) == before
    assert (await service.cancellation_check(agent)).open_request == first.request


async def test_without_a_membership_there_is_nothing_to_cancel(
    clock: FakeClock,
) -> None:
    service = BenefitsService(throwaway_store(), clock=clock)
    await service.bootstrap_grant(ADMIN, Role.GLOBAL_ADMIN)

    with refused(NotFound, "No membership"):
        await service.cancellation_check(ADMIN)


@pytest.mark.parametrize("role", [None, Role.USER_ADMIN], ids=str)
async def test_members_and_user_admins_may_not_cancel(
    service: BenefitsService, store: SqliteStore, agent: str, role: Role | None
) -> None:
    if role is not None:
        await service.grant(ADMIN, MEMBER3, role)

    with pytest.raises(Forbidden) as caught:
        await service.request_cancellation(MEMBER3)

    assert sorted(caught.value.params["roles"].split(" or ")) == [
        "admin_agent",
        "global_admin",
        "mpn_partner_admin",
    ]
    assert f"<@{agent}>" in rendered(caught.value)


# -- the membership is still managed in PMC -----------------------------------------------------


async def _setup_for_pmc(service: BenefitsService, store: SqliteStore, clock: FakeClock) -> None:
    await put_user(store, "UNOEMAIL1")
    await service.assign(ADMIN, VS_ENT.id, MEMBER)
    await service.assign(ADMIN, VS_PRO.id, MEMBER2)
    clock.advance(timedelta(days=100))


PMC_CHANGES = {
    "request": lambda s: s.request_benefit(MEMBER3, VS_PRO.id, "project"),
    "assign": lambda s: s.assign(ADMIN, VS_PRO.id, MEMBER3),
    "unassign": lambda s: s.unassign(ADMIN, VS_PRO.id, MEMBER2),
    "reassign": lambda s: s.reassign(ADMIN, VS_ENT.id, MEMBER, MEMBER3),
    "activate a credit": lambda s: s.activate_cloud(MEMBER3, CREDIT.id),
    "activate a credit with approval": lambda s: s.activate_cloud(
        "UNOEMAIL1", APPROVED_CREDIT.id, email="noa@contoso.com"
    ),
    "cancel (check)": lambda s: s.cancellation_check(ADMIN),
    "cancel (file)": lambda s: s.request_cancellation(ADMIN),
}


@pytest.mark.parametrize("change", list(PMC_CHANGES))
async def test_in_pmc_every_change_to_a_benefit_is_refused_pointing_there_and_nothing_is_written(
    cloud: BenefitsService, store: SqliteStore, clock: FakeClock, change: str
) -> None:
    await _setup_for_pmc(cloud, store, clock)
    await set_membership(
        store, managed_in_pmc=True, purchase_date=clock.now().date() - timedelta(days=1)
    )
    before = await state(store)

    with pytest.raises(Forbidden) as caught:
        await PMC_CHANGES[change](cloud)

    text = rendered(caught.value)
    assert "Partner Membership Center" in text
    assert "Partner Frontline" in text
    assert await state(store) == before


async def test_each_change_of_the_pmc_table_succeeds_once_the_membership_left_pmc(
    cloud: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    """The PMC table above fails for the right reason: each change works outside PMC."""
    await _setup_for_pmc(cloud, store, clock)
    await set_membership(store, purchase_date=clock.now().date() - timedelta(days=1))
    for change in PMC_CHANGES:
        if change == "activate a credit with approval":
            await cloud.unassign(ADMIN, CREDIT.id, MEMBER3)  # one credit per person
        await PMC_CHANGES[change](cloud)


async def test_in_pmc_the_bots_own_roles_and_directory_stay_changeable(
    service: BenefitsService, store: SqliteStore
) -> None:
    await set_membership(store, managed_in_pmc=True)

    await service.grant(ADMIN, MEMBER, Role.ADMIN_AGENT)
    await service.revoke(ADMIN, MEMBER, Role.ADMIN_AGENT)
    assert await service.add_user(ADMIN, STRANGER)


# -- the audit log ------------------------------------------------------------------------------


async def test_audit_shows_the_latest_twenty_entries_newest_first(
    service: BenefitsService, store: SqliteStore
) -> None:
    for i in range(30):
        await service.add_user(ADMIN, f"UAUDIT{i:03d}")

    entries = await service.audit_log(ADMIN)

    assert len(entries) == 20
    assert entries[0].subject == "user:UAUDIT029"
    assert [e.id for e in entries] == sorted((e.id for e in entries), reverse=True)


@pytest.mark.parametrize("limit", [0, -1, AUDIT_MAX + 1, 10_000])
async def test_audit_takes_one_to_two_hundred_entries(service: BenefitsService, limit: int) -> None:
    with refused(InvalidInput, "1 to 200"):
        await service.audit_log(ADMIN, limit)


async def test_audit_may_show_two_hundred_entries_within_block_kit_limits(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        for i in range(250):
            await uow.audit.add(
                AuditEntry(clock.now(), ADMIN, "request.deny", f"request:{i}", "x" * 500)
            )

    entries = await service.audit_log(ADMIN, AUDIT_MAX)

    assert len(entries) == AUDIT_MAX
    for page in range(8):
        payload = audit_message(entries, AUDIT_MAX, page, None)
        assert block_kit_violations(payload, surface="message") == []
    assert "page 8 of 8" in str(audit_message(entries, AUDIT_MAX, 7, None))


@pytest.mark.parametrize("role", [None, Role.USER_ADMIN, Role.ADMIN_AGENT], ids=str)
async def test_only_mpn_partner_admins_and_global_admins_read_the_audit_log(
    service: BenefitsService, role: Role | None
) -> None:
    if role is not None:
        await service.grant(ADMIN, MEMBER, role)

    with pytest.raises(Forbidden) as caught:
        await service.audit_log(MEMBER)

    assert sorted(caught.value.params["roles"].split(" or ")) == [
        "global_admin",
        "mpn_partner_admin",
    ]


async def test_the_csv_export_has_a_header_and_every_entry_in_batches(
    service: BenefitsService, store: SqliteStore, clock: FakeClock
) -> None:
    async with store.write() as uow:
        for i in range(23):
            await uow.audit.add(AuditEntry(clock.now(), ADMIN, "user.add", f"user:U{i:04d}"))
        await uow.audit.add(AuditEntry(clock.now(), ADMIN, "request.deny", "request:1", "=1+1"))
    out = io.StringIO()
    seen: list[tuple[int, int]] = []

    written = await export_audit_csv(store, out, batch=5, progress=lambda d, t: seen.append((d, t)))

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    total = len(await audit_log(store))
    assert written == total
    assert rows[0] == list(COLUMNS)
    assert len(rows) == total + 1
    assert [int(r[0]) for r in rows[1:]] == list(range(1, total + 1))
    assert rows[-1][5] == "'=1+1"  # a spreadsheet must not run it
    assert seen[-1] == (total, total)
    assert len(seen) == (total + 4) // 5
