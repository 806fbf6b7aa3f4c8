"""The command line of ``python -m bench.ack``, and of the servers it starts."""

from __future__ import annotations

import argparse
import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

from bench.ack.plan import (
    DEFAULT_LIMITS,
    DEFAULT_MIX,
    KINDS,
    MIX,
    Plan,
    mix_text,
    parse_limits,
    parse_mix,
)
from bench.ack.run import benchmark
from bench.ack.servers import BOT_TOKEN, SIGNING_SECRET, serve_bot, serve_floor, serve_slack
from storage import is_postgres

DEFAULT_KINDS = ",".join(KINDS)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack",
        description="Acknowledgement and follow-up latency and throughput of the bot, "
        "next to a bare Bolt app.",
    )
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument(
        "--requests", type=int, help="requests per kind in the concurrent run (default 1000)"
    )
    parser.add_argument(
        "--sequential", type=int, help="requests per kind in the sequential run (default 300)"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--warmup", type=int, help="warm-up requests per kind (default 20)")
    parser.add_argument(
        "--rounds", type=int, help="rounds per batch, the servers taking turns (default 4)"
    )
    parser.add_argument("--benefits", type=int, help="benefits in the inventory (default 1000)")
    parser.add_argument("--holders", type=int, default=10, help="holders per benefit")
    parser.add_argument(
        "--kinds", default=DEFAULT_KINDS, help=f"which of {DEFAULT_KINDS} to run (default all)"
    )
    parser.add_argument(
        "--mix",
        default=mix_text(DEFAULT_MIX),
        help="the mixed workload's shares, kind=share,... over list,list-cat,page,mine,"
        f"request,approve (default {mix_text(DEFAULT_MIX)})",
    )
    parser.add_argument(
        "--limit",
        default=mix_text(DEFAULT_LIMITS),
        help="at most this many requests of a kind per sequential or concurrent batch, "
        f"kind=count,... (0: no limit; default {mix_text(DEFAULT_LIMITS)})",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="run the bot on PostgreSQL: postgresql://user@host:port/database (a schema of "
        "the run's own is made there and dropped at the end; default: a SQLite file)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="bot processes on the one database, each batch spread round-robin over them "
        "(PostgreSQL only; default 1)",
    )
    parser.add_argument(
        "--profile", type=Path, help="write a per-request time breakdown of each server here"
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="with --profile: add a cProfile listing"
    )
    # The servers (started by the benchmark itself).
    parser.add_argument("--serve", choices=("slack", "bot", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    kinds = tuple(k.strip() for k in str(args.kinds).split(",") if k.strip())
    if not kinds or any(k not in KINDS for k in kinds):
        parser.error(f"--kinds takes a comma-separated subset of {DEFAULT_KINDS}")
    args.kinds = tuple(k for k in KINDS if k in kinds)
    try:
        args.mix = parse_mix(str(args.mix))
    except ValueError as error:
        parser.error(f"--mix: {error}")
    try:
        args.limit = parse_limits(str(args.limit))
    except ValueError as error:
        parser.error(f"--limit: {error}")
    for name in ("requests", "sequential", "warmup", "benefits", "rounds"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1")
    if args.concurrency < 1 or args.holders < 1:
        parser.error("--concurrency and --holders must be at least 1")
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if args.database is not None and not is_postgres(args.database):
        parser.error("--database takes a postgresql://user@host:port/database URL")
    if args.replicas > 1 and args.database is None:
        parser.error("--replicas needs --database (replicas share one PostgreSQL database)")
    if args.serve == "bot" and args.db_url is None:
        parser.error("--serve bot needs --db-url")
    if args.serve in ("bot", "floor") and not args.api_url:
        parser.error("--serve bot|floor needs --api-url")
    return args


def plan_from(args: argparse.Namespace) -> Plan:
    quick = bool(args.quick)
    plan = Plan(
        benefits=args.benefits or (100 if quick else 1000),
        holders=args.holders,
        sequential=args.sequential or (20 if quick else 300),
        concurrent=args.requests or (64 if quick else 1000),
        concurrency=args.concurrency,
        warmup=args.warmup or (3 if quick else 20),
        rounds=args.rounds or (2 if quick else 4),
        kinds=args.kinds,
        mix=args.mix,
        limits=args.limit,
        answers_later=args.database is not None,  # receipts: on by default on PostgreSQL
    )
    rounds = math.ceil(plan.approvals / plan.benefits)
    if rounds >= plan.benefits or (MIX in plan.kinds and plan.benefits < 3):
        raise SystemExit("too many approvals for so few benefits: raise --benefits")
    return plan


def serve(args: argparse.Namespace) -> int:
    from bench.ack.probe import Probe
    from bot.runtime.logs import configure_logging

    configure_logging("INFO", [BOT_TOKEN, SIGNING_SECRET])
    probe = (
        Probe(args.profile, use_cprofile=args.cprofile)
        if args.profile is not None and args.serve != "slack"
        else None
    )
    if probe is not None:
        probe.start()
    try:
        if args.serve == "slack":
            asyncio.run(serve_slack())
        elif args.serve == "bot":
            asyncio.run(serve_bot(args, probe))
        else:
            asyncio.run(serve_floor(args, probe))
    finally:
        if probe is not None:
            probe.write()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        return serve(args)
    plan = plan_from(args)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    return asyncio.run(
        benchmark(
            plan,
            database=args.database,
            replicas=args.replicas,
            profile=args.profile,
            use_cprofile=args.cprofile,
        )
    )
