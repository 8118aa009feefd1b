"""Pin how typed amounts are read and how money is shown (bot.money)."""

from __future__ import annotations

import random

import pytest

from bot.money import AmountParseError, format_money, parse_amount

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("text", "expected_major"),
    [
        ("1.500.000", "1500000"),
        ("1,5jt", "1500000"),
        ("1.5 jt", "1500000"),
        ("1,5 juta", "1500000"),
        ("2jt", "2000000"),
        ("2 juta", "2000000"),
        ("250rb", "250000"),
        ("250 ribu", "250000"),
        ("250k", "250000"),
        ("250K", "250000"),
        ("1 miliar", "1000000000"),
        ("1 milyar", "1000000000"),
        ("2M", "2000000000"),
        ("1,5M", "1500000000"),
        ("3 mn", "3000000"),
        ("Rp 75.000", "75000"),
        ("Rp75.000", "75000"),
        ("rp. 75.000", "75000"),
        ("Rp75.000,-", "75000"),
        ("IDR 75000", "75000"),
        ("75000 IDR", "75000"),
        ("75rb rupiah", "75000"),
        ("1.500", "1500"),
        ("1,500", "1500"),
        ("1 500 000", "1500000"),
        (f"Rp{NBSP}1.500.000", "1500000"),
    ],
)
def test_parse_amount_idr(text: str, expected_major: str) -> None:
    # IDR has two decimals in CLDR/ISO 4217, so minor units are major * 100.
    from decimal import Decimal

    assert parse_amount(text) == int(Decimal(expected_major) * 100)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.50", 1250), ("$12.50", 1250), ("US$ 12.50", 1250), ("USD 12.5", 1250),
     ("1,234.56", 123456), ("$1,000", 100000), ("2 million", 200_000_000)],
)  # fmt: skip
def test_parse_amount_usd_en(text: str, expected: int) -> None:
    assert parse_amount(text, currency="USD", locale="en") == expected


def test_single_separator_before_three_digits_is_grouping_in_every_locale() -> None:
    assert parse_amount("12.345", currency="USD", locale="en") == 1_234_500
    assert parse_amount("12,345", currency="USD", locale="en") == 1_234_500


def test_zero_decimal_and_three_decimal_currencies() -> None:
    assert parse_amount("1.500", currency="JPY", locale="en") == 1500
    with pytest.raises(AmountParseError) as info:
        parse_amount("12.5", currency="JPY", locale="en")
    assert info.value.reason == "too_precise"
    # KWD has three decimals: the locale's decimal point before three digits is decimal.
    assert parse_amount("1.500", currency="KWD", locale="en") == 1500
    assert parse_amount("1,500", currency="KWD", locale="en") == 1_500_000


@pytest.mark.parametrize(
    ("text", "reason", "kwargs"),
    [
        ("", "empty", {}),
        ("   ", "empty", {}),
        ("abc", "unparseable", {}),
        ("1.2.3", "unparseable", {}),
        ("1.50.000", "unparseable", {}),
        ("12.", "unparseable", {}),
        ("Rp", "unparseable", {}),
        ("-5000", "negative", {}),
        ("Rp -5.000", "negative", {}),
        ("-Rp5.000", "negative", {}),
        ("0", "zero", {}),
        ("Rp0", "zero", {}),
        ("0,00", "zero", {}),
        ("2000000000000", "too_large", {}),
        ("2000 miliar", "too_large", {}),
        ("Rp 2.000.000", "too_large", {"max_major": 1_000_000}),
        # Rupiah have no cents in use: a fraction is refused, not stored (issue #17).
        ("Rp75.000,505", "fraction", {}),
        ("Rp75.000,50", "fraction", {}),
        ("12,50", "fraction", {}),
        ("1,5", "fraction", {}),
        ("0.500", "fraction", {}),
        ("1.500.000,50", "fraction", {}),
        ("12.3456", "too_precise", {"currency": "USD", "locale": "en"}),
        ("Rp 12", "unparseable", {"currency": "USD", "locale": "en"}),
        ("2m", "ambiguous", {}),
        ("2M", "ambiguous", {"locale": "en"}),
        ("2m", "ambiguous", {"currency": "USD", "locale": "en"}),
    ],
)
def test_parse_amount_rejects(text: str, reason: str, kwargs: dict[str, object]) -> None:
    with pytest.raises(AmountParseError) as info:
        parse_amount(text, **kwargs)  # type: ignore[arg-type]
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "expected"),
    [
        (150_000_000, "IDR", "id", "Rp1.500.000"),
        (150_000_050, "IDR", "id", "Rp1.500.000,50"),
        (7_500_000, "IDR", "id", "Rp75.000"),
        (5, "IDR", "id", "Rp0,05"),
        (-150_000_000, "IDR", "id", "-Rp1.500.000"),
        (150_000_000, "IDR", "en", f"IDR{NBSP}1,500,000"),
        (150_000_050, "IDR", "en", f"IDR{NBSP}1,500,000.50"),
        (1250, "USD", "en", "$12.50"),
        (1200, "USD", "en", "$12"),
        (-1250, "USD", "en", "-$12.50"),
        (1250, "USD", "id", "US$12,50"),
        (1500, "JPY", "en", "¥1,500"),
    ],
)
def test_format_money(minor: int, currency: str, locale: str, expected: str) -> None:
    assert format_money(minor, currency, locale) == expected


@pytest.mark.parametrize("locale", ["id", "en"])
@pytest.mark.parametrize("currency", ["IDR", "USD"])
def test_round_trip(locale: str, currency: str) -> None:
    rng = random.Random(f"{locale}-{currency}")
    values = [1, 5, 99, 100, 150, 1000, 1050, 100_000, 123_456, 150_000_000, 150_000_050]
    values += [10**n for n in range(1, 15)]
    values += [rng.randrange(1, 10**14) for _ in range(300)]
    values += [rng.randrange(1, 1000) * 10 ** rng.randrange(0, 11) for _ in range(200)]
    if currency == "IDR":  # whole rupiah only: the bot never stores sen any more
        values = [v * 100 for v in values if v * 100 <= 10**14]
    for minor in values:
        shown = format_money(minor, currency, locale)
        assert parse_amount(shown, currency=currency, locale=locale) == minor, shown


def test_minor_units_follow_iso_4217_not_cldr_display_digits() -> None:
    """Stored amounts must not change meaning with a Babel upgrade (2.19 gave IDR 0 digits)."""
    from bot.money import minor_unit_exponent

    assert [minor_unit_exponent(c) for c in ("IDR", "usd", "JPY", "KWD", "CLF")] == [2, 2, 0, 3, 4]
    assert parse_amount("Rp 1.500.000", currency="IDR", locale="id") == 150_000_000
