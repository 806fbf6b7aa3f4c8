"""What the benchmarks print their figures with: percentiles, milliseconds, verdicts."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from bench.ack.run import out


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of at least one sample."""
    ordered = sorted(samples)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def finish(errors: Sequence[str]) -> int:
    """Print the machine's load and the errors (the first ten); the exit code: 1 if any."""
    out(f"load average {os.getloadavg()[0]:.2f} at the end (other work on the machine skews runs)")
    out(f"errors: {len(errors)}")
    for line in errors[:10]:
        out(f"  {line}")
    return 1 if errors else 0
