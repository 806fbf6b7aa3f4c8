"""`benefits-bot reminders`: what is queued, sent and parked, as the operator sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

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
    assert "Reminders: 7" in out
    for column in ("id", "state", "kind", "to", "key", "due / sent (UTC)", "tries"):
        assert column in out
    assert "1–7 of 7, page 1 of 1" in out

    code, out, _ = await run_cli("reminders", "--state", "sent", cwd=tmp_path, env=env)
    assert code == 0
    assert "Sent reminders: 1" in out
    assert "D0SOMEONE 17.000100" in out

    code, out, _ = await run_cli("reminders", "--state", "parked", cwd=tmp_path, env=env)
    assert "Parked reminders: 1" in out
    assert "user_not_found" in out

    code, out, _ = await run_cli(
        "reminders", "--state", "queued", "--limit", "2", "--page", "2", cwd=tmp_path, env=env
    )
    assert "3–4 of 5, page 2 of 3; next: --page 3" in out


async def test_an_empty_outbox_says_so_and_a_wrong_state_is_refused(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    code, out, _ = await run_cli("reminders", "--state", "parked", cwd=tmp_path, env=env)
    assert code == 0
    assert "No parked reminders." in out
    code, _, err = await run_cli("reminders", "--state", "lost", cwd=tmp_path, env=env)
    assert code == 2
    assert "invalid choice" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--page", "0"), "argument --page: 0 is not a page number: pages start at 1"),
        (("--page", "two"), "argument --page: 'two' is not a page number (1, 2, 3 …)"),
        (
            ("--limit", "-1"),
            "argument --limit: -1 reminders per page is not possible: give 1 to 500",
        ),
        (
            ("--limit", "501"),
            "argument --limit: 501 reminders per page is not possible: give 1 to 500",
        ),
    ],
)
async def test_a_page_or_limit_out_of_range_is_refused_with_a_clear_line(
    tmp_path: Path, args: tuple[str, str], says: str
) -> None:
    database = tmp_path / "b.db"
    env = clean_env(DATABASE_URL=f"sqlite:///{database}")
    code, out, err = await run_cli("reminders", *args, cwd=tmp_path, env=env)
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1] == f"benefits-bot reminders: error: {says}"
    assert not database.exists()  # refused before anything was opened
