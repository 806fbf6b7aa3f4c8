"""The `/benefits` parser: text in, a typed command or a usage message out.

Mentions arrive in Slack's escaped form (``<@U123ABC|jane>``) because the
command is declared with ``should_escape``.
"""

from __future__ import annotations

import pytest

from bot.domain.limits import MAX_COMMAND as MAX_TEXT
from bot.domain.model import Category, InvalidInput, Role
from handlers.commands.parser import (
    USAGE,
    AddUser,
    Assign,
    ChooseLanguage,
    Command,
    Grant,
    Help,
    ListBenefits,
    RequestBenefit,
    RequestForm,
    Revoke,
    ShowMine,
    ShowRoles,
    Unassign,
    Withdraw,
    parse,
    parse_user_id,
)
from tests.unit.conftest import rendered

JANE = "U123ABC"
JANE_ESCAPED = f"<@{JANE}|jane>"
JANE_BARE = f"<@{JANE}>"
WORKSPACE_USER = "W0ENTERPRISE1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("   ", Help()),
        ("help", Help()),
        ("HELP", Help()),
        ("list", ListBenefits(None)),
        ("ls", ListBenefits(None)),
        ("  list  ", ListBenefits(None)),
        ("mine", ShowMine()),
        ("my", ShowMine()),
        ("Mine", ShowMine()),
        ("roles", ShowRoles()),
        ("request vs-ent", RequestBenefit("vs-ent", None)),
        ("request", RequestForm()),
        ("request   ", RequestForm()),
        ("withdraw 12", Withdraw(12)),
        ("withdraw #7", Withdraw(7)),
        (
            "request visual studio enterprise for the new project",
            RequestBenefit("visual studio enterprise for the new project", None),
        ),
        (
            'request "Visual Studio Enterprise" for the new project',
            RequestBenefit("Visual Studio Enterprise", "for the new project"),
        ),
        (
            "request 'Visual Studio Enterprise' for the new project",
            RequestBenefit("Visual Studio Enterprise", "for the new project"),
        ),
        (
            "request \u201cVisual Studio Enterprise\u201d for the new project",
            RequestBenefit("Visual Studio Enterprise", "for the new project"),
        ),
        (
            "request \u2018Azure credit\u2019 demo",
            RequestBenefit("Azure credit", "demo"),
        ),
        ('request "Microsoft 365 E3"', RequestBenefit("Microsoft 365 E3", "")),
        (f"assign vs-ent {JANE_ESCAPED}", Assign("vs-ent", JANE)),
        (f"assign Visual Studio Enterprise {JANE_BARE}", Assign("Visual Studio Enterprise", JANE)),
        (f"ASSIGN {JANE_ESCAPED} vs-ent", Assign("vs-ent", JANE)),
        (f"unassign vs-ent {JANE_ESCAPED}", Unassign("vs-ent", JANE)),
        (f"unassign azure credit {JANE_BARE}", Unassign("azure credit", JANE)),
        (f"assign vs-ent <@{WORKSPACE_USER}|ent user>", Assign("vs-ent", WORKSPACE_USER)),
        (f"grant {JANE_ESCAPED} global_admin", Grant(JANE, Role.GLOBAL_ADMIN)),
        (f"grant {JANE_BARE} Global-Admin", Grant(JANE, Role.GLOBAL_ADMIN)),
        (f"grant {JANE_ESCAPED} MPN-PARTNER-ADMIN", Grant(JANE, Role.MPN_PARTNER_ADMIN)),
        (f"grant {JANE_ESCAPED} user admin", Grant(JANE, Role.USER_ADMIN)),
        (f"grant admin_agent {JANE_ESCAPED}", Grant(JANE, Role.ADMIN_AGENT)),
        (f"revoke {JANE_ESCAPED} user_admin", Revoke(JANE, Role.USER_ADMIN)),
        (f"revoke {JANE_BARE} Admin-Agent", Revoke(JANE, Role.ADMIN_AGENT)),
        (f"adduser {JANE_ESCAPED}", AddUser(JANE)),
        (f"adduser {JANE_BARE}", AddUser(JANE)),
        ("language", ChooseLanguage(None)),
        ("language nl", ChooseLanguage("nl")),
        ("LANGUAGE Auto", ChooseLanguage("Auto")),  # the service checks the word
        ("taal en", ChooseLanguage("en")),
    ],
)
def test_good_input_gives_the_right_typed_command(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("alias", "category"),
    [
        ("software", Category.SOFTWARE),
        ("cloud", Category.CLOUD),
        ("azure", Category.CLOUD),
        ("visual_studio", Category.VISUAL_STUDIO),
        ("visual-studio", Category.VISUAL_STUDIO),
        ("vs", Category.VISUAL_STUDIO),
        ("VS", Category.VISUAL_STUDIO),
        ("technical", Category.TECHNICAL),
        ("support", Category.TECHNICAL),
        ("gtm", Category.GTM),
        ("Go-To-Market", Category.GTM),
    ],
)
def test_list_accepts_each_category_and_its_aliases(alias: str, category: Category) -> None:
    assert parse(f"list {alias}") == ListBenefits(category)


@pytest.mark.parametrize("category", list(Category))
def test_list_accepts_every_category_by_its_own_name(category: Category) -> None:
    assert parse(f"list {category.value}") == ListBenefits(category)


# -- bad input ---------------------------------------------------------------------


def refusal(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    rendered(caught.value)  # every refusal renders with its parameters
    return caught.value


@pytest.mark.parametrize("verb", ["frobnicate", "approve", "delete", "listing"])
def test_an_unknown_verb_is_refused_with_a_pointer_to_help(verb: str) -> None:
    error = refusal(f"{verb} vs-ent")

    assert error.params["verb"] == verb
    assert "/benefits help" in rendered(error)


def test_an_unknown_verb_is_echoed_back_short() -> None:
    error = refusal("x" * 500)

    assert len(error.params["verb"]) <= 40


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("withdraw", "withdraw"),
        ("withdraw the last one", "withdraw"),
        ("assign", "assign"),
        ("assign vs-ent", "assign"),
        (f"assign {JANE_ESCAPED}", "assign"),
        ("unassign", "unassign"),
        (f"unassign {JANE_BARE}", "unassign"),
        ("grant", "grant"),
        (f"grant {JANE_ESCAPED}", "grant"),
        ("grant global_admin", "grant"),
        ("revoke", "revoke"),
        (f"revoke {JANE_BARE}", "revoke"),
        ("adduser", "adduser"),
        (f"adduser {JANE_ESCAPED} and more", "adduser"),
        ("mine please", "mine"),
        ("my stuff", "mine"),
        ("roles all", "roles"),
        ("language nl en", "language"),
    ],
)
def test_missing_or_extra_arguments_are_refused_with_the_usage(text: str, command: str) -> None:
    error = refusal(text)

    assert error.params["usage"] == USAGE[command]
    assert USAGE[command] in rendered(error)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("assign vs-ent @jane", "assign"),
        ("unassign vs-ent @jane.doe", "unassign"),
        ("grant @jane global_admin", "grant"),
        ("revoke @jane-doe user_admin", "revoke"),
        ("adduser @jane", "adduser"),
        (f"assign vs-ent {JANE_ESCAPED} @bob", "assign"),
    ],
)
def test_a_raw_at_name_instead_of_an_escaped_mention_is_refused(text: str, command: str) -> None:
    error = refusal(text)

    assert error.params["usage"] == USAGE[command]
    assert "@ suggestions" in rendered(error)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        (f"assign vs-ent {JANE_ESCAPED} <@U999XYZ|bob>", "assign"),
        (f"unassign vs-ent {JANE_BARE} <@U999XYZ>", "unassign"),
        (f"grant {JANE_ESCAPED} <@U999XYZ> global_admin", "grant"),
        (f"revoke {JANE_ESCAPED} <@U999XYZ> global_admin", "revoke"),
        (f"adduser {JANE_ESCAPED} <@U999XYZ|bob>", "adduser"),
    ],
)
def test_two_mentions_are_refused_with_the_usage(text: str, command: str) -> None:
    assert refusal(text).params["usage"] == USAGE[command]


@pytest.mark.parametrize("role", ["superuser", "admin", "global", "global_admin_please"])
def test_an_unknown_role_is_refused_with_the_roles_there_are(role: str) -> None:
    error = refusal(f"grant {JANE_ESCAPED} {role}")

    choices = rendered(error)
    for known in Role:
        assert known.value in choices


@pytest.mark.parametrize("category", ["hardware", "visual studio", "softwares", "all"])
def test_an_unknown_category_is_refused_with_the_categories_there_are(category: str) -> None:
    error = refusal(f"list {category}")

    assert error.params["category"] == category
    for known in Category:
        assert known.value in error.params["choices"]


@pytest.mark.parametrize("length", [MAX_TEXT + 1, 10_000])
def test_an_over_long_command_is_refused_before_it_is_parsed(length: int) -> None:
    text = "request vs-ent " + "r" * (length - len("request vs-ent "))

    error = refusal(text)

    assert error.params == {"length": length, "limit": MAX_TEXT}


def test_a_command_of_exactly_the_limit_is_parsed() -> None:
    text = "request vs-ent " + "r" * (MAX_TEXT - len("request vs-ent "))

    assert parse(text) == RequestBenefit(text.removeprefix("request "), None)


@pytest.mark.parametrize(
    "text",
    [
        'request "Visual Studio Enterprise for the project',
        "request 'Azure credit demo",
        "request \u201cVisual Studio Enterprise",
        'request "',
    ],
)
def test_an_unclosed_quote_is_refused_with_the_usage(text: str) -> None:
    assert refusal(text).params["usage"] == USAGE["request"]


@pytest.mark.parametrize("separator", ["\n", "\t"])
def test_a_verb_followed_by_a_line_break_or_tab_is_still_recognised(separator: str) -> None:
    assert parse(f"request{separator}vs-ent for the project") == RequestBenefit(
        "vs-ent for the project", None
    )


# -- user ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (JANE, JANE),
        (f"  {JANE} ", JANE),
        (WORKSPACE_USER, WORKSPACE_USER),
        (JANE_ESCAPED, JANE),
        (JANE_BARE, JANE),
        (f" <@{WORKSPACE_USER}|ent user> ", WORKSPACE_USER),
    ],
)
def test_parse_user_id_accepts_ids_and_mentions(text: str, expected: str) -> None:
    assert parse_user_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "jane",
        "@jane",
        "u123abc",
        "U1",
        "X123ABC",
        "U123-ABC",
        "<@jane>",
        "<#C123ABC|general>",
        "<!channel>",
        f"{JANE_ESCAPED} extra",
        f"{JANE} {JANE}",
        "'; DROP TABLE roles; --",
    ],
)
def test_parse_user_id_rejects_anything_else(text: str) -> None:
    assert parse_user_id(text) is None
