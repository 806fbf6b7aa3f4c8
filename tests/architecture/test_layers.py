"""The layers of the code stay apart: import-linter checks pyproject.toml's contracts.

The contracts say which way imports may point (see README, "Layout"): the
domain knows nothing of services, storage or Slack; the services know no Slack,
listeners or database driver; the listeners reach storage only through the
services; storage knows nothing above it. import-linter runs in a separate
process because it finds the packages through the import system, and the tests
point that at a copy of the code when they need a broken one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage")
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"

# What each contract must forbid at least, so that loosening one is a failing test.
FORBIDDEN: dict[str, set[str]] = {
    "domain": {
        "bot.services",
        "storage",
        "bot.blocks",
        "bot.runtime",
        "bot.cli",
        "handlers",
        "slack_bolt",
        "slack_sdk",
        "aiosqlite",
        "asyncpg",
        "aiohttp",
    },
    "services": {
        "slack_bolt",
        "slack_sdk",
        "aiosqlite",
        "asyncpg",
        "aiohttp",
        "handlers",
        "bot.blocks",
        "bot.runtime",
        "bot.cli",
    },
    "handlers": {"storage", "aiosqlite", "asyncpg"},
    "handlers-drivers": {"aiosqlite", "asyncpg"},
    "storage": {"bot.services", "bot.blocks", "bot.runtime", "handlers", "slack_bolt", "slack_sdk"},
    "playground": {"bot.playground"},
}
# The one contract that checks only direct imports: a listener calls services,
# and services use storage's Repository protocol.
DIRECT_ONLY = {"handlers"}


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on ``project`` with its pyproject.toml, importing its packages."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def copy_of_the_code(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_every_layer_contract_is_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_forbid_what_the_layers_promise() -> None:
    found = contracts()
    assert set(found) == set(FORBIDDEN)
    for contract_id, forbidden in FORBIDDEN.items():
        contract = found[contract_id]
        assert contract["type"] == "forbidden"
        assert forbidden <= set(contract["forbidden_modules"]), contract_id
        direct_only = contract.get("allow_indirect_imports", False) in (True, "true", "True")
        assert direct_only == (contract_id in DIRECT_ONLY), contract_id


def add_import(project: Path, package: str, statement: str) -> str:
    """Append ``statement`` to the first module of ``package`` in the copy; its dotted name."""
    folder = project.joinpath(*package.split("."))
    module = min(p for p in folder.glob("*.py") if p.name != "__init__.py")
    module.write_text(module.read_text() + f"\n{statement}  # noqa: E402\n")
    return f"{package}.{module.stem}"


def test_a_services_module_importing_a_database_driver_breaks_the_check(tmp_path: Path) -> None:
    project = copy_of_the_code(tmp_path)
    module = add_import(project, "bot.services", "import aiosqlite")
    result = lint_imports(project)
    assert result.returncode != 0
    assert "bot.services is not allowed to import aiosqlite" in result.stdout
    assert f"{module} -> aiosqlite" in result.stdout


def test_a_domain_module_importing_slack_breaks_the_check(tmp_path: Path) -> None:
    project = copy_of_the_code(tmp_path)
    module = add_import(project, "bot.domain", "import slack_sdk")
    result = lint_imports(project)
    assert result.returncode != 0
    assert "bot.domain is not allowed to import slack_sdk" in result.stdout
    assert f"{module} -> slack_sdk" in result.stdout
