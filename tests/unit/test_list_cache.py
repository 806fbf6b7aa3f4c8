"""The inventory list is read once per change, whoever makes the change."""

from __future__ import annotations

from pathlib import Path

from bot.blocks.rendered import RenderedPages
from bot.domain.clock import FakeClock
from bot.domain.model import Benefit, Category, Role
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


async def test_a_request_filed_meanwhile_keeps_every_page_and_its_rendering() -> None:
    store = throwaway_store()
    async with store.write() as uow:
        await uow.benefits.put(WIN)
    services = build_services(store, clock=FakeClock())
    await services.roles.bootstrap_grant("UADMIN", Role.GLOBAL_ADMIN)
    rendered = RenderedPages()
    page = await services.catalog.list_benefits("U1")
    message = rendered.list_message(page, None)

    await services.requests.request_benefit("U2", "win11", "for the lab")

    again = await services.catalog.list_benefits("U1")
    assert again is page
    assert rendered.list_message(again, None) is message


async def test_an_approved_seat_rebuilds_only_the_page_that_shows_its_benefit() -> None:
    store = throwaway_store()
    others = [Benefit(f"b{i:02d}", f"Other {i:02d}", Category.CLOUD, seats=3) for i in range(20)]
    async with store.write() as uow:
        await uow.benefits.put(WIN)  # software: listed first, on page 0
        for benefit in others:
            await uow.benefits.put(benefit)
    services = build_services(store, clock=FakeClock(), page_size=5)
    await services.roles.bootstrap_grant("UADMIN", Role.GLOBAL_ADMIN)
    created = await services.requests.request_benefit("U2", "win11", "for the lab")
    first = await services.catalog.list_benefits("U1", page=0)
    second = await services.catalog.list_benefits("U1", page=1)

    await services.requests.approve("UADMIN", created.request.id)

    first_after = await services.catalog.list_benefits("U1", page=0)
    second_after = await services.catalog.list_benefits("U1", page=1)
    assert second_after is second
    assert first_after is not first
    assert first_after.items[0].benefit == WIN
    assert first_after.items[0].seats_used == 1
    assert [r.benefit for r in first_after.items] == [r.benefit for r in first.items]
