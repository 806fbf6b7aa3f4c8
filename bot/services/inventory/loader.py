"""Reading an inventory file: YAML in, a validated :class:`Inventory` out.

The file is parsed with a safe loader that refuses a key given twice, then
validated against :mod:`bot.services.inventory.schema`. Whatever is wrong is
raised as one :class:`InventoryError` naming the file, the line, the entry and
the field, with a hint for a misspelt key.
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.services.inventory.fields import Located, shown
from bot.services.inventory.schema import MODELS_BELOW, Inventory, InventoryError

try:  # the libyaml parser is much faster; both are "safe" loaders
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Loader(_SafeLoader):
    """``yaml.safe_load``'s loader, refusing a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice",
                    key_node.start_mark,
                )
            if isinstance(key, Hashable):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date-looking scalar as a date, or as its text when it names no real date.

        PyYAML raises a bare ValueError for ``2027-02-30`` or ``2027-13-45``; kept as
        text, the schema reports it like any other bad field, with its entry and line.
        """
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def load_inventory(path: Path) -> Inventory:
    """Read and validate an inventory file.

    Args:
        path: The YAML file to read.

    Returns:
        The validated inventory, remembering ``path`` as its source.

    Raises:
        InventoryError: The file cannot be read, is not valid YAML, or breaks a
            rule of the format. The message names the file and, when it can,
            the line, the entry and the field; only the first problem is
            described, with a count of any others.
    """
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InventoryError(f"cannot read the file ({exc.strerror or exc})", path=path) from None
    return read_inventory(content, source=path)


def read_inventory(content: bytes, *, source: Path) -> Inventory:
    """Validate the bytes of an inventory file (read from disk, or shared in Slack).

    ``source`` names the file in messages and in the audit log; it is not read.
    The rules and the messages are those of :func:`load_inventory`.

    Raises:
        InventoryError: As :func:`load_inventory`.
    """
    path = source
    try:
        # As Path.read_text does: universal newlines, so line numbers are the same.
        text = content.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"the file is not UTF-8 text (bad byte at offset {exc.start})", path=path
        ) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a safe loader, like yaml.safe_load
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(path, exc) from None
    except yaml.YAMLError as exc:
        raise InventoryError(f"not valid YAML: {exc}", path=path) from None
    if data is None:
        raise InventoryError(
            "the file is empty; it needs a `membership` and a `benefits` list", path=path
        )
    if not isinstance(data, dict):
        raise InventoryError(
            "the file must be a mapping with the keys `membership` and `benefits` "
            f"(it is a {type(data).__name__})",
            path=path,
            line=1,
        )
    try:
        inventory = Inventory.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, text, data, exc) from None
    inventory._source = path
    return inventory


def _syntax_error(path: Path, exc: yaml.MarkedYAMLError) -> InventoryError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "unreadable"
    if exc.context and exc.problem and exc.context_mark is not None:
        problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return InventoryError(
        f"not valid YAML: {problem}",
        path=path,
        line=mark.line + 1 if mark is not None else None,
        column=mark.column + 1 if mark is not None else None,
    )


def _validation_error(
    path: Path, text: str, data: dict[str, Any], exc: ValidationError
) -> InventoryError:
    errors = exc.errors()
    first = _first_to_report(errors)
    loc: tuple[str | int, ...] = tuple(first["loc"])
    ctx = first.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, Located):
        loc += cause.below
    entry, field = _describe(loc, data)
    problem = _problem(first, loc)
    if len(errors) > 1:
        more = len(errors) - 1
        problem += f"; the file has {more} more problem{'' if more == 1 else 's'}"
    return InventoryError(
        problem,
        path=path,
        line=_line_of(text, loc, first["type"] == "extra_forbidden"),
        entry=entry,
        field=field,
    )


def _first_to_report(errors: Sequence[Any]) -> Any:
    """The first error, unless a misspelt key explains a missing one better."""
    first = errors[0]
    if first["type"] == "missing":
        parent = tuple(first["loc"][:-1])
        for other in errors:
            if other["type"] == "extra_forbidden" and tuple(other["loc"][:-1]) == parent:
                return other
    return first


def _describe(loc: tuple[str | int, ...], data: dict[str, Any]) -> tuple[str, str | None]:
    """The entry and the field that a validation error location points at."""
    if len(loc) >= 2 and loc[0] == "benefits" and isinstance(loc[1], int):
        index = loc[1]
        raw = data.get("benefits")
        item = raw[index] if isinstance(raw, list) and index < len(raw) else None
        raw_id = item.get("id") if isinstance(item, dict) else None
        label = f"id: {raw_id}" if isinstance(raw_id, str) and raw_id else "no id"
        return f"benefits[{index}] ({label})", _field_name(loc[2:]) or None
    if len(loc) >= 2 and loc[0] == "membership":
        return "membership", _field_name(loc[1:])
    return "top level", _field_name(loc) or None


def _field_name(parts: Sequence[str | int]) -> str:
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name


def _problem(error: Any, loc: tuple[str | int, ...]) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "enum":
        return f"must be one of {ctx.get('expected')} (got {shown(value)})"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters (got {len(value)})"
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more (got {shown(value)})"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items (got {ctx.get('actual_length')})"
    simple = {
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "list_type": "must be a list (lines starting with `-`)",
        "model_type": "must be a mapping of keys to values",
        "model_attributes_type": "must be a mapping of keys to values",
        "dict_type": "must be a mapping of keys to values",
    }
    if kind == "string_type" and isinstance(value, int | float | bool | date):
        return f"must be text (got {shown(value)}); put it in quotes, like '{value}'"
    if kind in simple:
        return f"{simple[kind]} (got {shown(value)})"
    return str(error.get("msg", "is not valid"))


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    model: type[BaseModel] = Inventory
    for part in loc[:-1]:
        if isinstance(part, str) and part in MODELS_BELOW:
            model = MODELS_BELOW[part]
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"unknown key{hint}; the keys allowed here are {', '.join(allowed)}"


def _line_of(text: str, loc: tuple[str | int, ...], want_key: bool) -> int | None:
    """The 1-based line of the YAML node at ``loc``, or of its closest parent."""
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:  # pragma: no cover - the text already parsed once
        return None
    if node is None:
        return None
    found: yaml.Node = node
    for depth, part in enumerate(loc):
        child: yaml.Node | None = None
        if isinstance(found, yaml.MappingNode):
            for key_node, value_node in found.value:
                if key_node.value == part:
                    last = depth == len(loc) - 1
                    child = key_node if want_key and last else value_node
                    break
        elif (
            isinstance(found, yaml.SequenceNode)
            and isinstance(part, int)
            and part < len(found.value)
        ):
            child = found.value[part]
        if child is None:
            break
        found = child
    return int(found.start_mark.line) + 1
