"""The settings port (the admin channel chosen in Slack), on every store.

Each test runs once per store (``[file]``, ``[throwaway]``, ``[postgres]``, see
``conftest.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from storage.unit_of_work import Store

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def test_no_admin_channel_is_chosen_until_one_is_set(store: Store) -> None:
    async with store.read() as uow:
        assert await uow.settings.admin_channel() is None


async def test_the_admin_channel_reads_back_and_setting_it_again_replaces_it(
    store: Store,
) -> None:
    async with store.write() as uow:
        await uow.settings.set_admin_channel("CADMINS01", by="UADMIN001", at=T0)
    async with store.read() as uow:
        assert await uow.settings.admin_channel() == "CADMINS01"
    async with store.write() as uow:
        await uow.settings.set_admin_channel("GPRIVATE1", by="UADMIN002", at=T0)
    async with store.read() as uow:
        assert await uow.settings.admin_channel() == "GPRIVATE1"


async def test_clearing_the_admin_channel_leaves_none(store: Store) -> None:
    async with store.write() as uow:
        await uow.settings.set_admin_channel("CADMINS01", by="UADMIN001", at=T0)
        await uow.settings.set_admin_channel(None, by="UADMIN001", at=T0)
    async with store.read() as uow:
        assert await uow.settings.admin_channel() is None


async def test_a_rolled_back_choice_is_not_kept(store: Store) -> None:
    try:
        async with store.write() as uow:
            await uow.settings.set_admin_channel("CADMINS01", by="UADMIN001", at=T0)
            raise RuntimeError("undo")
    except RuntimeError:
        pass
    async with store.read() as uow:
        assert await uow.settings.admin_channel() is None
