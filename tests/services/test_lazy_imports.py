"""Report and export libraries load on first use, not when the bot starts.

matplotlib and fpdf2 (/report), openpyxl (/import of an XLSX), segno (/qr), icalendar
(calendar files) and Pillow together are ~60 MiB resident; a bot that never makes a
report should not carry them.  Checked in a fresh interpreter (a clean `sys.modules`):
after `import bot.app`, and after the real bot started and answered `/help` and `/me`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("matplotlib", "fpdf", "openpyxl", "segno", "icalendar", "PIL", "numpy", "fontTools")

SCRIPT = r"""
import asyncio, sys, tempfile
HEAVY = {heavy!r}

def loaded():
    return sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))

import bot.app  # the whole bot, as it starts
print("import", loaded())

from tests.support.harness import start_harness

async def main():
    folder = tempfile.mkdtemp()
    async with start_harness(f"sqlite+aiosqlite:///{{folder}}/lazy.sqlite3") as bot:
        ani = bot.user(2, "Ani", "id")
        assert "/me" in (await ani.send_and_wait("/help")).text
        assert "Ani" in (await ani.send_and_wait("/me")).text
        assert "/invite" in (await bot.admin.send_and_wait("/help")).text
    print("running", loaded())

asyncio.run(main())
"""


def test_report_and_export_libraries_are_not_loaded_at_start() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY)], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[2], timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["import []", "running []"], done.stdout


START_SCRIPT = r"""
import sys, tempfile
from bot.ops.schema import prepare_in_child

url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/start.sqlite3"
print(prepare_in_child(url, upgrade=False)[0])  # no schema yet, no upgrade: refused
print(prepare_in_child(url, upgrade=True))  # AUTO_MIGRATE: upgraded and ready
print(sorted({m.split(".")[0] for m in sys.modules} & {"alembic", "mako", "pygments"}))
"""


def test_the_schema_step_at_start_leaves_alembic_out_of_the_bot_process() -> None:
    """`python -m bot run` upgrades and checks the schema in a child process: Alembic, Mako
    and Pygments (~12 MiB) would otherwise stay resident for the bot's whole life."""
    done = subprocess.run(
        [sys.executable, "-c", START_SCRIPT], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parents[2], timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["3", "(0, None)", "[]"], done.stdout
