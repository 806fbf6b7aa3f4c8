"""Usage-based cloud credits (Azure): free mail domains and activating a credit.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import pytest

from bot.domain.cloud import is_free_mail, normalized_email
from bot.domain.model import (
    Benefit,
    Conflict,
    InvalidInput,
    NotFound,
    RequestStatus,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    ADMIN,
    AZURE,
    MEMBER,
    MEMBER2,
    SUPPORT,
    VS_ENT,
    audit_log,
    rendered,
)
from tests.unit.helpers import (
    APPROVED_CREDIT,
    CREDIT,
    CREDIT_2,
    ONE_SEAT_CREDIT,
    ONE_SEAT_MONTHLY,
    WINDOWS,
    email_of,
    put_user,
    refused,
    state,
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
    cloud: Services, store: SqliteStore
) -> None:
    result = await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)

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
    cloud: Services, store: SqliteStore
) -> None:
    result = await cloud.cloud.activate_cloud(MEMBER, CREDIT.id, email="mia@gmail.com")

    assert result.email == "mia@example.com"
    assert await email_of(store, MEMBER) == "mia@example.com"


async def test_the_slack_email_is_kept_in_the_directory_when_it_had_none(
    cloud: Services, store: SqliteStore
) -> None:
    await put_user(store, "UNOEMAIL1")

    result = await cloud.cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email=" Noa@Contoso.com ")

    assert result.email == "noa@contoso.com"
    assert await email_of(store, "UNOEMAIL1") == "noa@contoso.com"
    actions = [e.action for e in await audit_log(store)]
    assert actions[-2:] == ["user.email", "cloud.activate"]


async def test_someone_not_yet_in_the_directory_is_added_with_their_slack_email(
    cloud: Services, store: SqliteStore
) -> None:
    await cloud.cloud.activate_cloud("UNEWCOMER", CREDIT.id, email="new@contoso.com")

    assert await email_of(store, "UNEWCOMER") == "new@contoso.com"


@pytest.mark.parametrize("email", [None, "", "   "])
async def test_an_unknown_email_is_refused_with_what_to_do_and_nothing_is_written(
    cloud: Services, store: SqliteStore, email: str | None
) -> None:
    await put_user(store, "UNOEMAIL1")
    before = await state(store)

    with pytest.raises(InvalidInput) as caught:
        await cloud.cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email=email)

    assert "don't know your email address" in rendered(caught.value)
    assert "Slack profile" in rendered(caught.value)
    assert await state(store) == before


async def test_a_malformed_slack_email_is_refused_and_nothing_is_written(
    cloud: Services, store: SqliteStore
) -> None:
    await put_user(store, "UNOEMAIL1")
    before = await state(store)

    with pytest.raises(InvalidInput) as caught:
        await cloud.cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email="noa at contoso")

    assert "not a valid email address" in rendered(caught.value)
    assert await state(store) == before


@pytest.mark.parametrize(
    "email", ["noa@gmail.com", "noa@outlook.com", "noa@hotmail.com", "noa@yahoo.com", "noa@gmx.de"]
)
async def test_a_credit_never_goes_to_a_free_mail_domain_and_nothing_is_written(
    cloud: Services, store: SqliteStore, email: str
) -> None:
    await put_user(store, "UNOEMAIL1")
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await cloud.cloud.activate_cloud("UNOEMAIL1", CREDIT.id, email=email)

    text = rendered(caught.value)
    assert "free mail domain" in text
    assert email.partition("@")[2] in text
    assert await state(store) == before  # not even the email was kept


async def test_a_free_mail_address_already_in_the_directory_is_refused_too(
    cloud: Services, store: SqliteStore
) -> None:
    await put_user(store, "UGMAIL001", "someone@gmail.com")

    with refused(Conflict, "free mail domain"):
        await cloud.cloud.activate_cloud("UGMAIL001", CREDIT.id, email="someone@contoso.com")


async def test_one_active_usage_based_credit_per_person(
    cloud: Services, store: SqliteStore
) -> None:
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await cloud.cloud.activate_cloud(MEMBER, CREDIT_2.id)

    assert CREDIT.name in rendered(caught.value)
    assert "One credit per person" in rendered(caught.value)
    assert await state(store) == before


async def test_a_second_credit_is_possible_once_the_first_is_released(
    cloud: Services,
) -> None:
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)
    await cloud.seats.unassign(ADMIN, CREDIT.id, MEMBER)

    result = await cloud.cloud.activate_cloud(MEMBER, CREDIT_2.id)

    assert result.assignment is not None


async def test_activating_a_credit_you_hold_is_a_conflict(cloud: Services) -> None:
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)

    with refused(Conflict, "already hold"):
        await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)


async def test_no_credit_is_given_when_every_seat_is_taken(
    cloud: Services, store: SqliteStore
) -> None:
    await cloud.cloud.activate_cloud(MEMBER, ONE_SEAT_CREDIT.id)
    before = await state(store)

    with refused(Conflict, "No credit"):
        await cloud.cloud.activate_cloud(MEMBER2, ONE_SEAT_CREDIT.id)

    assert await state(store) == before


@pytest.mark.parametrize("benefit", [WINDOWS, VS_ENT, SUPPORT, AZURE], ids=lambda b: b.id)
async def test_only_a_usage_based_cloud_credit_can_be_self_activated(
    cloud: Services, store: SqliteStore, benefit: Benefit
) -> None:
    before = await state(store)

    with pytest.raises(InvalidInput) as caught:
        await cloud.cloud.activate_cloud(MEMBER, benefit.id)

    assert "not a usage-based cloud credit" in rendered(caught.value)
    assert f"request {benefit.id}" in rendered(caught.value)
    assert await state(store) == before


async def test_an_unknown_credit_is_not_found(cloud: Services) -> None:
    with pytest.raises(NotFound):
        await cloud.cloud.activate_cloud(MEMBER, "no-such-credit")


async def test_a_monthly_credit_is_reassigned_at_most_five_times(
    cloud: Services, store: SqliteStore
) -> None:
    users = [f"UMONTH{i:03d}" for i in range(7)]
    for user in users:
        await put_user(store, user, f"{user.lower()}@contoso.com")
    for user in users[:6]:  # the first holder, then five reassignments
        await cloud.cloud.activate_cloud(user, ONE_SEAT_MONTHLY.id)
        await cloud.seats.unassign(ADMIN, ONE_SEAT_MONTHLY.id, user)
    before = await state(store)

    with pytest.raises(Conflict) as caught:
        await cloud.cloud.activate_cloud(users[6], ONE_SEAT_MONTHLY.id)

    assert "at most 5" in rendered(caught.value)
    assert await state(store) == before


async def test_a_credit_that_is_not_monthly_has_no_reassignment_limit(
    cloud: Services, store: SqliteStore
) -> None:
    users = [f"UYEAR{i:04d}" for i in range(8)]
    for user in users:
        await put_user(store, user, f"{user.lower()}@contoso.com")
        await cloud.cloud.activate_cloud(user, ONE_SEAT_CREDIT.id)
        await cloud.seats.unassign(ADMIN, ONE_SEAT_CREDIT.id, user)


async def test_a_credit_that_needs_approval_files_a_request_for_a_global_admin(
    cloud: Services, store: SqliteStore
) -> None:
    await put_user(store, "UNOEMAIL1")

    result = await cloud.cloud.activate_cloud(
        "UNOEMAIL1", APPROVED_CREDIT.id, email="noa@contoso.com"
    )

    assert result.assignment is None
    assert result.request is not None
    assert result.request.approvers == [ADMIN]
    assert result.request.request.status is RequestStatus.PENDING
    assert (await state(store)).holders[APPROVED_CREDIT.id] == []
    assert await email_of(store, "UNOEMAIL1") == "noa@contoso.com"
    actions = [e.action for e in await audit_log(store)]
    assert actions[-3:] == ["user.email", "request.create", "cloud.activate_request"]

    decided = await cloud.requests.approve(ADMIN, result.request.request.id)
    assert decided.assignment is not None
    assert decided.assignment.user_id == "UNOEMAIL1"


async def test_a_credit_that_needs_approval_is_refused_before_filing_when_a_rule_fails(
    cloud: Services, store: SqliteStore
) -> None:
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)
    before = await state(store)

    with refused(Conflict, "One credit per person"):
        await cloud.cloud.activate_cloud(MEMBER, APPROVED_CREDIT.id)

    assert await state(store) == before


async def test_approving_a_credit_for_someone_who_got_another_meanwhile_is_refused(
    cloud: Services, store: SqliteStore
) -> None:
    filed = await cloud.cloud.activate_cloud(MEMBER, APPROVED_CREDIT.id)
    assert filed.request is not None
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)

    with refused(Conflict, "One credit per person"):
        await cloud.requests.approve(ADMIN, filed.request.request.id)

    assert (await state(store)).holders[APPROVED_CREDIT.id] == []


async def test_a_global_admin_cannot_assign_a_credit_to_a_free_mail_address(
    cloud: Services, store: SqliteStore
) -> None:
    await put_user(store, "UGMAIL001", "someone@gmail.com")

    with refused(Conflict, "free mail domain"):
        await cloud.seats.assign(ADMIN, CREDIT.id, "UGMAIL001")


async def test_a_global_admin_cannot_assign_a_second_credit_to_one_person(
    cloud: Services,
) -> None:
    await cloud.cloud.activate_cloud(MEMBER, CREDIT.id)

    with refused(Conflict, "One credit per person"):
        await cloud.seats.assign(ADMIN, CREDIT_2.id, MEMBER)
