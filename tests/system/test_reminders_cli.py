"""`benefits-bot reminders`: what is queued, sent and parked, as the operator sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.outbox import NewPing
from storage.sqlite import open_sqlite
from tests.system.test_cli import clean_env, run_cli

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


async def seed(database: Path) -> None:
    store = await open_sqlite(database)
    try:
        async with store.write() as uow:
            await uow.outbox.enqueue(
                [
                    NewPing(f"expiry:offer:gold-core:2026-03-01:{n}", "U0SOMEONE", "offer_expiring")
                    for n in range(7)
                ],
                at=NOW,
            )
            claimed = await uow.outbox.claim(
                owner="bench", now=NOW, until=NOW + timedelta(minutes=1), limit=2
            )
            await uow.outbox.mark_sent(claimed[0].id, at=NOW, channel="D0SOMEONE", ts="17.000100")
            await uow.outbox.park(claimed[1].id, owner="bench", error="user_not_found")
    finally:
        await store.close()


async def test_the_listing_shows_each_state_with_clear_columns_and_pages(tmp_path: Path) -> None:
    database = tmp_path / "b.db"
    await seed(database)
    env = clean_env(DATABASE_URL=f"sqlite:///{database}")

    code, out, err = await run_cli("reminders", cwd=tmp_path, env=env)
    assert (code, err) == (0, "")
    assert "Pings: 7" in out
    for column in ("id", "state", "kind", "to", "key", "due / sent (UTC)", "tries"):
        assert column in out
    assert "1–7 of 7, page 1 of 1" in out

    code, out, _ = await run_cli("reminders", "--state", "sent", cwd=tmp_path, env=env)
    assert code == 0
    assert "Sent pings: 1" in out
    assert "D0SOMEONE 17.000100" in out

    code, out, _ = await run_cli("reminders", "--state", "parked", cwd=tmp_path, env=env)
    assert "Parked pings: 1" in out
    assert "user_not_found" in out

    code, out, _ = await run_cli(
        "reminders", "--state", "queued", "--limit", "2", "--page", "2", cwd=tmp_path, env=env
    )
    assert "3–4 of 5, page 2 of 3; next: --page 3" in out


async def test_an_empty_outbox_says_so_and_a_wrong_state_is_refused(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    code, out, _ = await run_cli("reminders", "--state", "parked", cwd=tmp_path, env=env)
    assert code == 0
    assert "No parked pings." in out
    code, _, err = await run_cli("reminders", "--state", "lost", cwd=tmp_path, env=env)
    assert code == 2
    assert "invalid choice" in err
