"""One settings class for the whole bot, read from the environment and `.env`.

Built once in `__main__` and passed down (never at import time), so tests can
build their own.  A bad value stops start-up with one line naming the setting
(`SettingsError`), not a pydantic traceback.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.zones import is_known_zone

TOKEN_PATTERN = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,60}$")
PLACEHOLDER_TOKENS = {
    "",
    "changeme",
    "your-token-here",
    "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
}
SUPPORTED_LANGUAGES = ("id", "en")
SUPPORTED_DB_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


def _parse_id_list(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple):
        return [int(v) for v in value]
    ids: list[int] = []
    for part in str(value).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"-?\d{1,20}", part):
            raise ValueError(f"{part!r} is not a numeric Telegram id")
        ids.append(int(part))
    return ids


def _parse_clock(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{value!r} is not a time like 21:00")
    return time(int(match[1]), int(match[2]))


class Settings(BaseSettings):
    """Every knob of a Gotong deployment; `config.example.env` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///gotong.sqlite3"
    telegram_api_base_url: str | None = None
    telegram_file_base_url: str | None = None
    timezone: str = "Asia/Jakarta"
    default_language: Literal["id", "en"] = "id"
    currency: str = "IDR"
    # The campaign's name on the cover of /report pdf.
    campaign_name: str = Field(default="Gotong", min_length=1, max_length=120)
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    coordinators_chat_id: int | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Production: webhook concurrency, update dedup retention, leader re-check, drain on SIGTERM
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    update_retention_hours: int = Field(default=48, ge=1, le=24 * 30)
    leader_check_seconds: float = Field(default=2.0, ge=0.2, le=30)
    shutdown_timeout_seconds: float = Field(default=30.0, ge=1, le=600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False
    auto_migrate: bool = True

    # Delivery engine (outbox dispatcher)
    send_rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    paid_broadcast: bool = False
    paid_rate_per_second: float = Field(default=1000.0, gt=0, le=1000)
    dispatch_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_lease_seconds: int = Field(default=60, ge=10, le=3600)  # > 2 x LEASE_MARGIN
    quiet_hours_start: str = "21:00"
    quiet_hours_end: str = "07:00"

    # Reminders and claims
    shift_reminder_offsets_hours: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [24, 2]
    )
    event_reminder_offsets_hours: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [24, 2]
    )
    release_cutoff_hours: int = Field(default=12, ge=0, le=720)
    waitlist_hold_minutes: int = Field(default=120, ge=5, le=10080)
    confirmation_hours_before: int = Field(default=24, ge=1, le=720)
    confirmation_nudge_after_hours: int = Field(default=6, ge=1, le=168)
    daily_digest_time: str = "18:00"
    weekly_digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    weekly_digest_time: str = "08:00"

    # Staffing autopilot (teams switch it on with /autopilot)
    autopilot_hours_before: int = Field(default=48, ge=1, le=24 * 14)
    autopilot_wave_minutes: int = Field(default=120, ge=5, le=24 * 60)
    autopilot_wave_factor: int = Field(default=3, ge=1, le=20)
    autopilot_weekly_hours_limit: int = Field(default=20, ge=1, le=168)

    # Team group chats: "2 places left" posts for shifts starting within the window, and
    # the morning digest for the groups that want it (campaign timezone).
    group_places_left_hours: int = Field(default=36, ge=1, le=24 * 14)
    group_places_left_threshold: int = Field(default=2, ge=1, le=50)
    group_digest_time: str = "07:00"

    # The coordinator's Mini App (bot/web): its public https URL (menu button, "Plan in the
    # app" buttons; empty = no buttons, the pages are still served), and how old a Mini
    # App's initData may be before its requests are refused (401).
    webapp_url: str | None = None
    webapp_init_data_max_age_seconds: int = Field(default=86400, ge=60, le=7 * 86400)
    # Without a BOT_TOKEN: the sandbox's people and chats between runs (auto: next to the
    # SQLite database; off: nothing kept; else a file path). See sandbox/persist.py.
    sandbox_state: str = Field(default="auto", min_length=1)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> list[int]:
        return _parse_id_list(value)

    @field_validator("shift_reminder_offsets_hours", "event_reminder_offsets_hours", mode="before")
    @classmethod
    def _offsets(cls, value: object) -> list[int]:
        offsets = _parse_id_list(value)
        if any(h <= 0 or h > 24 * 30 for h in offsets):
            raise ValueError("offsets are hours before the start, between 1 and 720")
        return sorted(set(offsets), reverse=True)

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if value is None:
            return None
        raw = (value.get_secret_value() if isinstance(value, SecretStr) else str(value)).strip()
        if raw == "":
            return None
        if raw.lower() in PLACEHOLDER_TOKENS or "your" in raw.lower():
            raise ValueError("is still the placeholder; paste the token BotFather gave you")
        if not TOKEN_PATTERN.match(raw):
            raise ValueError("does not look like a BotFather token (digits:letters)")
        return raw

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        if not is_known_zone(value):
            raise ValueError(f"{value[:64]!r} is not a known IANA timezone (e.g. Asia/Jakarta)")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        from babel.numbers import get_currency_name

        code = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code) or get_currency_name(code, locale="en") == code:
            raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. IDR)")
        return code

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        url = value.strip()
        # Accept the plain scheme people copy from their provider, pick the async driver.
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                url = driver + url[len(plain) :]
        scheme = url.split("://", 1)[0]
        if scheme not in SUPPORTED_DB_SCHEMES:
            raise ValueError(f"scheme {scheme!r} is not supported; use sqlite or postgresql")
        return url

    @field_validator(
        "quiet_hours_start", "quiet_hours_end", "daily_digest_time", "weekly_digest_time",
        "group_digest_time",
    )
    @classmethod
    def _clock(cls, value: str) -> str:
        _parse_clock(value)
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^https?://", str(value)):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _webapp(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^https?://", str(value)):
            raise ValueError("must be an http(s) URL (Telegram opens only https ones)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        if self.webhook_secret and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", self.webhook_secret.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and - (1-256 chars)")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_hours(self) -> tuple[time, time]:
        return _parse_clock(self.quiet_hours_start), _parse_clock(self.quiet_hours_end)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def clock_setting(self, name: str) -> time:
        return _parse_clock(getattr(self, name))


def load_settings(**overrides: object) -> Settings:
    """Build settings or raise `SettingsError` with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())).upper() or "settings"
        message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None
