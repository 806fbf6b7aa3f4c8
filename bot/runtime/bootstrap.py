"""The composition root: the one place that builds the services and wires events.

:func:`build_services` makes every area's service over one store and one
clock, and :func:`subscriptions` is the table of which sink handles which
domain event. ``start_bot``, the command line, the tests and the benchmarks
all build their services here, so a new service or sink is added once.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.clock import Clock
from bot.domain.events import ActivationCompleted, RequestDecided
from bot.domain.limits import PAGE_SIZE
from bot.domain.offboarding import DEFAULT_IDLE_AFTER
from bot.domain.validation import DEFAULT_PHONE_REGION
from bot.i18n.translate import DEFAULT_LOCALE, available_languages
from bot.runtime.container import Services
from bot.runtime.delivery import default_owner
from bot.runtime.locales import DEFAULT_LIFETIME, ReaderLocales
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
from bot.services.keys import SETTING, KeyService, KeyVault
from bot.services.language import LanguageService
from bot.services.notices import NoticeService
from bot.services.offboarding import OffboardingService
from bot.services.outbox import OutboxService
from bot.services.picker import PickerService
from bot.services.receipts import DEFAULT_LEASE, ReceiptService
from bot.services.reminders import ReminderRules, ReminderService
from bot.services.requests import RequestService
from bot.services.roles import RoleService
from bot.services.seats import SeatService
from bot.services.setup import SetupService
from bot.services.support import SupportService
from bot.services.tenancy import DEFAULT_RETENTION, TenancyService
from bot.settings import WEEKDAYS, Settings, SettingsError, StorageSettings
from storage.unit_of_work import Store


def subscriptions(
    reminders: ReminderService, notices: NoticeService, home: HomeService | None = None
) -> EventBus:
    """Which sink handles which domain event, in the transaction that raised it.

    Every sink queues messages in the outbox; the delivery loop sends them.

    =====================  ==================================================
    ActivationCompleted    reminders: the requester, the marketing contact
                           (offers) and the admins are told; notices: the
                           message it was marked active from is updated
    RequestDecided         reminders: the requester's DM; notices: every
                           copy of the request is updated
    RequestCreated         notices: the approval request is posted
    ActivationRequested    notices: the pending activation is posted
    CancellationRequested  notices: a DM to each Global admin
    AdvisoryRequested      notices: the admins are told
    SeatSelfAssigned       notices: the admins are told
    RequestWithdrawn       notices: every copy of the request is updated
    HoldingsChanged        home: the holders' Homes are republished
    RequestCreated,        home: the requester's and every Global admin's
    RequestDecided,        Home are republished (debounced, one waiting
    RequestWithdrawn       notice per person at most)
    ActivationRequested,   home: every Global admin's Home is republished
    ActivationCompleted
    =====================  ==================================================
    """
    bus = EventBus()
    bus.subscribe(ActivationCompleted, reminders.on_activation_completed)
    bus.subscribe(RequestDecided, reminders.on_request_decided)
    notices.subscribe(bus)
    if home is not None:
        home.subscribe(bus)
    return bus


def build_services(
    store: Store,
    *,
    clock: Clock,
    vault: KeyVault | None = None,
    rules: ReminderRules | None = None,
    phone_region: str = DEFAULT_PHONE_REGION,
    page_size: int = PAGE_SIZE,
    admin_channel: str | None = None,
    events: EventBus | None = None,
    idle_after: timedelta = DEFAULT_IDLE_AFTER,
    digest_weekday: int = 0,
    digest_hour: int = 9,
    locale_lifetime: float = DEFAULT_LIFETIME,
    channel_language: str = DEFAULT_LOCALE,
    receipts: bool = False,
    receipt_lease: timedelta = DEFAULT_LEASE,
    retention: timedelta = DEFAULT_RETENTION,
) -> Services:
    """Every area's service over ``store``, with the events wired by :func:`subscriptions`.

    ``events`` replaces that table (tests record events with their own sinks).
    """
    reminders = ReminderService(store, clock=clock, rules=rules)
    notices = NoticeService(store, clock=clock, admin_channel=admin_channel)
    home = HomeService(store, clock=clock, notices=notices)
    events = events if events is not None else subscriptions(reminders, notices, home)
    requests = RequestService(store, clock=clock, events=events)
    language = LanguageService(store, languages=available_languages())
    locales = ReaderLocales(
        clock=clock,
        all_chosen=language.all_chosen,
        lifetime=locale_lifetime,
        channel_language=channel_language,
    )
    return Services(
        receipts=ReceiptService(
            store, clock=clock, owner=default_owner(), enabled=receipts, lease=receipt_lease
        ),
        catalog=CatalogService(store, clock=clock, page_size=page_size),
        requests=requests,
        seats=SeatService(store, clock=clock, events=events),
        roles=RoleService(store, clock=clock),
        cloud=CloudService(store, clock=clock, requests=requests, events=events),
        cancellation=CancellationService(store, clock=clock, events=events),
        audit=AuditService(store, clock=clock),
        activation=ActivationService(store, clock=clock, events=events, page_size=page_size),
        support=SupportService(store, clock=clock, events=events),
        contact=ContactService(store, clock=clock, phone_region=phone_region),
        keys=KeyService(store, clock=clock, vault=vault),
        reminders=reminders,
        outbox=OutboxService(store, clock=clock, rules=rules),
        notices=notices,
        events=events,
        offboarding=OffboardingService(store, clock=clock, notices=notices),
        idle=IdleService(store, clock=clock, idle_after=idle_after),
        digest=DigestService(
            store, clock=clock, weekday=digest_weekday, hour=digest_hour, idle_after=idle_after
        ),
        home=home,
        picker=PickerService(store),
        language=language,
        locales=locales,
        tenancy=TenancyService(store, clock=clock, retention=retention),
        setup=SetupService(
            store, clock=clock, notices=notices, home=home, events=events, vault=vault
        ),
    )


def services_from_settings(settings: Settings, store: Store, *, clock: Clock) -> Services:
    """The services of a running bot, configured by ``settings``."""
    return build_services(
        store,
        clock=clock,
        vault=key_vault(settings),
        rules=reminder_rules(settings),
        phone_region=settings.benefits_phone_region,
        admin_channel=settings.benefits_admin_channel,
        idle_after=timedelta(days=settings.benefits_idle_days),
        digest_weekday=WEEKDAYS.index(settings.benefits_digest_day),
        digest_hour=settings.benefits_digest_hour,
        locale_lifetime=settings.benefits_locale_cache_seconds,
        channel_language=settings.benefits_channel_language,
        receipts=settings.receipts_enabled(),
        receipt_lease=timedelta(seconds=settings.benefits_receipt_lease_seconds),
        retention=timedelta(days=settings.benefits_retention_days_after_uninstall),
    )


def key_vault(settings: StorageSettings) -> KeyVault | None:
    """The vault of the validated settings, or None when the key is not set."""
    keys = settings.encryption_keys()
    return KeyVault(keys) if keys else None


def reminder_rules(settings: Settings) -> ReminderRules:
    """The reminder thresholds and delivery limits that ``settings`` choose."""
    return ReminderRules(
        expiry_days=tuple(settings.benefits_expiry_reminder_days),
        approval_after=timedelta(hours=settings.benefits_approval_reminder_hours),
        activation_pending_after=timedelta(days=settings.benefits_activation_pending_days),
        refund_warning_days=settings.benefits_refund_reminder_days,
        membership_end_days=tuple(settings.benefits_membership_end_reminder_days),
        remind_vs_reassignable=settings.benefits_remind_vs_reassignable,
        reminder_hour=settings.benefits_reminder_hour,
        max_attempts=settings.benefits_delivery_max_attempts,
        backoff=timedelta(seconds=settings.benefits_delivery_backoff_seconds),
    )


async def ensure_keys_readable(store: Store, vault: KeyVault | None) -> None:
    """Stop start-up unless the stored keys can be decrypted with ``vault``.

    Raises:
        SettingsError: Keys are stored and ``BENEFITS_ENCRYPTION_KEY`` is not
            set, or does not decrypt them (one line, naming the setting).
    """
    async with store.read() as uow:
        stored = await uow.keys.all_ciphertexts()
    if not stored:
        return
    if vault is None:
        raise SettingsError(
            [
                f"{SETTING} is missing: the database holds {len(stored)} encrypted product "
                "keys; set it to the key they were imported with."
            ]
        )
    benefit_id, _, ciphertext = stored[0]
    if not vault.can_decrypt(ciphertext):
        raise SettingsError(
            [
                f"{SETTING} does not decrypt the product keys in the database (e.g. those of "
                f"{benefit_id}): set it to the key they were imported with; when rotating, "
                "list the new key first and the old one after it."
            ]
        )
