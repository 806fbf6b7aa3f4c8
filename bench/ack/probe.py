"""``--profile``: each server times its own work per request and writes where it went.

Inside the bot it wraps the aiohttp adapter (parse and response), Bolt's
``async_dispatch``, every public coroutine method of the services of
``bot.runtime.bootstrap`` (CatalogService, RequestService, …), every public
builder of ``bot.blocks`` and the database as the store runs it: the store's
connections are made with a :class:`sqlite3.Connection` subclass that times
each statement (``execute`` and the fetches of its cursor); on PostgreSQL a
query logger on each pooled connection records each statement's time, its
round trip included. The store's ``read()`` and ``write()`` blocks are timed
as transactions (for a write: the wait for the lock and ``BEGIN IMMEDIATE``,
or on PostgreSQL for a pooled connection and ``BEGIN`` with the writers' lock,
then the block with its ``COMMIT``).

Work done after the acknowledgement (follow-ups, deferred work) runs in tasks
that inherited the request's context, so it is counted as "after ack" of the
request that started it; work of tasks started outside any request (the
delivery loop, the scheduler) is counted as "background".
"""

from __future__ import annotations

import cProfile
import functools
import inspect
import io
import pkgutil
import pstats
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

from aiohttp import web

from bench.ack.load import PHASE_HEADER

AsyncFn = Callable[..., Awaitable[Any]]
BACKGROUND: Final = ("background", "-")
TOP_STATEMENTS: Final = 10
TOP_CALLS: Final = 8


@dataclass
class Bucket:
    """Counts and seconds by name."""

    calls: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, seconds: float, calls: int = 1) -> None:
        self.calls[name] = self.calls.get(name, 0) + calls
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def merge(self, other: Bucket) -> None:
        for name, seconds in other.seconds.items():
            self.add(name, seconds, other.calls[name])

    def total(self) -> float:
        return sum(self.seconds.values())

    def count(self) -> int:
        return sum(self.calls.values())


@dataclass
class Work:
    """Time spent in services, builders and the database (one request, or a sum)."""

    services: Bucket = field(default_factory=Bucket)  # outermost service calls
    builders: Bucket = field(default_factory=Bucket)  # outermost builder calls
    sql: Bucket = field(default_factory=Bucket)  # statements, by text
    tx: Bucket = field(default_factory=Bucket)  # read / write blocks, lock waits

    def merge(self, other: Work) -> None:
        self.services.merge(other.services)
        self.builders.merge(other.builders)
        self.sql.merge(other.sql)
        self.tx.merge(other.tx)


@dataclass
class Sample:
    """Where one request's time went, inside the server."""

    started: float
    phase: str = ""
    kind: str = "other"
    parse: float = 0.0
    dispatch: float = 0.0
    work: Work = field(default_factory=Work)
    totals: Totals | None = None  # set when the acknowledgement left
    depth: int = 0  # nesting of timed service / builder calls


@dataclass
class Totals:
    requests: int = 0
    handler: float = 0.0
    parse: float = 0.0
    dispatch: float = 0.0
    work: Work = field(default_factory=Work)
    after: Work = field(default_factory=Work)  # after the acknowledgement


CURRENT: ContextVar[Sample | None] = ContextVar("bench_sample", default=None)


def classify(body: Mapping[str, Any]) -> str:
    if body.get("command"):
        words = str(body.get("text", "")).split()
        return words[0] if words else "help"
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return {"request_approve": "approve", "benefit_list_next": "page"}.get(
            str(actions[0].get("action_id")), "action"
        )
    return str(body.get("type", "other"))


def short_sql(statement: str) -> str:
    text = " ".join(statement.split())
    return text if len(text) <= 90 else text[:87] + "..."


class Probe:
    """Times the server's own work per request: install, serve, then ``write``."""

    def __init__(self, path: Path, *, use_cprofile: bool) -> None:
        self.path = path
        self.totals: dict[tuple[str, str], Totals] = {}
        self.profiler = cProfile.Profile() if use_cprofile else None
        self._loop_thread = threading.get_ident()

    def start(self) -> None:
        if self.profiler is not None:
            self.profiler.enable()

    # -- where a measurement goes -------------------------------------------------------

    def _work(self) -> Work | None:
        """The request's work, its after-ack work, or the background's; None off the loop."""
        if threading.get_ident() != self._loop_thread:
            return None  # aiosqlite's maintenance thread: migrations, checkpoints
        sample = CURRENT.get()
        if sample is None:
            return self.totals.setdefault(BACKGROUND, Totals()).work
        if sample.totals is not None:
            return sample.totals.after
        return sample.work

    def record(self, sample: Sample, handler: float) -> None:
        totals = self.totals.setdefault((sample.phase, sample.kind), Totals())
        totals.requests += 1
        totals.handler += handler
        totals.parse += sample.parse
        totals.dispatch += sample.dispatch
        totals.work.merge(sample.work)
        sample.totals = totals

    def add_sql(self, statement: str, seconds: float, calls: int = 1) -> None:
        """Time in one statement (``calls=0``: a fetch of a statement already counted)."""
        work = self._work()
        if work is not None:
            work.sql.add(statement, seconds, calls)

    # -- installing ---------------------------------------------------------------------

    def install_storage(self) -> None:
        """Time statements and transactions; call it before the store is opened."""
        from storage.postgres.store import PostgresStore
        from storage.sqlite.store import SqliteStore

        probe = self

        class TimedCursor(sqlite3.Cursor):
            statement = ""

            def fetchone(self) -> Any:
                started = time.perf_counter()
                try:
                    return super().fetchone()
                finally:
                    probe.add_sql(self.statement, time.perf_counter() - started, 0)

            def fetchall(self) -> list[Any]:
                started = time.perf_counter()
                try:
                    return super().fetchall()
                finally:
                    probe.add_sql(self.statement, time.perf_counter() - started, 0)

        class TimedConnection(sqlite3.Connection):
            def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
                cursor = self.cursor(TimedCursor)
                cursor.statement = short_sql(sql)
                started = time.perf_counter()
                try:
                    cursor.execute(sql, parameters)
                finally:
                    probe.add_sql(cursor.statement, time.perf_counter() - started)
                return cursor

            def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
                started = time.perf_counter()
                try:
                    return super().executemany(sql, parameters)
                finally:
                    probe.add_sql(short_sql(sql), time.perf_counter() - started)

        connect = sqlite3.connect
        sqlite3.connect = functools.partial(connect, factory=TimedConnection)  # type: ignore[assignment]

        for store_class, begin in (
            (SqliteStore, "lock + BEGIN IMMEDIATE"),
            (PostgresStore, "pooled connection + BEGIN with the writers' lock"),
        ):
            self._time_transactions(store_class, begin)

        # PostgreSQL: asyncpg's query logger gives each statement's time on the server,
        # the round trip included (called soon after, in the context of the request).
        import storage.postgres.store as postgres_store

        create_pool = getattr(postgres_store, "create_pool")  # noqa: B009

        async def timed_pool(dsn: str, **kwargs: Any) -> Any:
            def timed(query: Any) -> None:
                probe.add_sql(short_sql(query.query), query.elapsed)

            return await create_pool(dsn, **(kwargs | {"on_statement": timed}))

        setattr(postgres_store, "create_pool", timed_pool)  # noqa: B010

    def _time_transactions(self, store_class: Any, begin: str) -> None:
        probe = self
        read, write = store_class.read, store_class.write

        @asynccontextmanager
        async def timed_read(store: Any) -> AsyncIterator[Any]:
            started = time.perf_counter()
            try:
                async with read(store) as uow:
                    yield uow
            finally:
                if (work := probe._work()) is not None:
                    work.tx.add("read block", time.perf_counter() - started)

        @asynccontextmanager
        async def timed_write(store: Any, **kwargs: Any) -> AsyncIterator[Any]:
            started = time.perf_counter()
            began = started
            try:
                async with write(store, **kwargs) as uow:
                    began = time.perf_counter()
                    yield uow
            finally:
                ended = time.perf_counter()
                if (work := probe._work()) is not None:
                    work.tx.add(f"write: {begin}", began - started)
                    work.tx.add("write: block + COMMIT", ended - began)

        setattr(store_class, "read", timed_read)  # noqa: B010
        setattr(store_class, "write", timed_write)  # noqa: B010

    def install(self, app: Any) -> None:
        """Wrap the adapter, Bolt's dispatch, the services and the builders."""
        from slack_bolt.adapter import aiohttp as adapter

        import bot.runtime.server as server_module

        probe = self
        parse_request = adapter.to_bolt_request
        make_response = adapter.to_aiohttp_response
        dispatch = cast(AsyncFn, app.async_dispatch)

        async def timed_parse(request: web.Request) -> Any:
            phase, _, label = request.headers.get(PHASE_HEADER, "").partition("|")
            sample = Sample(started=time.perf_counter(), phase=phase, kind=label)
            CURRENT.set(sample)
            result = await parse_request(request)
            sample.parse = time.perf_counter() - sample.started
            return result

        async def timed_response(response: Any) -> web.Response:
            result = await make_response(response)
            sample = CURRENT.get()
            if sample is not None and sample.totals is None:
                probe.record(sample, time.perf_counter() - sample.started)
            return result

        async def timed_dispatch(request: Any) -> Any:
            sample = CURRENT.get()
            started = time.perf_counter()
            try:
                return await dispatch(request)
            finally:
                if sample is not None:
                    sample.kind = sample.kind or classify(request.body)
                    sample.dispatch = time.perf_counter() - started

        # bot.runtime.server looks these names up when each request arrives.
        setattr(server_module, "to_bolt_request", timed_parse)  # noqa: B010
        setattr(server_module, "to_aiohttp_response", timed_response)  # noqa: B010
        app.async_dispatch = timed_dispatch
        self._install_services()
        self._install_builders()

    def _nested(self) -> tuple[Sample | None, Work | None]:
        return CURRENT.get(), self._work()

    def _time_service(self, name: str, original: AsyncFn) -> AsyncFn:
        probe = self

        @functools.wraps(original)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            sample, work = probe._nested()
            if sample is None or work is None or sample.depth:
                return await original(*args, **kwargs)
            sample.depth += 1
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                sample.depth -= 1
                work.services.add(name, time.perf_counter() - started)

        return timed

    def _time_builder(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        probe = self

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            sample, work = probe._nested()
            if sample is None or work is None or sample.depth:
                return original(*args, **kwargs)
            sample.depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                sample.depth -= 1
                work.builders.add(name, time.perf_counter() - started)

        return timed

    def _install_services(self) -> None:
        from bot.runtime import container

        for annotation in inspect.get_annotations(container.Services).values():
            cls = getattr(container, str(annotation), None)
            if not isinstance(cls, type) or not cls.__name__.endswith("Service"):
                continue
            for attr, value in list(vars(cls).items()):
                if not attr.startswith("_") and inspect.iscoroutinefunction(value):
                    setattr(cls, attr, self._time_service(f"{cls.__name__}.{attr}", value))

    def _install_builders(self) -> None:
        import importlib

        import bot.blocks
        from bot.blocks.rendered import RenderedPages

        for info in pkgutil.iter_modules(bot.blocks.__path__):
            if info.name in ("ids", "primitives", "rendered"):
                continue
            module = importlib.import_module(f"bot.blocks.{info.name}")
            for attr, value in list(vars(module).items()):
                if (
                    not attr.startswith("_")
                    and inspect.isfunction(value)
                    and value.__module__ == module.__name__
                ):
                    setattr(module, attr, self._time_builder(f"{info.name}.{attr}", value))
        setattr(  # noqa: B010
            RenderedPages,
            "list_message",
            self._time_builder("rendered.list_message", RenderedPages.list_message),
        )

    # -- the report ---------------------------------------------------------------------

    def write(self) -> None:
        if self.profiler is not None:
            self.profiler.disable()
        lines = [
            "Server-side time per request, by phase and kind (means in ms per request).",
            "handler: from reading the HTTP body to the aiohttp response; parse: to_bolt_request;",
            "dispatch: Bolt's async_dispatch (middleware, listener, ack); bolt: dispatch less the",
            "services and builders; services: outermost service calls (their statements inside);",
            "db: time in sqlite3 statements (execute and fetches) of the store's connections, or",
            "on PostgreSQL each statement's round trip (asyncpg's query logger);",
            "tx: the store's read()/write() blocks (write: waiting for the lock and BEGIN IMMEDIATE,",
            "on PostgreSQL a pooled connection and BEGIN with the writers' lock, then the block",
            "with its COMMIT). 'after ack': work of tasks the request started",
            "(follow-ups, deferred work); 'background': tasks no request started (delivery loop).",
            "",
        ]
        for (phase, kind), totals in sorted(self.totals.items()):
            if (phase, kind) == BACKGROUND:
                continue
            lines += self._describe(f"[{phase or '-'}] {kind}", totals)
        if BACKGROUND in self.totals:
            lines += ["[background] (per request answered, all kinds):"]
            answered = sum(t.requests for k, t in self.totals.items() if k != BACKGROUND)
            lines += self._work_lines(self.totals[BACKGROUND].work, max(answered, 1))
        if self.profiler is not None:
            for order in ("tottime", "cumulative"):
                stream = io.StringIO()
                stats = pstats.Stats(self.profiler, stream=stream)
                stats.sort_stats(order).print_stats(40)
                lines += ["", f"-- cProfile, main thread, by {order} --", stream.getvalue()]
            self.profiler.dump_stats(self.path.with_suffix(".prof"))
        self.path.write_text("\n".join(lines) + "\n")

    def _describe(self, title: str, totals: Totals) -> list[str]:
        n = max(totals.requests, 1)
        work = totals.work
        bolt = totals.dispatch - work.services.total() - work.builders.total()
        lines = [
            f"{title}: {totals.requests} requests; handler {totals.handler / n * 1000:.3f}, "
            f"parse {totals.parse / n * 1000:.3f}, dispatch {totals.dispatch / n * 1000:.3f} "
            f"(bolt {bolt / n * 1000:.3f}, services {work.services.total() / n * 1000:.3f}, "
            f"builders {work.builders.total() / n * 1000:.3f})"
        ]
        lines += self._work_lines(work, n)
        after = totals.after
        if after.services.count() or after.builders.count() or after.sql.count():
            lines.append("  after ack:")
            lines += self._work_lines(totals.after, n)
        return lines

    @staticmethod
    def _work_lines(work: Work, n: int) -> list[str]:
        lines = [
            f"    db {work.sql.total() / n * 1000:.3f} ({work.sql.count() / n:.1f} statements); "
            + ", ".join(
                f"{name} {work.tx.seconds[name] / n * 1000:.3f} ({work.tx.calls[name] / n:.2f})"
                for name in sorted(work.tx.seconds)
            )
        ]
        for label, bucket in (("service", work.services), ("builder", work.builders)):
            ranked = sorted(bucket.seconds.items(), key=lambda item: -item[1])[:TOP_CALLS]
            lines += [
                f"    {label:<8} {bucket.calls[name] / n:5.2f}/req {seconds / n * 1000:8.3f} ms"
                f"  {name}"
                for name, seconds in ranked
            ]
        ranked = sorted(work.sql.seconds.items(), key=lambda item: -item[1])[:TOP_STATEMENTS]
        lines += [
            f"    sql      {work.sql.calls[name] / n:5.2f}/req {seconds / n * 1000:8.3f} ms  {name}"
            for name, seconds in ranked
        ]
        return lines
