"""``benefits-bot digest --out report.png`` from the shell (docs/rules.md#weekly-digest)."""

from __future__ import annotations

from pathlib import Path

from bot.services.keys import KeyVault
from tests.system.test_cli import EXAMPLE, clean_env, run_cli


async def test_digest_prints_the_text_and_writes_the_chart(tmp_path: Path) -> None:
    env = clean_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}",
        BENEFITS_ENCRYPTION_KEY=KeyVault.generate_key(),
    )
    code, _, err = await run_cli("import", str(EXAMPLE), cwd=tmp_path, env=env)
    assert code == 0, err

    code, out, err = await run_cli("digest", "--out", "report.png", cwd=tmp_path, env=env)

    assert code == 0, err
    assert out.startswith("Weekly benefits digest, ")
    assert "Seats in use" in out
    assert "chart written to report.png" in err
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_digest_to_a_path_that_cant_be_written_says_so_in_one_line(tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    code, out, err = await run_cli(
        "digest", "--out", str(tmp_path / "missing" / "report.png"), cwd=tmp_path, env=env
    )

    assert code == 1
    assert out == ""
    assert err.strip().startswith("error: can't write the chart to ")
    assert len(err.strip().splitlines()) == 1
