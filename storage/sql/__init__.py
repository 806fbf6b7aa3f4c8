"""The SQL both stores run: one statement per query where the text is the same on both engines.

Each module holds the statements of one area as module constants (built once, at
import: nothing is formatted per call), with SQLite's ``?`` / ``?N`` placeholders;
:func:`storage.postgres.connections.pg` turns them into ``$N``. A statement that
differs between the engines (locking, batch inserts, index hints, the case-folded
id) lives in that engine's area module, next to the shared ones it stands beside,
with a comment saying why. The few statements that take a list of values are
small functions of the list's length.
"""
