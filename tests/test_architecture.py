"""The house keeps its shape (issue #12): no import circles, no import against the layer
direction, no presentation below the views, no module over 500 lines.

`python -m tests.support.architecture` prints the findings; complexity (≤ 15 per
function) is ruff's (`C90` in pyproject.toml), checked with the lint.
"""

from __future__ import annotations

from tests.support.architecture import report


def test_the_layers_hold() -> None:
    found = report()
    assert found.circles == [], found.circles
    assert found.wrong_way == [], found.wrong_way
    assert found.presentation_below_views == [], found.presentation_below_views
    assert found.too_long == [], found.too_long


def test_the_measure_sees_a_break() -> None:
    """The rules themselves: a service importing a view, delivery importing a service,
    anything but the entry points importing the app, the sandbox importing the product."""
    from tests.support.architecture import allowed

    assert allowed("handlers.shifts.lists", "bot.views.shifts")
    assert allowed("bot.views.shifts", "bot.services.shifts.claims")
    assert not allowed("bot.services.shifts.claims", "bot.views.shifts")
    assert not allowed("bot.delivery.dispatcher", "bot.services.people.members")
    assert not allowed("handlers.broadcast", "bot.app")
    assert allowed("bot.__main__", "bot.app")
    assert not allowed("sandbox.server", "bot.config")
    assert allowed("sandbox.standalone", "bot.app")
