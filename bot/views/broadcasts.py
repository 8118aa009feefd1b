"""The broadcast composer on screen: its buttons (typed callback data), texts and keyboards.

Every screen of `/broadcast` is a `Screen` (text + keyboard) built from a use case's plain
result (`bot.services.broadcasts`); the handlers only send it.  How audiences are called
("A team…", "Team Jaksel", "All volunteers") lives here too (`AUDIENCE_LABELS`), and so
does the excerpt of a broadcast in lists.  The running broadcast's progress message, its
report and the outbox renderers are in `bot.views.broadcasts_progress`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time

from bot.services.broadcasts import (
    FAILURES_PAGE,
    AudienceOption,
    Confirmed,
    Draft,
    FailurePage,
    QuietOutlook,
    Reason,
    Summary,
)
from bot.views.callbacks import CallbackData, callback
from bot.views.i18n import Html
from bot.views.render import Button, Keyboard, Reader, to_plain, truncate

PREVIEW_TEXT_LIMIT = 3000  # the preview adds a header; the whole must fit 4096
CHOICE_LABEL_LIMIT = 40
EXCERPT_LIMIT = 60
# The catalog key of each audience kind's label; may use {name} for the chosen option.
# A kind with choices may have a "<key>_pick" label for its button ("A team…").
AUDIENCE_LABELS = {
    "all": "audience.all",
    "team": "audience.team",
    "role": "audience.role",
    "partners": "audience.partners",
    "media": "audience.media",
    "groups": "audience.groups",
    "event": "events.audience_event",
    "event_unconfirmed": "events.audience_unconfirmed",
    "skill": "skills.audience_label",
}


# ---- buttons -------------------------------------------------------------------------------
@callback("bck")
@dataclass(frozen=True, slots=True)
class PickKind(CallbackData):
    """An audience kind with choices: show them ("A team…")."""

    draft_id: int
    kind: str


@callback("bca")
@dataclass(frozen=True, slots=True)
class PickAudience(CallbackData):
    """The audience (kind and its option, if any): show the preview."""

    draft_id: int
    kind: str
    arg: str | None = None

    @property
    def key(self) -> str:
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"


@callback("bcb")
@dataclass(frozen=True, slots=True)
class BackToKinds(CallbackData):
    draft_id: int


@callback("bcg")
@dataclass(frozen=True, slots=True)
class SendNow(CallbackData):
    """Send now; first asks about recipients in their quiet hours, if any."""

    draft_id: int


@callback("bcn")
@dataclass(frozen=True, slots=True)
class SendAnyway(CallbackData):
    """Send now to everyone, quiet hours or not (the coordinator chose it)."""

    draft_id: int


@callback("bch")
@dataclass(frozen=True, slots=True)
class SendMorning(CallbackData):
    """Send now; those in their quiet hours get it when those end."""

    draft_id: int


@callback("bcs")
@dataclass(frozen=True, slots=True)
class Schedule(CallbackData):
    draft_id: int


@callback("bcx")
@dataclass(frozen=True, slots=True)
class CancelBroadcast(CallbackData):
    """Cancel a draft, stop a running broadcast or withdraw a scheduled one."""

    broadcast_id: int


@callback("bcf")
@dataclass(frozen=True, slots=True)
class Failures(CallbackData):
    """A page of the people a broadcast did not reach."""

    broadcast_id: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Screen:
    """One answer of the composer: HTML text (or lines to pack) and its keyboard."""

    text: str | Sequence[str]
    keyboard: Keyboard = ()


def _rows(buttons: Sequence[Button], per_row: int = 2) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


# ---- audiences -------------------------------------------------------------------------------
def audience_label_key(kind: str) -> str:
    return AUDIENCE_LABELS.get(kind, f"audience.{kind}")


def audience_label(reader: Reader, key: str | None, name: str, *, roles: bool = True) -> str:
    """'Team Jaksel', 'All volunteers' in the reader's words; '?' without an audience."""
    if key is None:
        return "?"
    kind = key.partition(":")[0]
    if roles and kind == "role" and reader.i18n.has(f"role.{name}"):
        name = reader.t(f"role.{name}")
    return reader.t(audience_label_key(kind), name=name)


def kind_label(reader: Reader, kind: str) -> str:
    # Kinds with choices have a "pick" label ("A team…"); others read as they are.
    label_key = audience_label_key(kind)
    if reader.i18n.has(f"{label_key}_pick"):
        return reader.t(f"{label_key}_pick")
    return reader.t(label_key, name="…")


def excerpt(summary: Summary, limit: int = EXCERPT_LIMIT) -> str:
    """The start of the broadcast as plain text (the one HTML-to-plain path)."""
    plain = to_plain(summary.text).replace("\n", " ").strip()
    return truncate(plain or f"[{summary.media_type}]", limit)


# ---- composing -------------------------------------------------------------------------------
def kinds_screen(reader: Reader, draft_id: int, options: Sequence[AudienceOption]) -> Screen:
    buttons = [
        Button(
            kind_label(reader, option.kind),
            PickKind(draft_id, option.kind).pack()
            if option.has_choices
            else PickAudience(draft_id, option.kind).pack(),
        )
        for option in options
    ]
    rows = _rows(buttons)
    rows.append([Button(reader.t("broadcast.button_cancel"), CancelBroadcast(draft_id).pack())])
    return Screen(reader.t("broadcast.choose_audience"), rows)


def _choice_data(draft_id: int, kind: str, arg: str) -> str | None:
    try:
        return PickAudience(draft_id, kind, arg).pack()
    except ValueError:  # over 64 bytes, or an option no button can carry
        return None


def choices_screen(
    reader: Reader, draft_id: int, kind: str, choices: Sequence[tuple[str, str]]
) -> Screen:
    buttons = []
    for arg, label in choices:
        data = _choice_data(draft_id, kind, arg)
        if data is not None:
            text = to_plain(audience_label(reader, f"{kind}:{arg}", label))
            buttons.append(Button(truncate(text, CHOICE_LABEL_LIMIT), data))
    rows = _rows(buttons)
    rows.append([Button(reader.t("broadcast.button_back"), BackToKinds(draft_id).pack())])
    key = "broadcast.choose_option" if buttons else "broadcast.no_options"
    return Screen(reader.t(key), rows)


def preview_text(reader: Reader, draft: Draft) -> str:
    # Too long to show whole: its start as plain text, escaped again by the catalog.
    body = Html(draft.text) if len(draft.text) <= PREVIEW_TEXT_LIMIT else truncate(
        to_plain(draft.text), PREVIEW_TEXT_LIMIT
    )
    media = reader.t(f"broadcast.media_{draft.media_type}") if draft.media_type else ""
    return reader.t(
        "broadcast.preview",
        text=body,
        media=media,
        audience=audience_label(reader, draft.audience, draft.audience_name),
        count=reader.number(draft.count),
    )


def preview_screen(reader: Reader, draft: Draft) -> Screen:
    back = Button(reader.t("broadcast.button_back"), BackToKinds(draft.id).pack())
    if draft.count == 0:
        return Screen(reader.t("broadcast.nobody"), [[back]])
    rows = [
        [
            Button(reader.t("broadcast.button_send"), SendNow(draft.id).pack()),
            Button(reader.t("broadcast.button_schedule"), Schedule(draft.id).pack()),
        ],
        [back, Button(reader.t("broadcast.button_cancel"), CancelBroadcast(draft.id).pack())],
    ]
    return Screen(preview_text(reader, draft), rows)


def quiet_choice_screen(
    reader: Reader, draft_id: int, outlook: QuietOutlook, start: time, end: time
) -> Screen:
    """Some recipients are in their quiet hours: say so, and let the coordinator choose."""
    assert outlook.until is not None
    text = reader.t(
        "broadcast.quiet_notice",
        held=reader.number(outlook.held),
        total=reader.number(outlook.total),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        until=reader.when(outlook.until),
    )
    rows = [
        [Button(reader.t("broadcast.button_send_anyway"), SendAnyway(draft_id).pack())],
        [
            Button(
                reader.t("broadcast.button_send_morning", time=end.strftime("%H:%M")),
                SendMorning(draft_id).pack(),
            ),
            Button(reader.t("broadcast.button_schedule"), Schedule(draft_id).pack()),
        ],
        [Button(reader.t("broadcast.button_cancel"), CancelBroadcast(draft_id).pack())],
    ]
    return Screen(text, rows)


def ask_when_text(reader: Reader) -> str:
    return reader.t("broadcast.ask_when")


def scheduled_screen(
    reader: Reader, confirmed: Confirmed, when: datetime, outlook: QuietOutlook
) -> Screen:
    text = reader.t(
        "broadcast.scheduled",
        id=confirmed.id,
        when=reader.when(when),
        count=reader.number(confirmed.total),
    )
    if outlook.held:
        text += "\n" + reader.t("broadcast.scheduled_quiet", held=reader.number(outlook.held))
    cancel = Button(reader.t("broadcast.button_cancel"), CancelBroadcast(confirmed.id).pack())
    return Screen(text, [[cancel]])


def started_screen(reader: Reader, confirmed: Confirmed) -> Screen:
    count = reader.number(confirmed.total)
    held = confirmed.held
    if held.count and held.until is not None:
        text = reader.t(
            "broadcast.started_held",
            id=confirmed.id,
            count=count,
            held=reader.number(held.count),
            until=reader.when(held.until),
        )
    else:
        text = reader.t("broadcast.started", id=confirmed.id, count=count)
    stop = Button(reader.t("broadcast.button_stop"), CancelBroadcast(confirmed.id).pack())
    return Screen(text, [[stop]])


def cancelled_text(reader: Reader, broadcast_id: int, withdrawn: int) -> str:
    return reader.t("broadcast.cancelled", id=broadcast_id, withdrawn=reader.number(withdrawn))


# ---- following up ----------------------------------------------------------------------------
def reason_text(reader: Reader, reason: Reason) -> str:
    """A failure's reason in the reader's words ("blocked the bot"), never Telegram's text."""
    return reader.t(f"broadcast.reason_{reason.key}")


def reasons_summary(reader: Reader, reasons: Sequence[tuple[Reason, int]]) -> str:
    """'blocked the bot: 3 · too many retries: 1'."""
    return " · ".join(
        reader.t("broadcast.reason_count", reason=reason_text(reader, r), n=reader.number(n))
        for r, n in reasons
    )


def failures_screen(reader: Reader, page: FailurePage) -> Screen:
    broadcast_id, offset = page.broadcast_id, page.offset
    if page.total == 0:
        return Screen(reader.t("broadcast.no_failures", id=broadcast_id))
    lines = [
        reader.t(
            "broadcast.failures_title",
            id=broadcast_id,
            first=offset + 1,
            last=offset + len(page.lines),
            total=page.total,
        )
    ]
    if page.total > len(page.lines) and page.reasons:  # more than one page: the whole of it
        lines.append(reasons_summary(reader, page.reasons))
    lines += [
        reader.t("broadcast.failure_line", name=line.name, reason=reason_text(reader, line.reason))
        for line in page.lines
    ]
    nav: list[Button] = []
    if offset > 0:
        nav.append(Button("◀", Failures(broadcast_id, max(0, offset - FAILURES_PAGE)).pack()))
    if offset + len(page.lines) < page.total:
        nav.append(Button("▶", Failures(broadcast_id, offset + len(page.lines)).pack()))
    return Screen(lines, [nav] if nav else ())


def _list_entry(reader: Reader, item: Summary) -> str:
    line = reader.t(
        "broadcast.list_line",
        id=item.id,
        when=reader.when(item.scheduled_at or item.created_at),
        status=reader.t(f"broadcast.status_{item.status.value}"),
        audience=audience_label(reader, item.audience, item.audience_name, roles=False),
        sent=reader.number(item.sent),
        failed=reader.number(item.failed),
        total=reader.number(item.total),
        excerpt=excerpt(item),
    )
    if item.held.count and item.held.until is not None:
        line += "\n" + reader.t(
            "broadcast.list_held",
            until=reader.when(item.held.until),
            n=reader.number(item.held.count),
        )
    return line


def recent_screen(reader: Reader, items: Sequence[Summary]) -> Screen:
    """/broadcasts: the latest ones with their counts, and buttons to follow them up."""
    if not items:
        return Screen(reader.t("broadcast.list_empty"))
    lines = [reader.t("broadcast.list_title")]
    buttons: list[Button] = []
    for item in items:
        lines.append(_list_entry(reader, item))
        if item.failed:
            label = reader.t("broadcast.button_failures_of", id=item.id)
            buttons.append(Button(label, Failures(item.id).pack()))
        if item.status.value in ("scheduled", "sending"):
            label = reader.t("broadcast.button_cancel_of", id=item.id)
            buttons.append(Button(label, CancelBroadcast(item.id).pack()))
    return Screen(lines, _rows(buttons))
