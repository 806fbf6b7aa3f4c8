"""scripts/start and scripts/test install only when the dependencies changed.

scripts/ensure-venv runs in a copy of the project whose ``.venv/bin/python`` is a stand-in
that records how it was called, so the tests need no network and touch no real venv.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAND_IN = """#!/usr/bin/env bash
[ "$*" = "-c " ] && exit 0
echo "$*" >>"$(dirname "$0")/../calls.log"
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "ensure-venv", tmp_path / "scripts" / "ensure-venv")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(STAND_IN)
    python.chmod(0o755)
    return tmp_path


def ensure(root: Path, spec: str) -> list[str]:
    """Run scripts/ensure-venv SPEC; return the pip commands it ran."""
    log = root / ".venv" / "calls.log"
    log.unlink(missing_ok=True)
    subprocess.run([root / "scripts" / "ensure-venv", spec], check=True, timeout=60)
    return log.read_text().splitlines() if log.exists() else []


def test_the_first_start_installs_and_the_next_starts_install_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert ensure(root, ".") == [
        "-m pip install --quiet --upgrade pip",
        "-m pip install --quiet -e .",
    ]
    assert ensure(root, ".") == []
    assert ensure(root, ".") == []


def test_a_changed_pyproject_installs_again(tmp_path: Path) -> None:
    root = project(tmp_path)
    ensure(root, ".")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a new dependency\n")
    assert ensure(root, ".")[-1] == "-m pip install --quiet -e ."
    assert ensure(root, ".") == []


def test_the_test_install_serves_a_start_but_not_the_other_way_round(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert ensure(root, ".")[-1] == "-m pip install --quiet -e ."
    assert ensure(root, ".[test]")[-1] == "-m pip install --quiet -e .[test]"
    assert ensure(root, ".") == []
    assert ensure(root, ".[test]") == []


def test_the_scripts_of_the_readme_use_it(tmp_path: Path) -> None:
    start = (ROOT / "scripts" / "start").read_text()
    test = (ROOT / "scripts" / "test").read_text()
    assert "scripts/ensure-venv .\n" in start
    assert "scripts/ensure-venv '.[test]'\n" in test
    assert "pip install" not in start + test
