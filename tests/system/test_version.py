"""`benefits-bot --version` names the version that is installed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import metadata, version
from pathlib import Path

import pytest

from bot.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_version_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert version("benefits-bot") == declared


def test_version_prints_the_program_and_its_installed_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"benefits-bot {version('benefits-bot')}\n"


def test_the_installed_command_answers_version_without_settings(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "benefits-bot"
    result = subprocess.run(
        [str(command), "--version"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"benefits-bot {version('benefits-bot')}\n"
    assert result.stderr == ""


def test_the_installed_package_is_mit_licensed_by_the_benefits_bot_authors() -> None:
    meta = metadata("benefits-bot")
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("License-File") == ["LICENSE"]
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n\nCopyright (c) 2026 The benefits bot authors\n")
