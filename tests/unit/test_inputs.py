"""Numbers and free text from Slack: read one way (``whole_number``) and made safe to
repeat (``safe_text``), and the builders and parsers that rely on them."""

from __future__ import annotations

import pytest

from bot.blocks.audit import parse_audit_page_value
from bot.blocks.details import parse_holders_page_value
from bot.blocks.keys import parse_keys_page
from bot.blocks.primitives import escape, parse_page_value
from bot.domain.limits import MAX_RECORD_ID
from bot.domain.model import InvalidInput
from bot.domain.validation import (
    check_reason,
    clean_topic,
    hours_requested,
    safe_text,
    whole_number,
)
from handlers.commands.parser import ShowAudit, parse

NOT_NUMBERS = [
    "",
    " ",
    "²",
    "١",
    "٣",
    "１",
    "1²",
    " 1",
    "1 ",
    "+1",
    "-1",
    "1.0",
    "1e3",
    "0x1",
    "1_0",
]


@pytest.mark.parametrize("text", NOT_NUMBERS, ids=repr)
def test_whole_number_reads_nothing_but_ascii_digits(text: str) -> None:
    assert whole_number(text, maximum=MAX_RECORD_ID) is None


@pytest.mark.parametrize(
    ("text", "value"), [("0", 0), ("7", 7), ("007", 7), ("9" * 18, MAX_RECORD_ID)]
)
def test_whole_number_reads_ascii_digits_up_to_the_maximum(text: str, value: int) -> None:
    assert whole_number(text, maximum=MAX_RECORD_ID) == value


def test_whole_number_refuses_more_than_eighteen_digits_and_more_than_the_maximum() -> None:
    assert whole_number("1" * 19, maximum=10**30) is None
    assert whole_number("9" * 5000, maximum=10**30) is None
    assert whole_number("201", maximum=200) is None
    assert whole_number("200", maximum=200) == 200


@pytest.mark.parametrize("text", ["²", "١", "0", "9" * 7, "4 hours"])
def test_advisory_hours_must_be_positive_ascii_digits(text: str) -> None:
    with pytest.raises(InvalidInput, match="positive whole number"):
        hours_requested(text)


def test_advisory_hours_are_read_from_ascii_digits() -> None:
    assert hours_requested(" 12 ") == 12


@pytest.mark.parametrize("text", ["audit ²", "audit ١", "audit 1234567", "audit " + "9" * 1900])
def test_the_audit_command_refuses_a_count_that_is_not_ascii_digits(text: str) -> None:
    with pytest.raises(InvalidInput, match="number of entries"):
        parse(text)


def test_the_audit_command_reads_an_ascii_count() -> None:
    assert parse("audit 50") == ShowAudit(50)


@pytest.mark.parametrize(
    "value", ["all|²", "all|١", "all|" + "9" * 19, "all|", "spaceships|1", "all|-1"]
)
def test_a_list_page_value_that_names_no_page_is_a_value_error(value: str) -> None:
    with pytest.raises(ValueError, match="page"):
        parse_page_value(value)


@pytest.mark.parametrize("value", ["²|0", "20|²", "201|0", "1" * 19 + "|0", "20"])
def test_an_audit_page_value_that_names_no_page_is_a_value_error(value: str) -> None:
    with pytest.raises(ValueError, match="page"):
        parse_audit_page_value(value)


@pytest.mark.parametrize("value", ["win11|²", "win11|١", "|1", "win11|" + "9" * 19])
def test_a_holders_page_value_that_names_no_page_is_a_value_error(value: str) -> None:
    with pytest.raises(ValueError, match="page"):
        parse_holders_page_value(value)


@pytest.mark.parametrize("value", ["²", "١", "101", "9" * 5000, ""])
def test_a_keys_page_beyond_what_a_benefit_can_have_is_a_value_error(value: str) -> None:
    with pytest.raises(ValueError, match="page"):
        parse_keys_page(value)


def test_pages_read_from_buttons_are_numbers() -> None:
    assert parse_page_value("software|3")[1] == 3
    assert parse_audit_page_value("200|7") == (200, 7)
    assert parse_holders_page_value("a|b|2") == ("a|b", 2)
    assert parse_keys_page("100") == 100


# -- free text ---------------------------------------------------------------------

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_safe_text_removes_nul_controls_and_every_bidirectional_override_and_isolate() -> None:
    typed = f"pay\x00 {BIDI}me\x1b[31m\x7f\x85\x9b now"
    assert safe_text(typed) == "pay me[31m now"


def test_safe_text_keeps_newlines_and_tabs_of_multiline_text_and_joins_single_lines() -> None:
    assert safe_text("one\r\ntwo\tthree\rfour") == "one\ntwo\tthreefour"
    assert safe_text("one\ntwo\tthree", multiline=False) == "one two three"


def test_safe_text_leaves_ordinary_text_of_any_script_alone() -> None:
    text = "Für das Labor — 実験室 — مختبر — @here 🚀"
    assert safe_text(text) == text


def test_reasons_and_topics_are_stored_safe() -> None:
    assert check_reason(" \u202eevil\u202c reason\x00 ") == "evil reason"
    assert clean_topic(f"topic\x07 {BIDI}\n second line") == "topic \n second line"


def test_a_reason_of_only_control_characters_is_an_empty_topic() -> None:
    with pytest.raises(InvalidInput, match="Say what the advice is about"):
        clean_topic("\x00\u202e\x1b")


def test_escape_makes_text_inert_and_safe_in_one_place() -> None:
    assert escape("<!channel> <@U123> <https://x.example|y> & \u202eok\x00") == (
        "&lt;!channel&gt; &lt;@U123&gt; &lt;https://x.example|y&gt; &amp; ok"
    )
