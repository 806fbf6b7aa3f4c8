"""The acknowledgement benchmark: the bot next to a bare Bolt app (the floor).

``python -m bench.ack`` builds a SQLite database (or, with ``--database``, a
PostgreSQL schema of the run's own, dropped at the end) with 10,000 users'
assignments over 1,000 benefits, one Global admin and a pool of pending
requests, then starts three subprocesses: a fake Slack Web API that notes when
each call arrives, the bot (``start_bot`` in HTTP mode, as ``benefits-bot run``
does; ``--replicas N`` of them on one PostgreSQL schema, each batch spread
round-robin over them) and the floor, a Bolt ``AsyncApp`` that acknowledges and makes the fewest Slack
calls each request needs, served through the same aiohttp adapter. This
process is the load generator: it sends signed requests exactly as Slack would
(the kinds of :mod:`bench.ack.plan`: lists warm and cold, later pages,
``mine``, new requests, Approve clicks and a mixed workload), one at a time and
then ``--concurrency`` at a time, to the floor and to the bot in turn, and
prints the latency of the acknowledgements and of the follow-ups that users
wait for, the throughput, and the bot/floor ratios against their targets.

The ratios are what counts: the machine is shared, so both servers are measured
in the same run under the same conditions. The exit code is 0 even when a
target is missed (the run is a report); it is 1 when a request failed, an
answer was wrong, the seats assigned or the requests filed do not match what
was sent, a follow-up never arrived, or a server died.

``--profile DIR`` makes each server time its own requests (see
:mod:`bench.ack.probe`) and write a breakdown per request kind to
``DIR/bot.txt`` and ``DIR/floor.txt``; ``--cprofile`` adds a cProfile listing.
Both slow the servers down, so the table of such a run is not comparable with
a plain one.

The modules: :mod:`~bench.ack.plan` (sizes, kinds, filling the database, bodies),
:mod:`~bench.ack.database` (the run's SQLite file or PostgreSQL schema, counts, cold writes),
:mod:`~bench.ack.load` (subprocesses, sending, arrivals), :mod:`~bench.ack.run`
(the batches and the report), :mod:`~bench.ack.servers` (the fake Slack, the
bot, the floor), :mod:`~bench.ack.probe` (``--profile``), :mod:`~bench.ack.cli`.
"""
