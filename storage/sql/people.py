"""Statements of roles and the user directory."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from storage.sql.rows import ROLE_RANK

GRANT_ROLE: Final = (
    "INSERT INTO roles (user_id, role, granted_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)
REVOKE_ROLE: Final = "DELETE FROM roles WHERE user_id = ? AND role = ? RETURNING 1"
ROLES_OF: Final = "SELECT role FROM roles WHERE user_id = ?"
ROLE_HOLDERS: Final = "SELECT user_id FROM roles WHERE role = ? ORDER BY user_id"
ALL_ROLES: Final = f"SELECT user_id, role FROM roles ORDER BY {ROLE_RANK}, user_id"
GET_USER: Final = "SELECT user_id, name, email FROM users WHERE user_id = ?"
# As put_user of DirectoryUser(user_id) would write it, unless the user is there.
ADD_USER: Final = (
    "INSERT INTO users (user_id, name, email) VALUES (?, '', '') ON CONFLICT (user_id) DO NOTHING"
)
PUT_USER: Final = (
    "INSERT INTO users (user_id, name, email) VALUES (?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, email = excluded.email"
)
LANGUAGE_OF: Final = "SELECT language FROM user_languages WHERE user_id = ?"
SET_LANGUAGE: Final = (
    "INSERT INTO user_languages (user_id, language) VALUES (?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language"
)
CLEAR_LANGUAGE: Final = "DELETE FROM user_languages WHERE user_id = ?"
ALL_LANGUAGES: Final = "SELECT user_id, language FROM user_languages"
NOTE_HOME_OPENED: Final = (
    "INSERT INTO home_viewers (user_id, opened_at) VALUES (?, ?) "
    "ON CONFLICT (user_id) DO NOTHING RETURNING 1"
)


@lru_cache(maxsize=32)
def home_viewers(count: int) -> str:
    """Which of ``count`` people have opened their App Home."""
    marks = ", ".join("?" for _ in range(count))
    return f"SELECT user_id FROM home_viewers WHERE user_id IN ({marks})"
