"""What the Slack listeners are given: one service per area and a few settings.

Built by :func:`bot.runtime.bootstrap.build_services`, the one place that
assembles services; ``register(app, services)`` of every handler receives it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.blocks.rendered import RenderedPages
from bot.runtime.background import Background
from bot.runtime.locales import ReaderLocales
from bot.services.activation import ActivationService
from bot.services.audit import AuditService
from bot.services.cancellation import CancellationService
from bot.services.catalog import CatalogService
from bot.services.cloud import CloudService
from bot.services.contact import ContactService
from bot.services.core import EventBus
from bot.services.digest import DigestService
from bot.services.home import HomeService
from bot.services.idle import IdleService
from bot.services.keys import KeyService
from bot.services.language import LanguageService
from bot.services.notices import NoticeService
from bot.services.offboarding import OffboardingService
from bot.services.outbox import OutboxService
from bot.services.picker import PickerService
from bot.services.receipts import ReceiptService
from bot.services.reminders import ReminderService
from bot.services.requests import RequestService
from bot.services.roles import RoleService
from bot.services.seats import SeatService
from bot.services.setup import SetupService
from bot.services.support import SupportService
from bot.services.tenancy import TenancyService

UserEmail = Callable[[str], Awaitable[str]]
"""The email of a user's Slack profile ("" when it has none or Slack can't tell)."""


InstallationGone = Callable[[tuple[str | None, str | None]], None]
"""Told that the installation kept under a key was deleted (the app uninstalled)."""


def nothing_installed(key: tuple[str | None, str | None]) -> None:
    del key


async def no_user_email(user_id: str) -> str:
    del user_id
    return ""


@dataclass
class Services:
    """What every listener gets as its ``services`` argument (see ``build_app``)."""

    catalog: CatalogService
    requests: RequestService
    seats: SeatService
    roles: RoleService
    cloud: CloudService
    cancellation: CancellationService
    audit: AuditService
    activation: ActivationService  # technical benefits and go-to-market offers
    support: SupportService  # which support answers a problem, advisory hours
    contact: ContactService  # the marketing contact
    keys: KeyService
    reminders: ReminderService  # what falls due: the sweep and the event sink
    outbox: OutboxService  # the delivery records of queued pings (the delivery loop's)
    notices: NoticeService  # the Slack messages changes owe, queued in the outbox
    events: EventBus  # which sink handles which event (see bootstrap.subscriptions)
    offboarding: OffboardingService  # people who left: what they held goes back
    idle: IdleService  # idle seats: asked about, then offered in the digest
    digest: DigestService  # the weekly utilisation digest
    home: HomeService  # the App Home of each person, republished through the outbox
    picker: PickerService  # the benefit picker of the Request a benefit form
    language: LanguageService  # the language each person chose
    locales: ReaderLocales  # whose language: chosen, Slack locale, English (cached)
    receipts: ReceiptService  # requests saved before their acknowledgement, carried out after
    tenancy: TenancyService  # the workspace of the database: suspended, resumed, deleted
    setup: SetupService  # set up from Slack: the admin channel, the inventory shared in a DM
    background: Background = field(default_factory=Background)
    rendered: RenderedPages = field(default_factory=RenderedPages)
    user_email: UserEmail = no_user_email  # set by ``build_app`` to ask Slack's users.info
    # set by ``start_bot`` with Add to Slack: the installed token kept in memory is dropped
    installation_gone: InstallationGone = nothing_installed

    @property
    def admin_channel(self) -> str | None:
        """The admin channel ``BENEFITS_ADMIN_CHANNEL`` sets (it wins over the one chosen in
        Slack: ``notices.current_channel()``); None: it is not set."""
        return self.notices.admin_channel

    @admin_channel.setter
    def admin_channel(self, channel: str | None) -> None:
        self.notices.admin_channel = channel
