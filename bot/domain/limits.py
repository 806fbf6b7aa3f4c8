"""Every length limit, page size, actor name and text pattern of the bot, defined once.

The services, the inventory schema, the command parser, the Block Kit forms
and the handlers all import them from here, so that a limit the form
announces is the one the service enforces (docs/rules.md).
"""

from __future__ import annotations

import re

# -- texts a person types ------------------------------------------------------

MAX_ID = 64
"""A benefit id, an Access ID or a Contract ID."""
MAX_QUERY = 100
"""Text naming a benefit: its id or the start of its name."""
MAX_NAME_WORDS = 8
"""The most leading words of ``request <text>`` tried as a benefit's name."""
MAX_REASON = 500
"""A request's reason, or a denial's."""
MAX_TOPIC = 500
"""What requested advisory hours are about."""
MAX_HOURS_TEXT = 6
"""Digits of a number of advisory hours."""
MAX_NUMBER_DIGITS = 18
"""The most digits of any number read from Slack (a command, a button, a modal's hidden
field): 18 digits always fit SQLite's 64-bit integers."""
MAX_RECORD_ID = 10**MAX_NUMBER_DIGITS - 1
"""The largest id of a stored record (a request) that a button or a form may name."""
MAX_PAGE = 99_999
"""The largest page number a paging button may name (0-based)."""
MAX_EMAIL = 254
MAX_PHONE = 32
MAX_EXPIRY_YEARS = 10
"""How far ahead a go-to-market offer may expire."""
MAX_COMMAND = 2000
"""The text after ``/benefits``."""
MAX_CHOICE_SHOWN = 40
"""How much of an unknown choice (a language, an OS, a benefit id) is quoted back."""

# -- the inventory file ----------------------------------------------------------

MAX_NAME = 150
"""A benefit's name."""
MAX_TEXT = 2000
"""A benefit's description or instructions."""
MAX_CHOICE = 75
"""A language or an operating system: the text of one option in a Slack select."""
MAX_CHOICES = 100
"""The options of one Slack select."""
MAX_URL = 2000
MAX_PRODUCT_KEY = 200
MAX_PRODUCT_KEYS = 10_000

# -- how much one answer shows -----------------------------------------------------

PAGE_SIZE = 15
"""Benefits per page of a list."""
HOLDERS_PAGE_SIZE = 50
"""Seat holders per page of a benefit's details."""
MATCHES_SHOWN = 5
"""Benefits suggested when a name matches several or none."""
AUDIT_DEFAULT = 20
"""Audit entries shown when nobody says how many."""
AUDIT_MAX = 200
"""Audit entries shown at most in Slack; the CSV export has them all."""

# -- who did it, when no Slack user did --------------------------------------------

IMPORT_ACTOR = "import"
"""The actor of what an inventory import changes."""
OPERATOR = "operator"
"""The actor of what the operator does from the shell (roles, key rotation)."""

# -- patterns ------------------------------------------------------------------------

USER_ID_TEXT = r"[UW][A-Z0-9]{2,}"
"""A Slack user ID, as a fragment of larger patterns (mentions, audit subjects)."""
USER_ID = re.compile(rf"^{USER_ID_TEXT}$")
"""A Slack user ID: U or W, then capital letters and digits."""
PICKED_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
"""A user ID that a Slack user picker returned (bounded, since a form sends it)."""
BENEFIT_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
"""A benefit id: kebab-case."""
SUPPORT_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?")
"""An Access ID or Contract ID: letters, digits and . _ / - inside."""
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
