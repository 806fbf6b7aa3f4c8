"""Every place in the code that cites docs/rules.md finds what it cites there.

Comments cite a rule by anchor (``docs/rules.md#visual-studio-90-days``) or by
section title (``docs/rules.md, "Kinds of support and entitlement per level"``).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"
CITING = ("bot", "handlers", "storage", "tests", "bench")
ANCHOR = re.compile(r"rules\.md#([a-z0-9-]+)")
TITLE = re.compile(r'rules\.md, "([^"]+)"')


def anchors() -> set[str]:
    return set(re.findall(r'<a id="([a-z0-9-]+)"></a>', RULES.read_text()))


def headings() -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#+ (.+)$", RULES.read_text(), re.M)}


def citations(pattern: re.Pattern[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder in CITING:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for match in pattern.finditer(path.read_text()):
                found.setdefault(match.group(1), []).append(str(path.relative_to(ROOT)))
    return found


def test_every_cited_anchor_exists() -> None:
    missing = {a: where for a, where in citations(ANCHOR).items() if a not in anchors()}
    assert missing == {}


def test_every_cited_section_title_exists() -> None:
    missing = {t: where for t, where in citations(TITLE).items() if t not in headings()}
    assert missing == {}


def test_the_rules_cited_by_title_today_are_found() -> None:
    assert "Kinds of support and entitlement per level" in citations(TITLE)
    assert "Permission matrix" in headings()


def test_the_index_lists_every_rule_and_every_link_lands() -> None:
    text = RULES.read_text()
    links = set(re.findall(r"\]\(#([a-z0-9-]+)\)", text))
    index = text.split("<a id=", 1)[0]
    listed = set(re.findall(r"\]\(#([a-z0-9-]+)\)", index))
    assert links <= anchors()
    kinds = {"software", "cloud-services", "visual-studio", "technical-benefits"}
    assert anchors() - listed <= kinds | {"go-to-market-offers"}


def test_the_readme_links_the_rules() -> None:
    assert "(docs/rules.md)" in (ROOT / "README.md").read_text()
