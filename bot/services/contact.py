"""The company's marketing contact, to whom Microsoft sends go-to-market offers.

An MPN partner admin or Global admin sets it in a form; each input is checked
on its own (:mod:`bot.domain.validation`) so the form can show every refusal
beside its field at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.limits import PICKED_USER_ID
from bot.domain.model import InvalidInput, MarketingContact
from bot.domain.permissions import Action
from bot.domain.validation import (
    DEFAULT_PHONE_REGION,
    Field,
    InvalidFields,
    clean_email,
    clean_language,
    clean_phone,
)
from bot.services.core import audit, ensure_changeable, membership_required, require
from storage.unit_of_work import Store


@dataclass(frozen=True, slots=True)
class ContactForm:
    current: MarketingContact | None
    account_email: str


class ContactService:
    """Shows and sets the marketing contact."""

    def __init__(
        self, store: Store, *, clock: Clock, phone_region: str = DEFAULT_PHONE_REGION
    ) -> None:
        self._store = store
        self._clock = clock
        self.phone_region = phone_region

    async def contact_form(self, actor: str) -> ContactForm:
        """Check that ``actor`` may set the marketing contact; the current one to fill in."""
        async with self._store.read() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.MANAGE_GTM)
            membership = await membership_required(uow)
            return ContactForm(await uow.marketing_contact.get(), membership.account_email)

    async def marketing_contact(self) -> MarketingContact | None:
        async with self._store.read() as uow:
            return await uow.marketing_contact.get()

    async def set_marketing_contact(
        self,
        actor: str,
        *,
        user_id: str | None,
        email: str | None,
        phone: str | None,
        language: str | None,
    ) -> MarketingContact:
        """Set the company's marketing contact; raises :class:`InvalidFields` per wrong input."""
        now = self._clock.now()
        async with self._store.write() as uow:
            await ensure_changeable(uow)
            await require(uow, actor, Action.MANAGE_GTM)
            membership = await membership_required(uow)
            errors: dict[Field, InvalidInput] = {}
            user = (user_id or "").strip()
            if not PICKED_USER_ID.fullmatch(user):
                errors[Field.USER] = InvalidInput("Pick the marketing contact from the list.")
            elif await uow.people.get_user(user) is None:
                errors[Field.USER] = InvalidInput(
                    "{unknown_user} is not in the bot's directory yet. A User management admin "
                    "or Global admin must add them first with `/benefits adduser @user`.",
                    unknown_user=user,
                )
            cleaned: dict[Field, str] = {}
            checks: tuple[tuple[Field, Callable[[], str]], ...] = (
                (Field.EMAIL, lambda: clean_email(email, account_email=membership.account_email)),
                (Field.PHONE, lambda: clean_phone(phone, region=self.phone_region)),
                (Field.LANGUAGE, lambda: clean_language(language)),
            )
            for field, check in checks:
                try:
                    cleaned[field] = check()
                except InvalidInput as error:
                    errors[field] = error
            if errors:
                raise InvalidFields(errors)
            contact = MarketingContact(
                user_id=user,
                email=cleaned[Field.EMAIL],
                phone=cleaned[Field.PHONE],
                language=cleaned[Field.LANGUAGE],
                set_by=actor,
                set_at=now,
            )
            await uow.marketing_contact.put(contact)
            await audit(
                uow,
                self._clock.now(),
                actor,
                "marketing_contact.set",
                f"user:{user}",
                f"{contact.email} {contact.phone} {contact.language}",
            )
        return contact
