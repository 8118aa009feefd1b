"""Money as volunteers type it ("1,5jt", "Rp75.000,-", "250rb") and as the bot shows it.

Amounts are stored as integers in the currency's minor unit (CLDR precision via Babel: IDR has
2, so "1.500.000" is 150_000_000), never floats: reimbursements must add up to the rupiah.
Parsing is the risky direction: "1.500" is fifteen hundred in Indonesia and one and a half in
the US, and a misread suffix is off by a factor of a thousand, so every rule below refuses to
guess when the text could reasonably mean two different amounts.

Parsing rules:

* Separators: when both "." and "," occur, the last one is the decimal separator.  One kind
  occurring several times is grouping ("1.500.000", "1,500,000").  A *single* separator
  followed by exactly three digits is a thousands separator ("1.500" and "1,500" are 1500),
  otherwise it is decimal ("12.50", "12,50", "1,5").  Exceptions: after a lone "0"
  ("0.500"), or when the currency itself has three decimals and the separator is the
  locale's decimal symbol, it is decimal.  Spaces group digits ("1 500 000").
* Suffixes (any locale): "rb"/"ribu"/"k"/"thousand" 10^3; "jt"/"juta"/"mn"/"mio"/"million"
  10^6; "miliar"/"milyar"/"bn"/"billion" 10^9.  An upper-case "M" means miliar (10^9) only in
  the "id" locale, where that is the newspaper convention; a lower-case "m", or any "m" in
  other locales, is rejected as "ambiguous" (million to an English reader, miliar to an
  Indonesian one).
* The currency's own markers are ignored: its code and Babel symbols ("$", "US$"), and for
  IDR also "Rp", "Rp." and "rupiah"; another currency's marker makes the text unparseable.
  The Indonesian ",-" / ".-" ending means "no cents".
* Currencies without minor units in practice (IDR: no sen in circulation, CLDR 48 gives
  it 0 digits) take whole amounts only: "Rp12,50" is refused ("fraction") rather than
  stored as twelve and a half rupiah.  Storage keeps ISO 4217's exponent (see below).
* ``AmountParseError.reason`` is one of "empty", "unparseable", "ambiguous", "negative",
  "zero", "too_large", "too_precise", "fraction".
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from babel import Locale
from babel.numbers import (
    get_currency_symbol,
    get_decimal_symbol,
)

__all__ = [
    "AmountParseError",
    "AmountReason",
    "display_exponent",
    "format_money",
    "major_units",
    "parse_amount",
]

AmountReason = Literal[
    "empty", "unparseable", "ambiguous", "negative", "zero", "too_large", "too_precise",
    "fraction",
]


class AmountParseError(ValueError):
    """Text that is not a usable amount; ``reason`` picks the localized error message."""

    def __init__(self, reason: AmountReason, text: str = "") -> None:
        super().__init__(f"{reason}: {text!r}")
        self.reason: AmountReason = reason
        self.text = text


_MULTIPLIERS: Final[dict[str, int]] = {
    "k": 10**3, "rb": 10**3, "ribu": 10**3, "rebu": 10**3, "thousand": 10**3,
    "jt": 10**6, "juta": 10**6, "mn": 10**6, "mio": 10**6, "million": 10**6,
    "miliar": 10**9, "milyar": 10**9, "bn": 10**9, "billion": 10**9,
}  # fmt: skip

_SUFFIX_RE: Final = re.compile(
    r"\s*(?P<suffix>" + "|".join(sorted(_MULTIPLIERS, key=len, reverse=True)) + r"|m)$",
    re.IGNORECASE,
)
_NUMBER_RE: Final = re.compile(r"^\d[\d., ]*$")
_MINUS: Final = ("-", "\u2212", "\u2013")
_MAX_TEXT: Final = 64


def _currency_markers(currency: str, locale: str) -> list[str]:
    # Only this currency's markers: "Rp 12" in a USD campaign is a mistake, not twelve dollars.
    markers = {currency.lower()}
    if currency == "IDR":
        markers |= {"rp", "rupiah"}
    for loc in {locale, "en", "id"}:
        try:
            markers.add(get_currency_symbol(currency, loc).lower())
        except (ValueError, LookupError):  # unknown locale: its symbol is not needed
            continue
    # Longest first, so "us$" goes before "$".
    return sorted((m for m in markers if m), key=len, reverse=True)


def _strip_markers(s: str, markers: list[str]) -> str:
    """Remove currency markers from either end, keeping the case of what remains."""
    changed = True
    while changed and s:
        changed = False
        lowered = s.lower()
        for marker in markers:
            if lowered.startswith(marker):
                s = s[len(marker) :].strip()
                s = s[1:].strip() if s.startswith(".") else s  # "Rp. 75.000"
                changed = True
                break
            if lowered.endswith(marker):
                s, changed = s[: -len(marker)].strip(), True
                break
    return s


def _valid_groups(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def _to_decimal(number: str, *, currency_precision: int, locale_decimal: str) -> Decimal | None:
    """Read digits with separators per the module rules; ``None`` when they make no sense."""
    if " " in number:
        groups = number.split(" ")
        # "1 500 000" and "1 500 000,50": spaces group; a trailing decimal part may follow.
        tail = re.fullmatch(r"(\d{3})([.,]\d+)?", groups[-1])
        if tail is None or not all(re.fullmatch(r"\d+", g) for g in groups[:-1]):
            return None
        if not _valid_groups([*groups[:-1], tail.group(1)]):
            return None
        digits = "".join(groups[:-1]) + tail.group(1)
        fraction = (tail.group(2) or "")[1:]
        return Decimal(f"{digits}.{fraction or 0}")

    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        decimal_sep = "." if number.rfind(".") > number.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        integer, _, fraction = number.rpartition(decimal_sep)
        if decimal_sep in integer or not fraction:
            return None
        if not _valid_groups(integer.split(group_sep)):
            return None
        return Decimal(f"{integer.replace(group_sep, '')}.{fraction}")
    if not dots and not commas:
        return Decimal(number)
    sep = "." if dots else ","
    parts = number.split(sep)
    if len(parts) > 2:
        return Decimal("".join(parts)) if _valid_groups(parts) else None
    integer, fraction = parts
    if not integer or not fraction:
        return None
    is_thousands = (
        len(fraction) == 3
        and integer != "0"
        and len(integer) <= 3
        and not (currency_precision >= 3 and sep == locale_decimal)
    )
    if is_thousands:
        return Decimal(integer + fraction)
    return Decimal(f"{integer}.{fraction}")


# Minor units are stored in the database, so their exponent must never move.  ISO 4217
# fixes it; CLDR's "digits" (what Babel's get_currency_precision returns) is a display
# preference and does change: Babel 2.19 (CLDR 48) turned IDR from 2 digits to 0, which
# would have read every stored rupiah amount a hundredfold wrong.
_ISO4217_ZERO = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_ISO4217_THREE = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_ISO4217_FOUR = frozenset({"CLF", "UYW"})


def minor_unit_exponent(currency: str) -> int:
    """ISO 4217 minor-unit exponent: IDR 2, USD 2, JPY 0, KWD 3."""
    code = currency.upper()
    if code in _ISO4217_ZERO:
        return 0
    if code in _ISO4217_THREE:
        return 3
    if code in _ISO4217_FOUR:
        return 4
    return 2


# Currencies whose ISO 4217 exponent is 2 but which have no minor units in use: amounts are
# whole, typed and shown without decimals.  (CLDR 48 agrees for IDR; extend with care.)
_WHOLE_UNITS_ONLY = frozenset({"IDR"})


def display_exponent(currency: str) -> int:
    """Decimals people use for the currency: IDR 0 (no sen), USD 2, JPY 0, KWD 3."""
    code = currency.upper()
    return 0 if code in _WHOLE_UNITS_ONLY else minor_unit_exponent(code)


def major_units(minor: int, currency: str) -> str:
    """Stored minor units as a plain number in the currency's own digits, for exports:
    150000000 IDR → "1500000", 1250 USD → "12.50".  A legacy fraction of a whole-units
    currency keeps its decimals rather than being rounded away."""
    value = Decimal(minor).scaleb(-minor_unit_exponent(currency))
    digits = display_exponent(currency)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        digits = minor_unit_exponent(currency)
    return f"{value:.{digits}f}"


def parse_amount(  # noqa: C901 (a parser)
    text: str,
    *,
    currency: str = "IDR",
    locale: str = "id",
    max_major: int = 1_000_000_000_000,
) -> int:
    """Parse a typed amount into integer minor units of ``currency`` (see module rules).

    ``max_major`` caps the amount in major units (rupiah, dollars) to catch typos such as a
    phone number pasted into an amount field; above it the reason is "too_large".
    """
    currency = currency.upper()
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    s = re.sub(r"\s+", " ", s)
    if not s:
        raise AmountParseError("empty", text)
    if len(s) > _MAX_TEXT:
        raise AmountParseError("unparseable", text)

    negative = False
    markers = _currency_markers(currency, locale)
    for _ in range(2):  # both "-Rp5.000" and "Rp -5.000" occur
        if s.startswith(_MINUS):
            negative, s = True, s[1:].strip()
        s = _strip_markers(s, markers)
    s = re.sub(r"[.,]-$", "", s).strip()  # "Rp75.000,-": explicitly no cents

    multiplier = 1
    if match := _SUFFIX_RE.search(s):
        suffix = match.group("suffix")
        if suffix.lower() == "m":
            if suffix == "M" and locale.lower().startswith("id"):
                multiplier = 10**9
            else:
                raise AmountParseError("ambiguous", text)
        else:
            multiplier = _MULTIPLIERS[suffix.lower()]
        s = _strip_markers(s[: match.start()].strip(), markers)

    if not _NUMBER_RE.match(s) or s[-1] in ".,":
        raise AmountParseError("unparseable", text)
    precision = minor_unit_exponent(currency)
    try:
        value = _to_decimal(
            s,
            currency_precision=precision,
            locale_decimal=get_decimal_symbol(locale),
        )
    except (InvalidOperation, ValueError) as exc:
        raise AmountParseError("unparseable", text) from exc
    if value is None:
        raise AmountParseError("unparseable", text)

    value *= multiplier
    if negative and value != 0:
        raise AmountParseError("negative", text)
    if value == 0:
        raise AmountParseError("zero", text)
    if value > max_major:
        raise AmountParseError("too_large", text)
    if display_exponent(currency) == 0 and precision > 0 and value != value.to_integral_value():
        raise AmountParseError("fraction", text)
    minor = value.scaleb(precision)
    if minor != minor.to_integral_value():
        raise AmountParseError("too_precise", text)
    return int(minor)


def format_money(minor: int, currency: str = "IDR", locale: str = "id") -> str:
    """Format integer minor units with Babel: id/IDR "Rp1.500.000", en/USD "$12.50".

    Decimals appear only when the minor part is non-zero ("Rp1.500.000" but "Rp1.500.000,50"),
    because rupiah amounts almost never have cents and ",00" reads like noise.  Babel's "en"
    symbol for IDR is the code "IDR"; Babel does not apply CLDR's currency spacing, so we add a
    no-break space after a letter-only code ("IDR\u00a01,500,000") that would otherwise run into
    the digits.  Native symbols keep Babel's layout ("Rp1.500.000", as Indonesians write it).
    """
    currency = currency.upper()
    precision = minor_unit_exponent(currency)
    value = Decimal(minor).scaleb(-precision)
    digits = precision if minor % 10**precision else 0
    # A copy of the locale's own currency pattern with the fraction length set here, so only
    # the decimals change; Babel deprecated its force_frac argument for exactly this use.
    pattern = copy.copy(Locale.parse(locale).currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    text = pattern.apply(value, locale, currency=currency, currency_digits=False)
    symbol = get_currency_symbol(currency, locale)
    if symbol.isalpha() and symbol.isupper() and len(symbol) == 3:
        text = re.sub(rf"{re.escape(symbol)}(?=\d)", f"{symbol}\u00a0", text)
    return text
