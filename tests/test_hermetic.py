"""The suite is hermetic: the shell's settings, the machine's hour and zone change nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.clock import SystemClock
from bot.config import Settings
from tests.conftest import T0, settings_env_in, settings_env_names
from tests.support.harness import BotHarness

ROOT = Path(__file__).resolve().parent.parent
# What a developer's shell (or a `.env` where pytest starts) might hold.
SHELL = {
    "QUIET_HOURS_START": "00:00",
    "QUIET_HOURS_END": "23:59",
    "TIMEZONE": "Pacific/Kiritimati",
    "LOG_LEVEL": "DEBUG",
    "default_language": "en",  # Settings reads names case-insensitively
    "Send_Rate_Per_Second": "1",
    "ADMIN_IDS": "999",
}


def test_every_setting_name_is_cleared_and_the_tests_own_variables_stay() -> None:
    names = settings_env_names()
    assert {"quiet_hours_start", "quiet_hours_end", "timezone", "database_url"} <= names
    assert names >= {name.lower() for name in Settings.model_fields}
    env = {**SHELL, "TEST_DATABASE_URL": "postgresql+asyncpg://x/y", "CI": "true", "HOME": "/"}
    assert sorted(settings_env_in(env)) == sorted(SHELL)
    assert not settings_env_in(os.environ)  # this session already runs without them


async def test_harness_settings_come_from_the_test_alone(bot: BotHarness) -> None:
    """Run inside the subprocess below too, with the shell above in its environment."""
    defaults: dict[str, Any] = {
        name: info.get_default(call_default_factory=True)
        for name, info in Settings.model_fields.items()
    }
    for name in (n.lower() for n in SHELL):
        if name != "admin_ids":  # the harness's own admin, not the default empty list
            assert getattr(bot.settings, name) == defaults[name], name
    assert bot.settings.admin_ids == [1]
    assert not isinstance(bot.app.bot_data.clock, SystemClock)
    assert bot.clock.now() == T0 == bot.app.bot_data.clock.now()


def test_a_shell_full_of_settings_changes_no_outcome(tmp_path: Path) -> None:
    """A fresh pytest, started with those variables set and a `.env` where it starts."""
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in SHELL.items()))
    env = {**os.environ, **SHELL, "PYTHONDONTWRITEBYTECODE": "1"}
    target = f"{Path(__file__).resolve()}::test_harness_settings_come_from_the_test_alone"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
         "-c", str(ROOT / "pyproject.toml"), target],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
