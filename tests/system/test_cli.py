"""The `benefits-bot` shell command, run as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from bot.domain.clock import SystemClock
from bot.domain.model import Role
from bot.runtime.bootstrap import build_services
from bot.services.keys import KeyVault
from storage.sqlite import open_sqlite
from tests.fakes.signing import sign, slash_command_body
from tests.fakes.web_api import FakeSlackWebApi
from tests.slack.harness import BOT_TOKEN, SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inventory.yaml"


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_", "BENEFITS_", "PORT"))
    }
    env.update(extra)
    return env


async def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_without_settings_says_which_variables_are_missing_without_a_traceback(
    tmp_path: Path,
) -> None:
    code, _, err = await run_cli("run", cwd=tmp_path, env=clean_env())
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert any(line.startswith("error: SLACK_BOT_TOKEN is missing") for line in lines)
    assert any("OAuth & Permissions" in line for line in lines)
    # Every problem at once, not one per attempt.
    assert any(
        line.startswith("error: SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is missing")
        for line in lines
    )
    # Where the values are looked for: the environment and .env in this directory.
    assert lines[-1] == (
        "Settings are read from the environment, then from the .env file in the current "
        f"directory ({tmp_path / '.env'}: not found); see .env.example."
    )


async def test_run_with_a_malformed_token_names_it_and_does_not_echo_it(tmp_path: Path) -> None:
    env = clean_env(SLACK_BOT_TOKEN="not-a-token-sekrit", SLACK_SIGNING_SECRET="s" * 32)
    code, _, err = await run_cli("run", cwd=tmp_path, env=env)
    assert code == 2
    assert "SLACK_BOT_TOKEN is not a bot token" in err
    assert "not-a-token-sekrit" not in err
    assert "Traceback" not in err


async def test_run_with_only_the_bot_token_names_both_ways_to_receive_slacks_requests(
    tmp_path: Path,
) -> None:
    code, _, err = await run_cli("run", cwd=tmp_path, env=clean_env(SLACK_BOT_TOKEN=BOT_TOKEN))
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    # Socket Mode first: it is app.yaml's default.
    assert errors[0].startswith("error: SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is missing")
    socket_mode, http_mode = errors[0].split("; for HTTP mode")
    assert "Socket Mode" in socket_mode
    assert "set SLACK_APP_TOKEN to an app-level token (xapp-…)" in socket_mode
    assert "set SLACK_SIGNING_SECRET to the Signing Secret" in http_mode


async def test_a_env_file_in_the_working_directory_is_read_and_named_as_read(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={BOT_TOKEN}\nPORT=abc\n")
    code, _, err = await run_cli("run", cwd=tmp_path, env=clean_env())
    assert code == 2
    assert "SLACK_BOT_TOKEN is missing" not in err  # found in .env
    assert "error: PORT is not a whole number: set it to a TCP port number such as 3000." in err
    assert f"({tmp_path / '.env'}: read)" in err


async def test_a_bad_database_url_is_named(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL="mysql://nowhere/db")
    code, _, err = await run_cli("grant", "U0123ABCD", "global_admin", cwd=tmp_path, env=env)
    assert code == 2
    assert "DATABASE_URL" in err


def database_state(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read with the standard library as an operator would."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        state = {}
        for table in sorted(tables):
            columns = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
            order = ", ".join(str(n) for n in range(1, columns + 1))
            state[table] = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
        return state


@pytest.mark.parametrize("command", [["run"], ["migrate"], ["grant", "U0123ABCD", "global_admin"]])
async def test_an_unreachable_postgres_server_stops_with_one_line_naming_database_url(
    tmp_path: Path, command: list[str]
) -> None:
    port = free_port()  # nothing listens there
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        DATABASE_URL=f"postgresql://bot:s3cret-pw@127.0.0.1:{port}/benefits",
        PORT=str(free_port()),
    )
    code, out, err = await run_cli(*command, cwd=tmp_path, env=env)
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line == (
        f"error: DATABASE_URL: cannot connect to PostgreSQL at 127.0.0.1:{port}/benefits: "
        "connection refused; is the server running, and the URL right?"
    )


async def test_copy_db_to_an_unreachable_postgres_server_names_it_in_one_line(
    tmp_path: Path,
) -> None:
    source = tmp_path / "source.db"
    env = clean_env(DATABASE_URL=f"sqlite:///{source}")
    assert (await run_cli("migrate", cwd=tmp_path, env=env))[0] == 0
    port = free_port()
    target = f"postgresql://bot:s3cret-pw@127.0.0.1:{port}/benefits"
    code, _, err = await run_cli("copy-db", f"sqlite:///{source}", target, cwd=tmp_path, env=env)
    assert code == 1
    assert err.splitlines() == [
        f"error: cannot connect to PostgreSQL at 127.0.0.1:{port}/benefits: connection refused"
    ]


async def test_the_example_inventory_imports_once_and_a_second_import_changes_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "b.db"
    env = clean_env(
        DATABASE_URL=f"sqlite:///{database}",
        BENEFITS_ENCRYPTION_KEY=KeyVault.generate_key(),  # the example lists product keys
    )
    code, out, err = await run_cli("import", str(EXAMPLE), cwd=tmp_path, env=env)
    assert code == 0, err
    store = await open_sqlite(str(database))
    try:
        async with store.read() as uow:
            assert await uow.benefits.count(category=None) >= 10
    finally:
        await store.close()
    after_first = database_state(database)
    for table in ("benefits", "assignments", "product_keys"):
        assert after_first[table], f"the first import wrote no {table}"

    code, out, err = await run_cli("import", str(EXAMPLE), cwd=tmp_path, env=env)
    assert code == 0, err
    assert "0 created" in out + err
    after_second = database_state(database)
    # The audit log records that the import ran, and nothing else changed: every
    # other table, the sealed product keys included, is the same row for row.
    audit_before, audit_after = after_first.pop("audit"), after_second.pop("audit")
    assert after_second == after_first
    assert audit_after[: len(audit_before)] == audit_before
    [(_, _, actor, action, _, detail)] = audit_after[len(audit_before) :]
    assert (actor, action) == ("import", "inventory.import")
    assert "0 created, 0 updated, 13 unchanged" in str(detail)


async def test_a_bad_inventory_file_names_the_file_and_imports_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("category: software", "category: hardware", 1))
    database = tmp_path / "b.db"
    env = clean_env(DATABASE_URL=f"sqlite:///{database}")
    code, _, err = await run_cli("grant", "U0123ABCD", "global_admin", cwd=tmp_path, env=env)
    assert code == 0, err  # the database exists, with one row to keep
    before = database_state(database)

    code, _, err = await run_cli("import", str(bad), cwd=tmp_path, env=env)
    assert code == 1
    assert "bad.yaml" in err
    assert "category" in err
    assert "Traceback" not in err
    assert database_state(database) == before
    assert before["benefits"] == []


async def test_grant_bootstraps_the_first_global_admin_and_is_idempotent(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")
    code, out, err = await run_cli("grant", "U0123ABCD", "global_admin", cwd=tmp_path, env=env)
    assert (code, err) == (0, "")
    assert "now holds global_admin" in out + err
    code, out, err = await run_cli("grant", "U0123ABCD", "global_admin", cwd=tmp_path, env=env)
    assert code == 0
    assert "already held" in out + err
    store = await open_sqlite(str(tmp_path / "b.db"))
    try:
        services = build_services(store, clock=SystemClock())
        assert Role.GLOBAL_ADMIN in await services.roles.roles_of("U0123ABCD")
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("user", "role", "needle"),
    [
        ("U0123ABCD", "emperor", "no role"),
        ("jane", "global_admin", "not a Slack user ID"),
    ],
)
async def test_grant_refuses_bad_arguments_with_a_clear_line(
    tmp_path: Path, user: str, role: str, needle: str
) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")
    code, out, err = await run_cli("grant", user, role, cwd=tmp_path, env=env)
    assert code == 2
    assert needle in out + err


async def test_the_last_global_admin_cannot_be_revoked_from_the_shell(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")
    await run_cli("grant", "U0123ABCD", "global_admin", cwd=tmp_path, env=env)
    code, out, err = await run_cli("revoke", "U0123ABCD", "global_admin", cwd=tmp_path, env=env)
    assert code == 1
    assert "last Global admin" in out + err


async def test_the_bot_runs_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeSlackWebApi() as slack, aiohttp.ClientSession() as session:
        port = free_port()
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
            PORT=str(port),
            BENEFITS_HOST="127.0.0.1",
            BENEFITS_LOG_LEVEL="DEBUG",
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli.main",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    async with session.get(f"{base}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the bot did not become healthy")
            body = slash_command_body(
                text="help", user_id="UMEMBER01", response_url=slack.response_url("run")
            )
            async with session.post(
                f"{base}/slack/events", data=body, headers=sign(body, SIGNING_SECRET)
            ) as resp:
                assert resp.status == 200
                assert "What you can do" in await resp.text()
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(process.communicate(), timeout=30)
        log = err.decode() + out.decode()
        assert process.returncode == 0, log
        assert "stopped" in log
        assert BOT_TOKEN not in log
        assert SIGNING_SECRET not in log
        assert "Slack accepted the bot token" in log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_run_with_the_token_in_the_environment_logs_no_bolt_warning_about_it(
    tmp_path: Path,
) -> None:
    """Bolt, given the bot's own client, used to pick SLACK_BOT_TOKEN up from the
    environment as well and warn "As you gave client as well, token will be unused"."""
    async with FakeSlackWebApi() as slack:
        slack.reject_token(BOT_TOKEN, "invalid_auth")  # stops it right after the app is built
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
            PORT=str(free_port()),
            BENEFITS_LOG_LEVEL="DEBUG",
        )
        code, out, err = await run_cli("run", cwd=tmp_path, env=env)
    assert code == 2
    assert slack.calls_to("auth.test")  # the app was built and the check ran
    assert "will be unused" not in out + err


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked"])
async def test_run_with_a_token_slack_refuses_exits_with_one_line_saying_what_to_do(
    tmp_path: Path, error: str
) -> None:
    async with FakeSlackWebApi() as slack:
        slack.reject_token(BOT_TOKEN, error)
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN="xapp-1-A0001-test",
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
            PORT=str(free_port()),
        )
        code, out, err = await run_cli("run", cwd=tmp_path, env=env)
    assert code == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("error: Slack ")
    assert f"SLACK_BOT_TOKEN ({error})" in line or f"SLACK_BOT_TOKEN was revoked ({error})" in line
    assert BOT_TOKEN not in line


async def test_run_while_slack_is_unreachable_answers_503_logs_each_attempt_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    nowhere = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=nowhere,
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        PORT=str(port),
        BENEFITS_HOST="127.0.0.1",
        BENEFITS_SLACK_RETRY_SECONDS="0.1",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli.main",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    attempts: list[str] = []
    try:
        while len(attempts) < 3:
            line = (await asyncio.wait_for(process.stderr.readline(), timeout=30)).decode()
            assert line, "the bot stopped while Slack was unreachable"
            attempts.append(line)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as resp,
        ):
            assert resp.status == 503
            assert (await resp.json())["slack"] is False
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    for number, line in enumerate(attempts, start=1):
        assert f"Slack is not reachable at {nowhere} (Cannot connect to host" in line
        assert line.rstrip().endswith(f"(attempt {number})")
    assert "stopped before Slack answered" in err.decode()
    assert "Traceback" not in err.decode() + "".join(attempts)
