"""A contact's deal: its value in the rep's currency, the month it is expected to close, the chance each
status gives it, and the pipeline and forecast /stats shows.

Money is integer minor units of an ISO 4217 currency (cents for EUR, whole forints for HUF, as Babel's
currency data says), never a float. A typed amount is read leniently ("12 000", "12k", "12,5k €",
"€12,000.50"); what cannot be read is refused with why, and the caller keeps what the rep had.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_territory_currencies,
    list_currencies,
)

from bot.scoring import Status

# The chance that a contact of each status buys, as a share of its value: the weighted value and the
# forecast. A customer's or repeat buyer's deal is won (1), a lost one counts nothing. Data, in one place.
WIN_CHANCE: dict[Status, Decimal] = {
    Status.LEAD: Decimal("0.10"),
    Status.PROSPECT: Decimal("0.30"),
    Status.CUSTOMER: Decimal("1"),
    Status.REPEAT_BUYER: Decimal("1"),
    Status.LOST: Decimal("0"),
}

# A rep with no country in their zone nor their language: the bot's languages are European.
FALLBACK_CURRENCY = "EUR"
# The currencies /settings offers for deal values: the bot's five countries' and their neighbours'.
OFFERED_CURRENCIES = ("EUR", "NOK", "SEK", "DKK", "HUF", "GBP", "USD", "CHF", "PLN")
# The largest value a deal may have, in major units: beyond it a typo is likelier than a deal.
VALUE_MAX = Decimal(10) ** 12
# How many months ahead the close-month question offers (this month included): a year, the longest
# timeline the capture asks about.
CLOSE_MONTHS_OFFERED = 12

_MULTIPLIERS = {
    "k": 1000, "t": 1000, "tuhat": 1000, "tusen": 1000, "ezer": 1000, "e": 1000, "mille": 1000,
    "m": 1_000_000, "mn": 1_000_000, "mio": 1_000_000, "milj": 1_000_000, "mill": 1_000_000,
    "million": 1_000_000, "millió": 1_000_000, "millio": 1_000_000, "miljoona": 1_000_000,
    "millioner": 1_000_000, "millions": 1_000_000,
}  # fmt: skip
# Symbols and words people write beside an amount, and the currencies they may mean.
_SYMBOLS = {
    "€": {"EUR"}, "eur": {"EUR"}, "euro": {"EUR"}, "euroa": {"EUR"}, "euros": {"EUR"},
    "$": {"USD", "CAD", "AUD"}, "£": {"GBP"}, "ft": {"HUF"}, "forint": {"HUF"},
    "kr": {"NOK", "SEK", "DKK", "ISK"}, ",-": set(),  # "12 000,-": no currency named
}  # fmt: skip
_GROUPING = re.compile(r"[\s\u00a0\u202f'’_]")
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)*)([.,]\d*)?$")


class AmountProblem(StrEnum):
    """Why a typed amount was not taken; a message id suffix (`deal.invalid.<problem>`)."""

    NOT_AMOUNT = "not_amount"
    NOT_POSITIVE = "not_positive"  # "-5", "0": a deal is worth something
    TOO_BIG = "too_big"
    OTHER_CURRENCY = "other_currency"


class AmountRefused(ValueError):
    def __init__(self, problem: AmountProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def default_currency(region: str | None) -> str:
    """The currency of the rep's country (bot.phones.region_for their zone and language): EUR for
    Finland and France, NOK for Norway, HUF for Hungary; EUR when no country is known."""
    if region:
        currencies = get_territory_currencies(region)
        if currencies:
            return str(currencies[0])
    return FALLBACK_CURRENCY


def known_currency(code: str) -> bool:
    return code.upper() in list_currencies()


# The decimals a value keeps in its minor units, fixed here rather than read from Babel's data at run time:
# the stored integers mean the same whatever Babel is installed (CLDR gave the forint two decimals until
# Babel 2.19 and none since, which would read a stored 12000 Ft as 120 Ft). The currencies /settings offers,
# and the ISO 4217 exceptions a rep's import may name; any other takes Babel's (two for nearly all).
MINOR_DIGITS = {
    "EUR": 2, "NOK": 2, "SEK": 2, "DKK": 2, "GBP": 2, "USD": 2, "CHF": 2, "PLN": 2,
    "HUF": 0,  # no fillér in use: 12 000 Ft is 12000
    "ISK": 0, "JPY": 0, "KRW": 0, "CLP": 0, "VND": 0,
    "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3,
}  # fmt: skip


def digits(currency: str) -> int:
    known = MINOR_DIGITS.get(currency.upper())
    return known if known is not None else int(get_currency_precision(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    """12.5 EUR -> 1250; an amount with more decimals than the currency has is rounded."""
    return int((amount * (Decimal(10) ** digits(currency))).quantize(Decimal(1)))


def to_major(minor: int, currency: str) -> Decimal:
    """1250 EUR cents -> Decimal("12.50"), with the currency's decimals."""
    places = digits(currency)
    return (Decimal(minor) / (Decimal(10) ** places)).quantize(Decimal(1).scaleb(-places))


def parse_amount(text: str, currency: str) -> int:
    """The value a rep typed, in minor units of `currency`, or AmountRefused.

    Spaces, apostrophes and thin spaces group digits; with both "." and "," the last one is the decimal
    mark; a lone mark followed by exactly three digits groups them ("12,000", "12.000") unless a
    multiplier follows ("12,5k"); k, m and their words in the five languages multiply; a currency symbol
    or code is allowed when it is the rep's own.
    """
    words = text.strip().lower()
    if not words:
        raise AmountRefused(AmountProblem.NOT_AMOUNT)
    named: set[str] = set()
    for symbol in sorted(_SYMBOLS, key=len, reverse=True):
        pattern = rf"(?<![a-zà-ÿ]){symbol}(?![a-zà-ÿ])" if symbol.isalpha() else re.escape(symbol)
        if re.search(pattern, words):
            named |= _SYMBOLS[symbol] or {currency}
            words = re.sub(pattern, " ", words)
    for code in re.findall(r"(?<![a-z])[a-z]{3}(?![a-z])", words):
        if code.upper() in list_currencies():
            named.add(code.upper())
            words = re.sub(rf"(?<![a-z]){code}(?![a-z])", " ", words)
    if named and currency not in named:
        raise AmountRefused(AmountProblem.OTHER_CURRENCY)
    negative = re.match(r"\s*[-−–]\s*(?=\d)", words)
    if negative:
        words = words[negative.end() :]
    match = re.fullmatch(r"\s*([\d\s\u00a0\u202f'’_.,]*\d[.,]?)\s*([a-zà-ÿ]*)\.?\s*", words)
    if match is None:
        raise AmountRefused(AmountProblem.NOT_AMOUNT)
    number, suffix = _GROUPING.sub("", match.group(1)), match.group(2)
    if suffix == "e" and currency == "EUR":
        # "500 e" is 500 euros in Finland; the Hungarian "e" (ezer, a thousand) is for forints.
        suffix = ""
    if suffix and suffix not in _MULTIPLIERS:
        raise AmountRefused(AmountProblem.NOT_AMOUNT)
    amount = _read_number(number, multiplied=bool(suffix)) * _MULTIPLIERS.get(suffix, 1)
    if negative or amount <= 0:
        raise AmountRefused(AmountProblem.NOT_POSITIVE)
    if amount > VALUE_MAX:
        raise AmountRefused(AmountProblem.TOO_BIG)
    return to_minor(amount, currency)


def _read_number(number: str, *, multiplied: bool) -> Decimal:
    number = number.rstrip(".,")
    if not _NUMBER.match(number):
        raise AmountRefused(AmountProblem.NOT_AMOUNT)
    marks = [char for char in number if char in ".,"]
    if not marks:
        whole, fraction = number, ""
    elif len(set(marks)) == 2:  # "12.500,50", "12,500.50": the last mark is the decimal one
        decimal_mark = marks[-1]
        group_mark = "," if decimal_mark == "." else "."
        if number.count(decimal_mark) > 1:
            raise AmountRefused(AmountProblem.NOT_AMOUNT)
        whole, _, fraction = number.replace(group_mark, "").partition(decimal_mark)
    elif len(marks) > 1:  # "1.250.000": the one mark, repeated, groups
        whole, fraction = number.replace(marks[0], ""), ""
    else:
        whole, _, fraction = number.partition(marks[0])
        if len(fraction) == 3 and not multiplied:  # "12,000" and "12.000" group thousands
            whole, fraction = whole + fraction, ""
    try:
        return Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
        raise AmountRefused(AmountProblem.NOT_AMOUNT) from error


def format_money(minor: int, currency: str, locale: Locale) -> str:
    """A value as the rep's locale writes it: "€12,000", "12 000 €", "12 000 Ft", "€12,500.50" (the
    cents only when there are some)."""
    amount = to_major(minor, currency)
    if amount == amount.to_integral_value():
        pattern = str(locale.currency_formats["standard"].pattern).split(";")[0]
        whole = re.sub(r"\.0+", "", pattern)
        return str(format_currency(amount, currency, format=whole, locale=locale, currency_digits=False))
    return str(format_currency(amount, currency, locale=locale))


def weighted(minor: int, status: Status) -> int:
    """The value times the status's chance of winning it (WIN_CHANCE), in minor units."""
    return int((Decimal(minor) * WIN_CHANCE[status]).quantize(Decimal(1)))


# Close months


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_options(today: date) -> list[date]:
    """The close months the question offers: this month and the next five."""
    return [add_months(month_of(today), offset) for offset in range(CLOSE_MONTHS_OFFERED)]


def month_code(month: date) -> str:
    """A month in button data: "202612"."""
    return f"{month.year:04d}{month.month:02d}"


def read_month_code(code: str) -> date | None:
    if not re.fullmatch(r"\d{6}", code):
        return None
    year, month = int(code[:4]), int(code[4:])
    return date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def first_month(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def holds(self, month: date) -> bool:
        return Quarter.of(month) == self


# The pipeline


@dataclass(frozen=True)
class Deal:
    """One contact's deal as the pipeline counts it."""

    status: Status
    value: int  # minor units of the rep's currency
    close_month: date | None


@dataclass(frozen=True)
class StatusTotal:
    status: Status
    deals: int
    value: int
    weighted: int


@dataclass(frozen=True)
class QuarterForecast:
    quarter: Quarter
    deals: int
    weighted: int


@dataclass(frozen=True)
class Pipeline:
    """What /stats says of the money: the value by status, and the weighted forecast of this quarter and
    the next by expected close month. Deals with no close month are in the totals but in no quarter (how
    many and their weighted value are told); so is an open deal whose close month has passed, told apart:
    the rep is to close it or give it a month again."""

    by_status: tuple[StatusTotal, ...]
    weighted_total: int
    quarters: tuple[QuarterForecast, QuarterForecast]
    undated_deals: int
    undated_weighted: int
    # Open deals expected to close after the next quarter, won ones closed after it: told, not hidden.
    later_deals: int = 0
    later_weighted: int = 0
    # Open deals whose close month has passed.
    overdue_deals: int = 0
    overdue_weighted: int = 0

    @property
    def empty(self) -> bool:
        return not any(total.deals for total in self.by_status)


def _won(deal: Deal) -> bool:
    return WIN_CHANCE[deal.status] == 1


def pipeline(deals: Iterable[Deal], today: date) -> Pipeline:
    """The pipeline of a rep's deals (all in one currency), on `today` in the rep's time zone."""
    listed = list(deals)
    # A lost deal is in its status's total, and in no forecast.
    counted = [deal for deal in listed if WIN_CHANCE[deal.status] > 0]
    this = Quarter.of(today)
    quarters = (this, this.next())
    by_status = tuple(
        StatusTotal(
            status,
            sum(1 for deal in listed if deal.status is status),
            sum(deal.value for deal in listed if deal.status is status),
            sum(weighted(deal.value, status) for deal in listed if deal.status is status),
        )
        for status in Status
    )
    month = today.replace(day=1)

    def in_quarter(deal: Deal, quarter: Quarter) -> bool:
        # A won deal counts in the quarter it closed in; an open one whose month has passed, in none.
        closes = deal.close_month
        return closes is not None and quarter.holds(closes) and (_won(deal) or closes >= month)

    forecasts = tuple(
        QuarterForecast(
            quarter,
            len(dated := [deal for deal in counted if in_quarter(deal, quarter)]),
            sum(weighted(deal.value, deal.status) for deal in dated),
        )
        for quarter in quarters
    )
    # Won deals without a month are won, not waiting for a quarter.
    undated = [deal for deal in counted if deal.close_month is None and not _won(deal)]
    after = quarters[1].next().first_month
    later = [deal for deal in counted if deal.close_month is not None and deal.close_month >= after]
    overdue = [
        deal
        for deal in counted
        if deal.close_month is not None and deal.close_month < month and not _won(deal)
    ]
    return Pipeline(
        by_status,
        sum(total.weighted for total in by_status),
        (forecasts[0], forecasts[1]),
        len(undated),
        sum(weighted(deal.value, deal.status) for deal in undated),
        len(later),
        sum(weighted(deal.value, deal.status) for deal in later),
        len(overdue),
        sum(weighted(deal.value, deal.status) for deal in overdue),
    )
