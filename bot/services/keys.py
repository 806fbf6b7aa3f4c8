"""Product keys: encrypted at rest, shown only to whoever is entitled to them.

Keys are stored as Fernet tokens (AES-128-CBC with an HMAC-SHA256, from the
``cryptography`` package), made with the key material of the
``BENEFITS_ENCRYPTION_KEY`` setting: one or more Fernet keys, comma-separated,
newest first. :class:`KeyVault` encrypts with the first and decrypts with any,
so the operator can rotate: put a new key in front, run
``benefits-bot rotate-key`` (:func:`rotate_keys`), then drop the old one.

:class:`KeyService` reveals the keys of a software or license-based cloud
benefit to a holder of one of its seats, an MPN partner admin or a Global
admin; every reveal is audited and recorded (it ends refund eligibility).

Nothing here ever puts a product key, or the key material, into a log line, an
exception message or a ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.domain.clock import Clock
from bot.domain.limits import MAX_CHOICE_SHOWN, OPERATOR
from bot.domain.model import (
    CATEGORY_LABELS,
    AuditEntry,
    Benefit,
    Category,
    Conflict,
    Download,
    Forbidden,
    InvalidInput,
    KeyReveal,
    NotFound,
    Role,
)
from bot.domain.permissions import Action, allowed
from bot.i18n.translate import N_
from bot.services.core import audit, ensure_changeable, find_benefit
from storage.unit_of_work import Store, UnitOfWork

SETTING = "BENEFITS_ENCRYPTION_KEY"


class InvalidChoice(InvalidInput):
    """A language or operating system the benefit does not come in; ``field`` says which."""

    def __init__(self, which: str, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.field = which


class KeysUnreadable(Exception):
    """A stored key that the configured key material cannot decrypt.

    The message names the benefit and the setting, never a key.
    """

    def __init__(self, benefit_id: str) -> None:
        super().__init__(
            f"the product keys of {benefit_id} cannot be decrypted with {SETTING}; set it to "
            "the key they were encrypted with (when rotating: the new key first, then the old)"
        )
        self.benefit_id = benefit_id


def split_key_material(value: str) -> list[str]:
    """The comma-separated Fernet keys of a ``BENEFITS_ENCRYPTION_KEY`` value.

    Raises:
        ValueError: A part is not a Fernet key; the message says which part,
            never what it holds.
    """
    parts = [part.strip() for part in value.split(",")]
    keys = [part for part in parts if part]
    if not keys:
        raise ValueError("holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} of {len(keys)} is not a Fernet key (32 url-safe "
                "base64-encoded bytes, 44 characters)"
            ) from None
    return keys


class KeyVault:
    """Encrypts product keys with the newest key and decrypts with any listed one."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a key vault needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._count = len(keys)

    @classmethod
    def from_setting(cls, value: str) -> KeyVault:
        """A vault from a ``BENEFITS_ENCRYPTION_KEY`` value (see :func:`split_key_material`)."""
        return cls(split_key_material(value))

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key, as ``BENEFITS_ENCRYPTION_KEY`` takes it."""
        return Fernet.generate_key().decode()

    @property
    def key_count(self) -> int:
        return self._count

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; raises :class:`cryptography.fernet.InvalidToken` when no key fits."""
        return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")

    def can_decrypt(self, ciphertext: str) -> bool:
        try:
            self.decrypt(ciphertext)
        except (InvalidToken, UnicodeError):
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """The same plaintext encrypted under the newest key."""
        return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")

    def __repr__(self) -> str:
        return f"KeyVault({self._count} key{'' if self._count == 1 else 's'})"


# -- storage helpers: import and rotation ------------------------


async def decrypt_stored(uow: UnitOfWork, vault: KeyVault, benefit_id: str) -> list[str]:
    """The benefit's keys in order; raises :class:`KeysUnreadable`."""
    try:
        return [vault.decrypt(text) for text in await uow.keys.ciphertexts(benefit_id)]
    except (InvalidToken, UnicodeError):
        raise KeysUnreadable(benefit_id) from None


async def store_keys(
    uow: UnitOfWork, vault: KeyVault, benefit_id: str, keys: Sequence[str]
) -> bool:
    """Store the benefit's keys encrypted, unless the same keys are stored already.

    Stored keys are compared by decrypting them, since every encryption of
    the same key differs. Returns whether anything was written.

    Raises:
        KeysUnreadable: The stored keys cannot be decrypted with ``vault``.
    """
    if await decrypt_stored(uow, vault, benefit_id) == list(keys):
        return False
    await uow.keys.put(benefit_id, [vault.encrypt(key) for key in keys])
    return True


async def rotate_keys(
    store: Store,
    vault: KeyVault,
    *,
    clock: Clock,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-encrypt every stored key under the newest key, in one transaction.

    Args:
        store: The store whose keys to re-encrypt.
        vault: The key material: the new key first, then the old ones the
            stored keys were made with.
        clock: The time of the audit entry.
        progress: Called with ``(done, total)`` after each key.

    Returns:
        How many keys were re-encrypted.

    Raises:
        KeysUnreadable: A stored key cannot be decrypted with any listed key;
            nothing is changed.
    """
    async with store.write() as uow:
        stored = await uow.keys.all_ciphertexts()
        total = len(stored)
        for done, (benefit_id, position, ciphertext) in enumerate(stored, start=1):
            try:
                rotated = vault.rotate(ciphertext)
            except (InvalidToken, UnicodeError):
                raise KeysUnreadable(benefit_id) from None
            await uow.keys.update_ciphertext(benefit_id, position, rotated)
            if progress is not None:
                progress(done, total)
        await uow.audit.add(
            AuditEntry(
                at=clock.now(),
                actor=OPERATOR,
                action="keys.rotate",
                subject="keys",
                detail=f"{total} product keys re-encrypted under the newest key",
            )
        )
    return total


# -- revealing keys -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """A benefit whose keys the caller may see, before they pick a language and an OS."""

    benefit: Benefit
    key_count: int


@dataclass(frozen=True, slots=True)
class RevealedKeys:
    """What a reveal shows: the download for the chosen pair, instructions and the keys.

    ``keys`` stays out of ``repr`` so that no log line or error report can hold one.
    """

    benefit: Benefit
    language: str
    os: str
    download: Download | None
    keys: tuple[str, ...] = field(repr=False)


def keys_possible(benefit: Benefit) -> bool:
    """Whether the benefit's kind comes with product keys: software and license-based cloud."""
    return benefit.category is Category.SOFTWARE or (
        benefit.category is Category.CLOUD and not benefit.usage_based
    )


class KeyService:
    """Reveals product keys to the people entitled to them, auditing every reveal."""

    def __init__(self, store: Store, *, clock: Clock, vault: KeyVault | None) -> None:
        self._store = store
        self._clock = clock
        self._vault = vault

    async def prepare(self, actor: str, query: str) -> KeyChoice:
        """Check that ``actor`` may see the keys of the benefit ``query`` names.

        Raises what :meth:`reveal` would refuse for before any choice is made,
        so the caller is told before picking a language and an OS.
        """
        async with self._store.read() as uow:
            benefit = await find_benefit(uow, query)
            await self._check(uow, actor, benefit)
            count = await uow.keys.count(benefit.id)
        if count == 0:
            raise _no_keys(benefit)
        return KeyChoice(benefit, count)

    async def reveal(
        self, actor: str, benefit_id: str, language: str | None, os: str | None
    ) -> RevealedKeys:
        """The download link for the chosen language and OS, the instructions and the keys.

        Only for software and license-based cloud benefits, and only to a
        holder of an active seat of the benefit, an MPN partner admin or a
        Global admin. The reveal is audited (who, which benefit, when) and
        recorded as a key view, which ends the package's refund eligibility.

        Args:
            actor: Who asks.
            benefit_id: The benefit's id.
            language: One of the benefit's languages (ignored when it has none).
            os: One of the benefit's operating systems (ignored when it has none).
        """
        now = self._clock.now()
        async with self._store.write() as uow:
            benefit = await uow.benefits.get(benefit_id)
            if benefit is None:
                raise NotFound(
                    "There is no benefit with the id `{benefit_id}`.",
                    benefit_id=benefit_id[:MAX_CHOICE_SHOWN],
                )
            await self._check(uow, actor, benefit)
            chosen_language = _choose(
                "language",
                language,
                benefit.languages,
                missing=N_("Pick a language for *{benefit}*: {choices}."),
                unknown=N_("*{benefit}* doesn't come in `{choice}`. Pick one of: {choices}."),
                benefit=benefit,
            )
            chosen_os = _choose(
                "os",
                os,
                benefit.operating_systems,
                missing=N_("Pick an operating system for *{benefit}*: {choices}."),
                unknown=N_("*{benefit}* isn't available for `{choice}`. Pick one of: {choices}."),
                benefit=benefit,
            )
            vault = self._require_vault()
            try:
                keys = tuple(await decrypt_stored(uow, vault, benefit.id))
            except KeysUnreadable:
                raise Conflict(
                    "The product keys of *{benefit}* can't be decrypted with the bot's "
                    "encryption key. Tell the operator: the BENEFITS_ENCRYPTION_KEY setting must "
                    "hold the key they were imported with.",
                    benefit=benefit.name,
                ) from None
            if not keys:
                raise _no_keys(benefit)
            await uow.keys.add_reveal(KeyReveal(benefit_id=benefit.id, user_id=actor, at=now))
            pair = " / ".join(part for part in (chosen_language, chosen_os) if part)
            await audit(
                uow,
                now,
                actor,
                "keys.reveal",
                f"benefit:{benefit.id}",
                f"{len(keys)} keys shown" + (f" for {pair}" if pair else ""),
            )
        return RevealedKeys(
            benefit=benefit,
            language=chosen_language,
            os=chosen_os,
            download=_download(benefit, chosen_language, chosen_os),
            keys=keys,
        )

    def _require_vault(self) -> KeyVault:
        if self._vault is None:
            raise Conflict(
                "Product keys can't be shown: the operator hasn't set BENEFITS_ENCRYPTION_KEY."
            )
        return self._vault

    async def _check(self, uow: UnitOfWork, actor: str, benefit: Benefit) -> None:
        """The kind of benefit, the PMC guard and the caller's right to its keys."""
        if not keys_possible(benefit):
            if benefit.category is Category.CLOUD:
                raise InvalidInput(
                    "*{benefit}* is a usage-based Azure credit: it has no product keys. Assign "
                    "yourself to it and manage it in the Azure portal.",
                    benefit=benefit.name,
                )
            raise InvalidInput(
                "*{benefit}* is one of the {category}: product keys come only with software "
                "and license-based cloud benefits.",
                benefit=benefit.name,
                category=CATEGORY_LABELS[benefit.category],
            )
        await ensure_changeable(uow)
        roles = await uow.people.roles_of(actor)
        if allowed(Action.REVEAL_KEYS, roles):
            return
        if await uow.assignments.find_active(benefit.id, actor) is not None:
            return
        admins: list[str] = []
        for role in (Role.MPN_PARTNER_ADMIN, Role.GLOBAL_ADMIN):
            admins.extend(u for u in await uow.people.role_holders(role) if u not in admins)
        if admins:
            raise Forbidden(
                "Only someone holding a seat of *{benefit}*, an MPN partner admin or a Global "
                "admin may see its product keys. Ask for a seat with `/benefits request "
                "{benefit_id}`, or ask an admin: {admin_users}.",
                benefit=benefit.name,
                benefit_id=benefit.id,
                admin_users=tuple(admins),
            )
        raise Forbidden(
            "Only someone holding a seat of *{benefit}*, an MPN partner admin or a Global admin "
            "may see its product keys. Ask for a seat with `/benefits request {benefit_id}`.",
            benefit=benefit.name,
            benefit_id=benefit.id,
        )


def _no_keys(benefit: Benefit) -> Conflict:
    return Conflict(
        "*{benefit}* has no product keys in the bot yet. The operator lists them under `keys:` "
        "in the inventory file and imports it again.",
        benefit=benefit.name,
    )


def _choose(
    which: str,
    given: str | None,
    options: Sequence[str],
    *,
    missing: str,
    unknown: str,
    benefit: Benefit,
) -> str:
    """The option ``given`` names (compared case-insensitively); "" when there are none."""
    if not options:
        return ""
    choices = ", ".join(options)
    text = " ".join((given or "").split())
    if not text:
        raise InvalidChoice(which, missing, benefit=benefit.name, choices=choices)
    for option in options:
        if option.casefold() == text.casefold():
            return option
    raise InvalidChoice(
        which,
        unknown,
        benefit=benefit.name,
        choice=text.replace("`", "'")[:MAX_CHOICE_SHOWN],
        choices=choices,
    )


def _download(benefit: Benefit, language: str, os: str) -> Download | None:
    for download in benefit.downloads:
        if benefit.languages and download.language.casefold() != language.casefold():
            continue
        if benefit.operating_systems and download.os.casefold() != os.casefold():
            continue
        return download
    return None


__all__ = [
    "SETTING",
    "InvalidChoice",
    "KeyChoice",
    "KeyService",
    "KeyVault",
    "KeysUnreadable",
    "RevealedKeys",
    "keys_possible",
    "rotate_keys",
    "split_key_material",
    "store_keys",
]
