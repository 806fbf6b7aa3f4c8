"""The marketing contact: saved with the phone in E.164 and audited, each bad field refused
on its own, only admins may set it, and the form that shows it."""

from __future__ import annotations

import pytest

from bot.blocks import ids
from bot.blocks.contact import contact_view
from bot.domain.clock import FakeClock
from bot.domain.model import Forbidden, MarketingContact
from bot.domain.validation import Field, InvalidFields
from bot.runtime.container import Services
from bot.services.contact import ContactService
from storage.sqlite import SqliteStore
from tests.fakes.blockkit import block_kit_violations
from tests.unit.conftest import (
    ADMIN,
    MEMBER,
    MEMBERSHIP,
    STRANGER,
    audit_log,
    rendered,
)
from tests.unit.helpers import (
    AGENT,
    PARTNER_ADMIN,
    USER_ADMIN,
    observed,
    with_contact,
)

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
            set(Field) - {Field.ACCESS_ID, Field.CONTRACT_ID, Field.EXPIRES_ON},
        ),
    ],
)
async def test_each_bad_contact_field_is_refused_on_its_own_and_nothing_is_saved(
    services: Services, store: SqliteStore, changes: dict[str, str | None], wrong: set[Field]
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


# -- builders: within Block Kit's limits at their largest -----------------------------


async def test_the_contact_form_is_filled_with_the_current_contact(services: Services) -> None:
    await with_contact(services)
    view = contact_view(await services.contact.contact_form(ADMIN))

    assert block_kit_violations(view, surface="modal") == []
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[ids.CONTACT_USER_BLOCK]["initial_user"] == MEMBER
    assert elements[ids.CONTACT_PHONE_BLOCK]["initial_value"] == "+31201234567"
    assert elements[ids.CONTACT_LANGUAGE_BLOCK]["initial_option"]["value"] == "nl"
    assert MEMBERSHIP.account_email in str(view)
