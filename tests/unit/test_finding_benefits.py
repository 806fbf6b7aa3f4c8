"""Finding a benefit by id or name, telling it from a request's reason, and odd input.

Each test builds its state through the services (and, for the inventory and
the membership, the repository API) and checks what a person, the directory or
the audit log would see (docs/rules.md).
"""

from __future__ import annotations

import pytest

from bot.domain.limits import MAX_QUERY, MAX_REASON
from bot.domain.model import (
    Benefit,
    Category,
    InvalidInput,
    NoMatch,
)
from bot.runtime.container import Services
from storage.sqlite import SqliteStore
from tests.unit.conftest import (
    AZURE,
    BENEFITS,
    CO_SELL,
    M365,
    MEMBER,
    SUPPORT,
    VS_ENT,
    VS_PRO,
    AddBenefits,
    rendered,
    snapshot,
)

# -- finding a benefit --------------------------------------------------------------


@pytest.mark.parametrize("benefit", BENEFITS, ids=lambda b: b.id)
async def test_a_benefit_is_found_by_its_exact_id(services: Services, benefit: Benefit) -> None:
    assert await services.catalog.find_benefit(benefit.id) == benefit
    assert await services.catalog.find_benefit(f"  {benefit.id.upper()} ") == benefit


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Visual Studio E", VS_ENT),
        ("visual studio professional", VS_PRO),
        ("MICROSOFT", M365),
        ("azure  monthly", AZURE),
        ("isv", CO_SELL),
        ("product SUPPORT incidents", SUPPORT),
    ],
)
async def test_a_benefit_is_found_by_an_unambiguous_start_of_its_name_in_any_case(
    services: Services, query: str, expected: Benefit
) -> None:
    assert await services.catalog.find_benefit(query) == expected


@pytest.mark.parametrize("query", ["visual studio", "Visual", "vs-"])
async def test_an_ambiguous_start_lists_every_benefit_it_could_mean(
    services: Services, query: str
) -> None:
    with pytest.raises(NoMatch) as caught:
        await services.catalog.find_benefit(query)

    assert {b.id for b in caught.value.candidates} == {VS_ENT.id, VS_PRO.id}
    text = rendered(caught.value)
    assert VS_ENT.name in text
    assert VS_PRO.name in text


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("visul studio enterprise", VS_ENT),
        ("Microsfot 365 E3", M365),
        ("azure montly credit", AZURE),
        ("vs-entt", VS_ENT),
    ],
)
async def test_an_unknown_name_offers_the_closest_benefits(
    services: Services, typo: str, meant: Benefit
) -> None:
    with pytest.raises(NoMatch) as caught:
        await services.catalog.find_benefit(typo)

    assert meant in caught.value.candidates
    assert meant.name in rendered(caught.value)


async def test_a_name_far_from_every_benefit_offers_no_candidates(
    services: Services,
) -> None:
    with pytest.raises(NoMatch) as caught:
        await services.catalog.find_benefit("qqqq zzzz xxxx")

    assert caught.value.candidates == []
    assert caught.value.params["query"] == "qqqq zzzz xxxx"


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
async def test_an_empty_benefit_name_is_invalid_input(services: Services, query: str) -> None:
    with pytest.raises(InvalidInput):
        await services.catalog.find_benefit(query)


@pytest.mark.parametrize("length", [MAX_QUERY + 1, 10_000])
async def test_an_over_long_benefit_name_is_invalid_input(services: Services, length: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        await services.catalog.find_benefit("v" * length)

    assert caught.value.params == {"length": length, "limit": MAX_QUERY}


async def test_a_benefit_named_exactly_as_the_query_is_found_even_when_many_others_start_with_it(
    services: Services, add_benefits: AddBenefits
) -> None:
    exact = Benefit("gtm-azure", "Azure", Category.GTM)
    await add_benefits(
        exact,
        *(Benefit(f"az-{i}", f"Azure credit {i}", Category.CLOUD, seats=1) for i in range(6)),
    )

    assert await services.catalog.find_benefit("Azure") == exact


# -- telling the benefit from the reason ------------------------------------------------


async def test_a_request_takes_the_longest_leading_benefit_name_and_keeps_the_rest_as_reason(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(
        MEMBER, "visual studio enterprise for the new project", None
    )

    assert created.benefit == VS_ENT
    assert created.request.benefit_id == VS_ENT.id
    assert created.request.reason == "for the new project"


async def test_a_request_naming_a_benefit_by_id_keeps_the_rest_as_reason(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(
        MEMBER, "vs-pro professional needs, sorry", None
    )

    assert created.benefit == VS_PRO
    assert created.request.reason == "professional needs, sorry"


async def test_a_request_naming_only_the_benefit_has_an_empty_reason(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(MEMBER, "Microsoft 365 E3", None)

    assert created.benefit == M365
    assert created.request.reason == ""


async def test_an_explicit_reason_is_never_read_as_part_of_the_benefit_name(
    services: Services,
) -> None:
    created = await services.requests.request_benefit(
        MEMBER, "visual studio pro", "visual studio enterprise is too much"
    )

    assert created.benefit == VS_PRO
    assert created.request.reason == "visual studio enterprise is too much"


async def test_an_ambiguous_name_with_an_explicit_reason_is_refused(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await services.requests.request_benefit(MEMBER, "Visual Studio", "Enterprise please")

    assert {b.id for b in caught.value.candidates} == {VS_ENT.id, VS_PRO.id}
    assert await snapshot(store) == before


async def test_request_text_that_names_no_benefit_is_refused_with_candidates(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await services.requests.request_benefit(
            MEMBER, "visul studio enterprise for the project", None
        )

    assert VS_ENT in caught.value.candidates
    assert await snapshot(store) == before


async def test_a_reason_after_the_benefit_name_keeps_its_line_breaks(
    services: Services,
) -> None:
    reason = "for two clients:\n- Contoso\n- Fabrikam"

    created = await services.requests.request_benefit(MEMBER, f"vs-ent {reason}", None)

    assert created.request.reason == reason


# -- hostile and odd input ---------------------------------------------------------------


@pytest.mark.parametrize("explicit", [True, False], ids=["explicit", "split"])
async def test_a_10000_character_reason_is_refused_and_nothing_is_written(
    services: Services, store: SqliteStore, explicit: bool
) -> None:
    reason = ("word " * 2000).strip()
    before = await snapshot(store)

    attempt = (
        services.requests.request_benefit(MEMBER, VS_ENT.id, reason)
        if explicit
        else services.requests.request_benefit(MEMBER, f"{VS_ENT.id} {reason}", None)
    )

    with pytest.raises(InvalidInput) as caught:
        await attempt

    assert caught.value.params["limit"] == MAX_REASON
    assert caught.value.params["length"] == len(reason)
    assert await snapshot(store) == before


async def test_a_10000_character_request_text_is_refused_and_nothing_is_written(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(InvalidInput):
        await services.requests.request_benefit(MEMBER, "x" * 10_000, None)

    assert await snapshot(store) == before


ODD_REASONS = [
    "'; DROP TABLE benefits; --",
    "Robert'); DELETE FROM requests WHERE ('1'='1",
    "She said \"urgent\" and 'now' `code` *bold* _it_",
    "Für die Präsentation – ünïcödé 日本語 テスト ✓ 🚀",
    "<@U0001> <!channel> &amp; {placeholder} {0} %s",
    "r" * MAX_REASON,
]


@pytest.mark.parametrize("reason", ODD_REASONS)
async def test_an_odd_reason_is_stored_verbatim_and_touches_nothing_else(
    services: Services, store: SqliteStore, reason: str
) -> None:
    before = await snapshot(store)

    created = await services.requests.request_benefit(MEMBER, VS_ENT.id, reason)

    stored = await services.requests.decision(created.request.id)
    assert created.request.reason == stored.request.reason == reason
    after = await snapshot(store)
    assert after.rows == before.rows
    assert after.roles == before.roles
    assert len(after.audit) == len(before.audit) + 1


@pytest.mark.parametrize("reason", ODD_REASONS[:5])
async def test_an_odd_reason_after_the_benefit_name_is_stored_verbatim(
    services: Services, reason: str
) -> None:
    created = await services.requests.request_benefit(
        MEMBER, f"Visual Studio Enterprise {reason}", None
    )

    assert created.benefit == VS_ENT
    assert created.request.reason == reason


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE benefits; --",
        "vs-ent' OR '1'='1",
        "%",
        "_",
        "日本語のライセンス",
        '"Visual Studio Enterprise',
        "{benefit}",
    ],
)
async def test_an_odd_benefit_query_is_no_match_and_changes_nothing(
    services: Services, store: SqliteStore, query: str
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await services.requests.request_benefit(MEMBER, query, "because")

    assert caught.value.params["query"] == query
    assert query in rendered(caught.value)
    assert await snapshot(store) == before


async def test_a_long_link_in_the_reason_is_kept_and_the_shorter_name_is_taken(
    services: Services,
) -> None:
    link = "https://example.com/" + "a" * (MAX_QUERY - 10)

    created = await services.requests.request_benefit(MEMBER, f"vs-ent see {link}", None)

    assert created.benefit == VS_ENT
    assert created.request.reason == f"see {link}"


async def test_a_typo_followed_by_a_reason_offers_the_benefit_it_resembles(
    services: Services, store: SqliteStore
) -> None:
    before = await snapshot(store)

    with pytest.raises(NoMatch) as caught:
        await services.requests.request_benefit(MEMBER, "vs-entt for the new lab please", None)

    assert caught.value.candidates[0] == VS_ENT
    assert caught.value.params["query"] == "vs-entt"
    assert await snapshot(store) == before


async def test_an_inventory_too_big_to_score_inline_still_gets_its_closest_matches(
    services: Services, add_benefits: AddBenefits
) -> None:
    await add_benefits(
        *(Benefit(f"bulk-{i:05d}", f"Bulk benefit {i:05d}", Category.SOFTWARE) for i in range(3000))
    )

    with pytest.raises(NoMatch) as caught:
        await services.catalog.find_benefit("bulk-0x1234")

    assert caught.value.params["query"] == "bulk-0x1234"
    assert "bulk-01234" in {b.id for b in caught.value.candidates}
