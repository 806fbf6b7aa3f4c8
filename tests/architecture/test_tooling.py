"""The pre-commit hooks are valid and run the project's own tools, with nothing to download."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".pre-commit-config.yaml"


def test_pre_commit_accepts_the_hook_configuration() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(CONFIG)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hooks_are_ruff_ruff_format_and_mypy_from_the_projects_venv() -> None:
    config: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    assert [uow["repo"] for uow in config["repos"]] == ["local"]
    hooks = config["repos"][0]["hooks"]
    assert [hook["id"] for hook in hooks] == ["ruff", "ruff-format", "mypy"]
    for hook in hooks:
        assert hook["language"] == "system"
        tool = hook["entry"].split()[0]
        assert tool.startswith(".venv/bin/"), tool
        assert (ROOT / tool).exists(), tool
