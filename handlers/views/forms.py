"""Reading the values of a submitted modal's inputs."""

from __future__ import annotations

from typing import Any


def state_value(state: dict[str, Any], block_id: str, action_id: str) -> Any:
    """The value of one input: text, date, user, conversation or the chosen option's value."""
    element = state.get(block_id, {}).get(action_id, {})
    if not isinstance(element, dict):
        return None
    for key in ("value", "selected_date", "selected_user", "selected_conversation"):
        if key in element:
            return element[key]
    option = element.get("selected_option")
    if isinstance(option, dict):
        return option.get("value")
    return None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
