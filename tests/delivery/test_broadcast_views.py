"""The composer's screens from plain results: typed buttons that round-trip and fit 64
bytes, audience labels in the reader's words, excerpts through the one HTML-to-plain path."""

from __future__ import annotations

from bot.services.broadcasts import AudienceOption, Draft, Summary
from bot.views import broadcasts as views
from bot.views.callbacks import CALLBACK_DATA_LIMIT, unpack
from bot.views.i18n import I18n
from bot.views.render import Reader
from models import BroadcastStatus
from tests.conftest import T0

READER = Reader(I18n("en"), "en", "Asia/Jakarta", "IDR", T0)
BIG = 10**17  # an id as long as a callback field may be


def test_every_composer_button_round_trips_within_telegrams_limit() -> None:
    buttons = [
        views.PickKind(BIG, "event_unconfirmed"),
        views.PickAudience(BIG, "event_unconfirmed", str(BIG)),
        views.PickAudience(BIG, "all"),
        views.BackToKinds(BIG),
        views.SendNow(BIG),
        views.SendAnyway(BIG),
        views.SendMorning(BIG),
        views.Schedule(BIG),
        views.CancelBroadcast(BIG),
        views.Failures(BIG, 40),
    ]
    for button in buttons:
        data = button.pack()
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert type(button).parse(data) == button
    assert views.PickAudience(1, "team", "7").key == "team:7"
    assert views.PickAudience(1, "all").key == "all"
    # The buttons of before the typed data parse as nothing: they are stale.
    assert unpack("bc:go:1", *(type(b) for b in buttons)) is None


def test_kinds_choices_and_preview_read_in_the_readers_words() -> None:
    kinds = views.kinds_screen(
        READER, 3, [AudienceOption("all", False), AudienceOption("team", True)]
    )
    labels = [b.text for row in kinds.keyboard for b in row]
    assert labels == ["Everyone", "A team…", "✖ Cancel"]
    choices = views.choices_screen(READER, 3, "role", [("volunteer", "volunteer"), ("x:y", "?")])
    assert [b.text for b in choices.keyboard[0]] == ["All volunteers"]  # "x:y" fits no button
    draft = Draft(3, BroadcastStatus.DRAFT, "Rapat &amp; air", None, "team:7", "Jaksel", 4)
    preview = views.preview_screen(READER, draft)
    assert "Team Jaksel" in str(preview.text) and "Recipients: <b>4</b>" in str(preview.text)
    nobody = views.preview_screen(READER, Draft(3, BroadcastStatus.DRAFT, "x", None, "all", "", 0))
    assert "Nobody matches" in str(nobody.text)


def test_an_excerpt_is_plain_text_of_the_start() -> None:
    summary = Summary(
        1, BroadcastStatus.DONE, "all", "", 2, 2, 0, 0, T0, None,
        "<b>Rapat</b> &amp; air\n" + "x" * 100, None,
    )
    assert views.excerpt(summary) == ("Rapat & air " + "x" * 100)[:59] + "…"
    media = Summary(1, BroadcastStatus.DONE, "all", "", 2, 2, 0, 0, T0, None, "", "photo")
    assert views.excerpt(media) == "[photo]"
