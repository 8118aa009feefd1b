"""Unit tests of the Telegram-HTML parser: visible text, UTF-16 offsets, and refusals."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.html import parse_html


def test_entities_and_utf16_offsets() -> None:
    parsed = parse_html("🙂 <b>Hadir</b> &#38; <tg-spoiler>rahasia</tg-spoiler>")
    assert parsed.text == "🙂 Hadir & rahasia"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 5},  # the emoji is 2 UTF-16 units
        {"type": "spoiler", "offset": 11, "length": 7},
    ]


def test_pre_code_language_blockquote_and_custom_emoji() -> None:
    parsed = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        '<span class="tg-spoiler">s</span><a href="tg://user?id=42">Ana</a>'
    )
    kinds = [(e["type"], e.get("language"), e.get("custom_emoji_id")) for e in parsed.entities]
    assert kinds == [
        ("pre", "python", None),
        ("expandable_blockquote", None, None),
        ("custom_emoji", None, "5368324170671202286"),
        ("spoiler", None, None),
        ("text_mention", None, None),
    ]
    assert parsed.text == "x = 1q👍sAna"


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("1 < 2", 'Unsupported start tag ""'),
        ("R&D", 'Character "&" must be escaped'),
        ("<br/>", 'Unsupported start tag "br"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("&hellip;", "Unsupported HTML entity"),
        ('<span class="x">y</span>', 'Unsupported start tag "span"'),
        ("<a href='x", "Unclosed start tag"),
        ("x <= y", 'Unsupported start tag ""'),
    ],
)
def test_refusals_name_the_problem(html: str, detail: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(html)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert detail in caught.value.description


def test_escaped_user_text_round_trips() -> None:
    import html

    nasty = '<script>alert("x") & co</script>'
    assert parse_html(f"<b>{html.escape(nasty)}</b>").text == nasty
