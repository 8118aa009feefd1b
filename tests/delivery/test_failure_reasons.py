"""A broadcast's failures read in the coordinator's words, in their language: the engine stores
a stable reason code before Telegram's text (kept for the logs), the report and the
"who did not get it" list translate the code; what nobody recognises reads "other error"."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.broadcasts import ProgressView
from bot.delivery.failures import Reason, detail_of, failure, reason_of, unreachable
from bot.services.broadcasts import FailureLine, FailurePage
from bot.views import broadcasts as views
from bot.views.broadcasts_progress import progress_text
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import Broadcast, Membership, OutboxMessage, OutboxStatus, Person, Role, Team
from sandbox import Limits, UserSpec
from tests.conftest import T0
from tests.delivery.support import add_people, queue_notes, rows, sandbox_env
from tests.support.harness import BotHarness, deliver

WORDS = {
    "en": {
        "report": "Not delivered: 3",
        "blocked": "blocked the bot",
        "deactivated": "account deleted",
        "chat_not_found": "chat not found",
        "retries": "too many retries",
        "other": "other error",
        "button": "Who did not get it",
    },
    "id": {
        "report": "Tidak terkirim: 3",
        "blocked": "memblokir bot",
        "deactivated": "akunnya sudah dihapus",
        "chat_not_found": "chat tidak ditemukan",
        "retries": "terlalu banyak percobaan gagal",
        "other": "kesalahan lain",
        "button": "Siapa yang tidak menerima",
    },
}


def test_stored_failures_carry_a_code_and_keep_telegrams_words() -> None:
    blocked = failure("forbidden", "Forbidden: bot was blocked by the user")
    assert blocked == "forbidden.blocked: Forbidden: bot was blocked by the user"
    assert reason_of(blocked) == Reason.BLOCKED and reason_of(blocked).unreachable
    assert reason_of(failure("forbidden", "Forbidden: user is deactivated")) == Reason.DEACTIVATED
    kicked = failure("forbidden", "Forbidden: bot was kicked from the group chat")
    assert reason_of(kicked) == Reason.KICKED
    assert reason_of(failure("rejected", "Chat not found")) == Reason.CHAT_NOT_FOUND
    rejected = failure("rejected", "Can't parse entities: unsupported start tag")
    assert reason_of(rejected) == Reason.REJECTED and not reason_of(rejected).unreachable
    assert reason_of(failure("gave_up", "NetworkError: Bad Gateway")) == Reason.TOO_MANY_RETRIES
    assert detail_of(failure("gave_up", "NetworkError: Bad Gateway")) == "NetworkError: Bad Gateway"
    # Someone found unreachable earlier: the reason they were, not a nested prefix.
    assert unreachable(blocked) == blocked
    assert reason_of(unreachable(None)) == Reason.UNREACHABLE


@pytest.mark.parametrize(
    ("legacy", "reason"),
    [
        ("forbidden: Forbidden: bot was blocked by the user", Reason.BLOCKED),
        ("forbidden: Forbidden: user is deactivated", Reason.DEACTIVATED),
        ("forbidden: unreachable", Reason.UNREACHABLE),
        ("bad request: Chat not found", Reason.CHAT_NOT_FOUND),
        ("bad request: Message is too long", Reason.REJECTED),
        ("gave up: TimedOut: Timed out", Reason.TOO_MANY_RETRIES),
        ("no renderer for kind 'x.y'", Reason.INTERNAL),
        ("render error: KeyError('n')", Reason.INTERNAL),
        ("something nobody expected", Reason.OTHER),
        ("", Reason.OTHER),
        (None, Reason.OTHER),
    ],
)
def test_rows_from_before_the_codes_are_read_by_their_text(
    legacy: str | None, reason: Reason
) -> None:
    assert reason_of(legacy) == reason


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_reason_has_words_and_the_list_shows_them(lang: str) -> None:
    reader = Reader(I18n(lang), lang, "Asia/Jakarta", "IDR", T0)
    lines = [FailureLine(f"p{i}", r) for i, r in enumerate(Reason)]
    screen = views.failures_screen(reader, FailurePage(7, lines, 0, len(lines)))
    text = "\n".join(screen.text)
    assert "forbidden" not in text and "Forbidden" not in text and "_" not in text
    words = WORDS[lang]
    for i, key in ((0, "blocked"), (1, "deactivated"), (5, "chat_not_found"),
                   (6, "retries"), (9, "other")):
        assert f"• p{i}: {words[key]}\n" in text + "\n"
    # More failures than a page: the whole broadcast's count by reason under the title.
    page = FailurePage(7, lines[:2], 0, 300, [(Reason.BLOCKED, 290), (Reason.OTHER, 10)])
    summary = list(views.failures_screen(reader, page).text)[1]
    assert summary == f"{words['blocked']}: 290 · {words['other']}: 10"


@pytest.mark.parametrize(
    ("lang", "running", "finished"),
    [
        ("en", "Failed: 3\n", "finished: 5 of 10 delivered, 3 not delivered."),
        ("id", "Gagal: 3\n", "selesai: 5 dari 10 terkirim, 3 tidak terkirim."),
    ],
)
def test_progress_counts_each_failure_once(lang: str, running: str, finished: str) -> None:
    """3 failed, 2 of them blocked: 3 not delivered, not 5 (running) or "2 blocked" for
    what may be deleted accounts (finished; the report says why)."""
    reader = Reader(I18n(lang), lang, "Asia/Jakarta", "IDR", T0)
    view = ProgressView(1, 10, 20, lang, None, total=10, sent=5, failed=3, blocked=2,
                        skipped=0, remaining=2, eta_seconds=1, done=False, as_of=T0)
    assert running in progress_text(reader, view)
    done = ProgressView(1, 10, 20, lang, None, total=10, sent=5, failed=3, blocked=2,
                        skipped=2, remaining=0, eta_seconds=0, done=True, as_of=T0)
    assert progress_text(reader, done).endswith(finished)


async def test_giving_up_after_5xx_stores_too_many_retries(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    async with sandbox_env(sessionmaker, db_url, T0, Limits(enabled=False)) as env:
        people = await add_people(env, 1)
        env.sandbox.set_faults(error_5xx_rate=1.0)
        await queue_notes(env, people)
        dispatcher = env.dispatcher()
        for _ in range(6):
            await dispatcher.run_once()
            env.clock.advance(minutes=10)  # past every backoff
        (row,) = await rows(env)
        assert row.status == OutboxStatus.FAILED
        assert reason_of(row.last_error) == Reason.TOO_MANY_RETRIES
        assert row.last_error and row.last_error.startswith("too_many_retries: ")


async def _people(bot: BotHarness, lang: str) -> None:
    """The admin (in `lang`) and four volunteers: Ani blocked the bot, Budi deleted his
    account, Citra never had a chat with it, Dewi gets the message."""
    spec = {1: "admin", 2: "Ani", 3: "Budi", 5: "Citra", 7: "Dewi"}
    async with bot.db.begin() as session:
        team = Team(name="Jaksel", name_key="jaksel")
        session.add(team)
        await session.flush()
        for tid, name in spec.items():
            role = Role.ADMIN if tid == 1 else Role.VOLUNTEER
            person = Person(telegram_id=tid, first_name=name, role=role,
                            language=lang if tid == 1 else "en", memberships=[])
            session.add(person)
            await session.flush()
            session.add(Membership(person_id=person.id, team_id=team.id, is_lead=False))
            if name != "Citra":
                bot.sandbox.world.private_chat(UserSpec(tid, name))
    bot.sandbox.set_faults(blocked_user_ids={2}, deactivated_user_ids={3})


@pytest.mark.parametrize("lang", ["en", "id"])
async def test_the_report_and_the_list_say_why_in_the_coordinators_words(
    bot: BotHarness, lang: str
) -> None:
    await _people(bot, lang)
    words = WORDS[lang]
    admin = bot.user(1, language_code=lang)
    await admin.send_and_wait("/broadcast")
    await admin.send_and_wait("Rapat besok jam 9")
    everyone = "Everyone" if lang == "en" else "Semua orang"
    await admin.press(button=everyone, expect="edit")
    send_now = "✅ Send now" if lang == "en" else "✅ Kirim sekarang"
    await admin.press(button=send_now, expect="edit")
    await deliver(bot)
    assert [m.text for m in bot.sandbox.world.messages(7)] == ["Rapat besok jam 9"]
    title = "Report of broadcast" if lang == "en" else "Laporan siaran"
    report = await admin.next_message(predicate=lambda m: title in m.text)
    assert words["report"] in report.text
    for key in ("blocked", "deactivated", "chat_not_found"):
        assert f"• {words[key]}: 1" in report.text
    assert "Forbidden" not in report.text
    listing = await admin.press(report, words["button"], expect="message")
    assert listing.message is not None
    text = listing.message.text
    assert f"• Ani: {words['blocked']}" in text
    assert f"• Budi: {words['deactivated']}" in text
    assert f"• Citra: {words['chat_not_found']}" in text
    assert "Forbidden" not in text and "forbidden" not in text and "Bad Request" not in text
    # The database keeps the code and Telegram's own words for the logs.
    async with bot.db() as session:
        broadcast = (await session.scalars(select(Broadcast))).one()
        errors = set(
            await session.scalars(
                select(OutboxMessage.last_error).where(
                    OutboxMessage.broadcast_id == broadcast.id,
                    OutboxMessage.status == OutboxStatus.FAILED,
                )
            )
        )
    assert "forbidden.blocked: Forbidden: bot was blocked by the user" in errors
    assert "forbidden.deactivated: Forbidden: user is deactivated" in errors
    assert {reason_of(e) for e in errors} == {
        Reason.BLOCKED, Reason.DEACTIVATED, Reason.CHAT_NOT_FOUND
    }
