"""A pure checker of Slack's documented Block Kit limits.

Slack answers ``invalid_blocks`` (messages) or ``invalid_arguments`` (views) when a payload
breaks these limits, which in production means a user sees nothing at all.  The checker
mirrors the limits documented for Block Kit blocks, elements and composition objects (and the
``max_length`` constants in :mod:`slack_sdk.models`), so that tests catch an overlong label or a
duplicated ``block_id`` before Slack does.

Paths in the violations are relative to the payload handed in, e.g.
``blocks[3].text.text: section text is 3012 chars (max 3000)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_MESSAGE_TEXT = 40_000
MAX_ATTACHMENTS = 100
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
MAX_OPTION_TEXT = 75
MAX_OPTION_DESCRIPTION = 75
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100
MAX_OPTION_GROUPS = 100
MAX_OPTION_GROUP_LABEL = 75
MAX_OVERFLOW_OPTIONS = 5
MAX_RADIO_OR_CHECKBOX_OPTIONS = 10
MAX_VIEW_TITLE = 24
MAX_VIEW_BUTTON = 24
MAX_CALLBACK_ID = 255
MAX_EXTERNAL_ID = 255
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LABEL = 2000
MAX_INPUT_HINT = 2000
MAX_PLACEHOLDER = 150
MAX_IMAGE_ALT_TEXT = 2000
MAX_IMAGE_TITLE = 2000
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30

_SELECTS_WITH_OPTIONS = frozenset({"static_select", "multi_static_select"})
_OPTION_LISTS = _SELECTS_WITH_OPTIONS | {"overflow", "radio_buttons", "checkboxes"}


class _Checker:
    def __init__(self) -> None:
        self.violations: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.violations.append(f"{path}: {message}")

    def max_len(self, value: Any, limit: int, path: str, what: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, f"{what} is {len(value)} chars (max {limit})")

    def max_items(self, value: Any, limit: int, path: str, what: str) -> None:
        if isinstance(value, list) and len(value) > limit:
            self.add(path, f"{len(value)} {what} (max {limit})")

    def text_object(
        self,
        obj: Any,
        path: str,
        *,
        what: str,
        max_len: int | None = None,
        plain_only: bool = False,
    ) -> None:
        if not isinstance(obj, Mapping):
            self.add(path, f"{what} must be a text object, got {type(obj).__name__}")
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self.add(f"{path}.type", f"{what} has type {kind!r}, expected plain_text or mrkdwn")
        elif plain_only and kind != "plain_text":
            self.add(f"{path}.type", f"{what} must be plain_text, got {kind}")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.add(f"{path}.text", f"{what} has empty text")
        elif max_len is not None:
            self.max_len(text, max_len, f"{path}.text", what)

    def optional_text_object(
        self,
        container: Mapping[str, Any],
        key: str,
        path: str,
        *,
        what: str,
        max_len: int | None = None,
        plain_only: bool = False,
    ) -> None:
        if container.get(key) is not None:
            self.text_object(
                container[key],
                f"{path}.{key}" if path else key,
                what=what,
                max_len=max_len,
                plain_only=plain_only,
            )

    # -- composition objects -------------------------------------------------------------

    def option(self, option: Any, path: str, *, plain_only: bool) -> None:
        if not isinstance(option, Mapping):
            self.add(path, "option must be an object")
            return
        self.text_object(
            option.get("text"),
            f"{path}.text",
            what="option text",
            max_len=MAX_OPTION_TEXT,
            plain_only=plain_only,
        )
        self.max_len(option.get("value"), MAX_OPTION_VALUE, f"{path}.value", "option value")
        self.optional_text_object(
            option,
            "description",
            path,
            what="option description",
            max_len=MAX_OPTION_DESCRIPTION,
            plain_only=plain_only,
        )
        self.max_len(option.get("url"), MAX_URL, f"{path}.url", "option url")

    def options(self, element: Mapping[str, Any], path: str) -> None:
        kind = element.get("type")
        plain_only = kind in _SELECTS_WITH_OPTIONS or kind == "overflow"
        limit = {
            "overflow": MAX_OVERFLOW_OPTIONS,
            "radio_buttons": MAX_RADIO_OR_CHECKBOX_OPTIONS,
            "checkboxes": MAX_RADIO_OR_CHECKBOX_OPTIONS,
        }.get(str(kind), MAX_SELECT_OPTIONS)
        options = element.get("options")
        if isinstance(options, list):
            self.max_items(options, limit, f"{path}.options", f"{kind} options")
            for i, option in enumerate(options):
                self.option(option, f"{path}.options[{i}]", plain_only=plain_only)
        groups = element.get("option_groups")
        if isinstance(groups, list):
            self.max_items(groups, MAX_OPTION_GROUPS, f"{path}.option_groups", "option groups")
            for g, group in enumerate(groups):
                gpath = f"{path}.option_groups[{g}]"
                if not isinstance(group, Mapping):
                    self.add(gpath, "option group must be an object")
                    continue
                self.text_object(
                    group.get("label"),
                    f"{gpath}.label",
                    what="option group label",
                    max_len=MAX_OPTION_GROUP_LABEL,
                    plain_only=True,
                )
                group_options = group.get("options")
                self.max_items(
                    group_options, MAX_SELECT_OPTIONS, f"{gpath}.options", "options in group"
                )
                if isinstance(group_options, list):
                    for i, option in enumerate(group_options):
                        self.option(option, f"{gpath}.options[{i}]", plain_only=True)
        for key in ("initial_option",):
            if isinstance(element.get(key), Mapping):
                self.option(element[key], f"{path}.{key}", plain_only=plain_only)
        initial_options = element.get("initial_options")
        if isinstance(initial_options, list):
            for i, option in enumerate(initial_options):
                self.option(option, f"{path}.initial_options[{i}]", plain_only=plain_only)

    def confirm(self, confirm: Any, path: str) -> None:
        if not isinstance(confirm, Mapping):
            self.add(path, "confirm must be an object")
            return
        self.text_object(
            confirm.get("title"),
            f"{path}.title",
            what="confirm title",
            max_len=MAX_CONFIRM_TITLE,
            plain_only=True,
        )
        self.text_object(
            confirm.get("text"), f"{path}.text", what="confirm text", max_len=MAX_CONFIRM_TEXT
        )
        for key in ("confirm", "deny"):
            self.text_object(
                confirm.get(key),
                f"{path}.{key}",
                what=f"confirm {key} button text",
                max_len=MAX_CONFIRM_BUTTON,
                plain_only=True,
            )

    # -- elements ---------------------------------------------------------------------------

    def element(self, element: Any, path: str, action_ids: dict[str, str]) -> None:
        if not isinstance(element, Mapping):
            self.add(path, "element must be an object")
            return
        kind = element.get("type")
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            self.max_len(action_id, MAX_ACTION_ID, f"{path}.action_id", "action_id")
            if action_id in action_ids:
                self.add(
                    f"{path}.action_id",
                    f"duplicate action_id {action_id!r} in one block (also at {action_ids[action_id]})",
                )
            else:
                action_ids[action_id] = path
        self.optional_text_object(
            element,
            "placeholder",
            path,
            what="placeholder",
            max_len=MAX_PLACEHOLDER,
            plain_only=True,
        )
        if element.get("confirm") is not None:
            self.confirm(element["confirm"], f"{path}.confirm")
        if kind == "button":
            self.text_object(
                element.get("text"),
                f"{path}.text",
                what="button text",
                max_len=MAX_BUTTON_TEXT,
                plain_only=True,
            )
            self.max_len(element.get("value"), MAX_BUTTON_VALUE, f"{path}.value", "button value")
            self.max_len(element.get("url"), MAX_URL, f"{path}.url", "button url")
        elif kind in _OPTION_LISTS:
            self.options(element, path)
        elif kind == "image":
            self.image_element(element, path)

    def image_element(self, element: Mapping[str, Any], path: str) -> None:
        self.max_len(element.get("image_url"), MAX_URL, f"{path}.image_url", "image_url")
        alt_text = element.get("alt_text")
        if not isinstance(alt_text, str) or not alt_text:
            self.add(f"{path}.alt_text", "image needs a non-empty alt_text")
        else:
            self.max_len(alt_text, MAX_IMAGE_ALT_TEXT, f"{path}.alt_text", "image alt_text")

    # -- blocks -------------------------------------------------------------------------------

    def blocks(self, blocks: Any, path: str, surface: Surface) -> None:
        if not isinstance(blocks, list):
            self.add(path, f"blocks must be a list, got {type(blocks).__name__}")
            return
        limit = MAX_BLOCKS[surface]
        if len(blocks) > limit:
            self.add(path, f"{len(blocks)} blocks (max {limit} in a {surface})")
        block_ids: dict[str, str] = {}
        for i, block in enumerate(blocks):
            self.block(block, f"{path}[{i}]", block_ids)

    def block(self, block: Any, path: str, block_ids: dict[str, str]) -> None:
        if not isinstance(block, Mapping):
            self.add(path, "block must be an object")
            return
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            self.max_len(block_id, MAX_BLOCK_ID, f"{path}.block_id", "block_id")
            if block_id in block_ids:
                self.add(
                    f"{path}.block_id",
                    f"duplicate block_id {block_id!r} (also at {block_ids[block_id]})",
                )
            else:
                block_ids[block_id] = path
        kind = block.get("type")
        action_ids: dict[str, str] = {}
        if kind == "section":
            self.section(block, path, action_ids)
        elif kind == "header":
            self.text_object(
                block.get("text"),
                f"{path}.text",
                what="header text",
                max_len=MAX_HEADER_TEXT,
                plain_only=True,
            )
        elif kind == "context":
            elements = block.get("elements")
            self.max_items(elements, MAX_CONTEXT_ELEMENTS, f"{path}.elements", "context elements")
            if isinstance(elements, list):
                for i, element in enumerate(elements):
                    epath = f"{path}.elements[{i}]"
                    if isinstance(element, Mapping) and element.get("type") == "image":
                        self.image_element(element, epath)
                    else:
                        self.text_object(element, epath, what="context text")
        elif kind == "actions":
            elements = block.get("elements")
            self.max_items(elements, MAX_ACTIONS_ELEMENTS, f"{path}.elements", "actions elements")
            if isinstance(elements, list):
                for i, element in enumerate(elements):
                    self.element(element, f"{path}.elements[{i}]", action_ids)
        elif kind == "input":
            self.text_object(
                block.get("label"),
                f"{path}.label",
                what="input label",
                max_len=MAX_INPUT_LABEL,
                plain_only=True,
            )
            self.optional_text_object(
                block, "hint", path, what="input hint", max_len=MAX_INPUT_HINT, plain_only=True
            )
            self.element(block.get("element"), f"{path}.element", action_ids)
        elif kind == "image":
            self.image_element(block, path)
            self.optional_text_object(
                block, "title", path, what="image title", max_len=MAX_IMAGE_TITLE, plain_only=True
            )

    def section(self, block: Mapping[str, Any], path: str, action_ids: dict[str, str]) -> None:
        text = block.get("text")
        fields = block.get("fields")
        if text is None and not fields:
            self.add(path, "section needs text or fields")
        if text is not None:
            self.text_object(text, f"{path}.text", what="section text", max_len=MAX_SECTION_TEXT)
        if fields is not None:
            if not isinstance(fields, list):
                self.add(f"{path}.fields", "section fields must be a list")
            else:
                self.max_items(fields, MAX_SECTION_FIELDS, f"{path}.fields", "section fields")
                for i, field in enumerate(fields):
                    self.text_object(
                        field,
                        f"{path}.fields[{i}]",
                        what="section field",
                        max_len=MAX_SECTION_FIELD_TEXT,
                    )
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{path}.accessory", action_ids)

    # -- surfaces -----------------------------------------------------------------------------

    def message(self, payload: Mapping[str, Any], *, require_fallback_text: bool) -> None:
        text = payload.get("text")
        self.max_len(text, MAX_MESSAGE_TEXT, "text", "message text")
        blocks = payload.get("blocks")
        if blocks is not None:
            self.blocks(blocks, "blocks", "message")
            has_text = isinstance(text, str) and text.strip() != ""
            if require_fallback_text and isinstance(blocks, list) and blocks and not has_text:
                self.add("text", "message has blocks but no fallback text (used for notifications)")
        attachments = payload.get("attachments")
        if attachments is not None:
            if not isinstance(attachments, list):
                self.add("attachments", "attachments must be a list")
                return
            self.max_items(attachments, MAX_ATTACHMENTS, "attachments", "attachments")
            for i, attachment in enumerate(attachments):
                if isinstance(attachment, Mapping) and attachment.get("blocks") is not None:
                    self.blocks(attachment["blocks"], f"attachments[{i}].blocks", "message")

    def view(self, view: Mapping[str, Any], surface: Surface) -> None:
        kind = view.get("type")
        if kind != surface:
            self.add("type", f"view type is {kind!r}, expected {surface!r}")
        if surface == "modal":
            self.text_object(
                view.get("title"),
                "title",
                what="modal title",
                max_len=MAX_VIEW_TITLE,
                plain_only=True,
            )
        else:
            self.optional_text_object(
                view, "title", "", what="view title", max_len=MAX_VIEW_TITLE, plain_only=True
            )
        for key in ("submit", "close"):
            self.optional_text_object(
                view, key, "", what=f"{key} button text", max_len=MAX_VIEW_BUTTON, plain_only=True
            )
        self.max_len(view.get("callback_id"), MAX_CALLBACK_ID, "callback_id", "callback_id")
        self.max_len(view.get("external_id"), MAX_EXTERNAL_ID, "external_id", "external_id")
        self.max_len(
            view.get("private_metadata"),
            MAX_PRIVATE_METADATA,
            "private_metadata",
            "private_metadata",
        )
        blocks = view.get("blocks")
        if blocks is None:
            self.add("blocks", "view has no blocks")
            return
        self.blocks(blocks, "blocks", surface)
        has_input = isinstance(blocks, list) and any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in blocks
        )
        if surface == "modal" and has_input and view.get("submit") is None:
            self.add("submit", "a modal with input blocks needs a submit button")


def block_kit_violations(
    payload: Mapping[str, Any],
    *,
    surface: Surface,
    require_fallback_text: bool = True,
) -> list[str]:
    """Return human-readable violations of Slack's Block Kit limits (empty when fine).

    For ``surface="message"`` the payload is a message (``text``, ``blocks``, ``attachments``);
    ``require_fallback_text`` reports blocks without a non-empty top-level ``text`` (what
    chat.postMessage, chat.update and chat.postEphemeral need for notifications).  For
    ``"modal"`` and ``"home"`` the payload is the view object itself.
    """
    checker = _Checker()
    if surface == "message":
        checker.message(payload, require_fallback_text=require_fallback_text)
    else:
        checker.view(payload, surface)
    return checker.violations


def assert_within_block_kit_limits(
    payload: Mapping[str, Any],
    *,
    surface: Surface,
    require_fallback_text: bool = True,
) -> None:
    """Raise AssertionError listing every Block Kit violation of ``payload``."""
    violations = block_kit_violations(
        payload, surface=surface, require_fallback_text=require_fallback_text
    )
    if violations:
        listing = "\n".join(f"  - {v}" for v in violations)
        raise AssertionError(f"{len(violations)} Block Kit violation(s) on a {surface}:\n{listing}")


__all__ = [
    "MAX_BLOCKS",
    "Surface",
    "assert_within_block_kit_limits",
    "block_kit_violations",
]
