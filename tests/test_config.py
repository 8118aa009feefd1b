"""Settings: defaults, parsing, and one clear line for every bad value."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings


def settings(**values: object):
    return load_settings(_env_file=None, **values)


def test_defaults_are_indonesian_campaign() -> None:
    s = settings()
    assert (s.timezone, s.default_language, s.currency) == ("Asia/Jakarta", "id", "IDR")
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.bot_token is None


def test_lists_and_urls_are_normalised() -> None:
    s = settings(admin_ids="12, 34;56", database_url="postgresql://u@h/db", currency="usd")
    assert s.admin_ids == [12, 34, 56]
    assert s.database_url == "postgresql+asyncpg://u@h/db"
    assert s.currency == "USD"


@pytest.mark.parametrize(
    ("values", "names"),
    [
        ({"bot_token": "your-token-here"}, "BOT_TOKEN"),
        ({"bot_token": "not a token"}, "BOT_TOKEN"),
        ({"timezone": "Asia/Atlantis"}, "TIMEZONE"),
        ({"admin_ids": "12,abc"}, "ADMIN_IDS"),
        ({"database_url": "mysql://x/y"}, "DATABASE_URL"),
        ({"currency": "XYZ1"}, "CURRENCY"),
        ({"default_language": "fr"}, "DEFAULT_LANGUAGE"),
        ({"quiet_hours_start": "25:00"}, "QUIET_HOURS_START"),
        ({"webhook_url": "https://x.example/hook"}, "WEBHOOK_SECRET"),
    ],
)
def test_bad_values_name_the_setting(values: dict[str, object], names: str) -> None:
    with pytest.raises(SettingsError) as err:
        settings(**values)
    assert names in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_reports_bad_setting_in_one_line(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env={"PATH": "/usr/bin:/bin", "TIMEZONE": "Nowhere/City", "HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "TIMEZONE" in result.stderr and "Traceback" not in result.stderr


def test_every_setting_is_documented_in_the_example_env() -> None:
    import re
    from pathlib import Path

    from bot.config import Settings

    example = (Path(__file__).parent.parent / "config.example.env").read_text()
    documented = set(re.findall(r"^([A-Z_]+)=", example, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}
