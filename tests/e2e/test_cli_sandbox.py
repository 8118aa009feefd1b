"""The README's run command with no token: sandbox + bot + terminal chat, as a newcomer uses it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SCRIPT_ADMIN = "/start\n!2\n/team create Jaksel\n/invite\n!1\n!1\n"


def run_bot(script: str, workdir: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'demo.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No BOT_TOKEN set" in result.stderr
    return result.stdout


def test_newcomer_demo_invite_and_join_in_indonesian(tmp_path: Path) -> None:
    first = run_bot(SCRIPT_ADMIN, tmp_path)
    link = re.search(r"start=(inv_[\w-]+)", first)
    assert link, first[-3000:]
    second = run_bot(
        f"/as 2 Budi id\n/start {link.group(1)}\n!1\n/help\n/as 1\n/help\n",
        tmp_path,
    )
    assert "Kamu bergabung dengan tim Jaksel sebagai relawan" in second
    assert "Yang bisa kamu lakukan (sebagai relawan)" in second
    volunteer_part, admin_help = second.split("What you can do", 1)
    volunteer_help = volunteer_part.split("Yang bisa kamu lakukan", 1)[1]
    assert "/invite" not in volunteer_help and "/me" in volunteer_help
    assert "/invite" in admin_help and "/promote" in admin_help
