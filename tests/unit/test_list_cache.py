"""The inventory list is read once per change, whoever makes the change."""

from __future__ import annotations

from pathlib import Path

from bot.blocks.rendered import RenderedPages
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category
from bot.runtime.bootstrap import build_services
from storage.sqlite import open_sqlite, throwaway_store

WIN = Benefit("win11", "Windows 11 Enterprise", Category.SOFTWARE, seats=3)


async def test_listing_twice_without_a_change_serves_the_same_page() -> None:
    store = throwaway_store()
    async with store.write() as uow:
        await uow.benefits.put(WIN)
    services = build_services(store, clock=FakeClock())
    first = await services.catalog.list_benefits("U1")
    assert await services.catalog.list_benefits("U2") is first


async def test_a_seat_assigned_by_another_process_shows_in_the_next_list(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = await open_sqlite(path)
    other = await open_sqlite(path)  # another process, e.g. `benefits-bot import`
    try:
        async with store.write() as uow:
            await uow.benefits.put(WIN)
        services = build_services(store, clock=FakeClock())
        before = await services.catalog.list_benefits("U1")
        assert before.items[0].seats_used == 0
        async with other.write() as uow:
            await uow.assignments.add(
                benefit_id="win11", user_id="U9", assigned_at=FakeClock().now(), assigned_by="X"
            )
        after = await services.catalog.list_benefits("U1")
        assert after.items[0].seats_used == 1
        assert after is not before
    finally:
        await other.close()
        await store.close()


async def test_a_page_is_rendered_once_and_a_changed_page_afresh() -> None:
    store = throwaway_store()
    async with store.write() as uow:
        await uow.benefits.put(WIN)
    services = build_services(store, clock=FakeClock())
    rendered = RenderedPages()
    page = await services.catalog.list_benefits("U1")
    message = rendered.list_message(page, None)
    assert rendered.list_message(await services.catalog.list_benefits("U1"), None) is message
    async with store.write() as uow:
        await uow.benefits.put(Benefit("win11", "Windows 11 Pro", Category.SOFTWARE, seats=3))
    changed = rendered.list_message(await services.catalog.list_benefits("U1"), None)
    assert changed is not message
    assert "Windows 11 Pro" in str(changed)
