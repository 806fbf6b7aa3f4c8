"""Running a benchmark's smoke version the way a developer would, from the repository root."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_quick(module: str, *extra: str, timeout: float = 180) -> list[str]:
    """``python -m <module> --quick [extra…]``: asserts it ended well; the lines it printed."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--quick", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "errors: 0" in result.stdout, output
    return result.stdout.splitlines()


def has_figure(lines: list[str], start: str, *parts: str) -> bool:
    """Whether a line starts with ``start`` and holds every one of ``parts``."""
    return any(line.startswith(start) and all(p in line for p in parts) for line in lines)
