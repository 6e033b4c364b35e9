"""Deal values: amounts typed leniently, money in the rep's locale, the win chances, and the forecast."""

from __future__ import annotations

from datetime import date

import pytest
from babel import Locale

from bot.deal import (
    WIN_CHANCE,
    AmountProblem,
    AmountRefused,
    Deal,
    Quarter,
    default_currency,
    format_money,
    month_options,
    parse_amount,
    pipeline,
    read_month_code,
    to_major,
    weighted,
)
from bot.scoring import Status


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12 000", "EUR", 1_200_000),
        ("12000", "EUR", 1_200_000),
        ("12k", "EUR", 1_200_000),
        ("12 K", "EUR", 1_200_000),
        ("12,5k €", "EUR", 1_250_000),
        ("12.5k", "EUR", 1_250_000),
        ("€12,000.50", "EUR", 1_200_050),
        ("12.500,50 EUR", "EUR", 1_250_050),
        ("12,000", "EUR", 1_200_000),  # a lone mark before three digits groups them
        ("12.000", "EUR", 1_200_000),
        ("12,5", "EUR", 1_250),
        ("1.250.000", "EUR", 125_000_000),
        ("1,5 M", "EUR", 150_000_000),
        ("10 t€", "EUR", 1_000_000),
        ("12\u00a0000\u00a0€", "EUR", 1_200_000),  # as Babel writes it back
        ("12 000 Ft", "HUF", 12_000),
        ("500e Ft", "HUF", 500_000),
        ("500 e", "EUR", 50_000),  # euros in Finland, not thousands
        ("12 000 e", "EUR", 1_200_000),
        ("2,5 millió", "HUF", 2_500_000),
        ("NOK 40 000", "NOK", 4_000_000),
        ("40 000 kr", "NOK", 4_000_000),
        ("40000,-", "NOK", 4_000_000),
    ],
)
def test_typed_amounts_are_read_leniently(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", AmountProblem.NOT_AMOUNT),
        ("soon", AmountProblem.NOT_AMOUNT),
        ("12 apples", AmountProblem.NOT_AMOUNT),
        ("-5", AmountProblem.NOT_POSITIVE),
        ("− 5 000", AmountProblem.NOT_POSITIVE),
        ("0", AmountProblem.NOT_POSITIVE),
        ("1e20", AmountProblem.NOT_AMOUNT),
        ("1,2,3.4,5", AmountProblem.NOT_AMOUNT),
        ("12k USD", AmountProblem.OTHER_CURRENCY),
        ("$500", AmountProblem.OTHER_CURRENCY),
        ("5000000 m", AmountProblem.TOO_BIG),
    ],
)
def test_what_is_not_an_amount_in_the_currency_is_refused_with_why(text: str, problem: AmountProblem) -> None:
    with pytest.raises(AmountRefused) as refused:
        parse_amount(text, "EUR")
    assert refused.value.problem is problem


def test_money_is_written_as_the_locale_writes_it_and_cents_only_when_there_are_some() -> None:
    assert format_money(1_200_000, "EUR", Locale.parse("en")) == "€12,000"
    assert format_money(1_250_050, "EUR", Locale.parse("en")) == "€12,500.50"
    assert format_money(1_200_000, "EUR", Locale.parse("fi")) == "12\u00a0000\u00a0€"
    assert format_money(12_000, "HUF", Locale.parse("hu")) == "12\u00a0000\u00a0Ft"
    assert format_money(4_000_000, "NOK", Locale.parse("nb")) == "40\u00a0000\u00a0kr"
    assert str(to_major(1_250, "EUR")) == "12.50" and str(to_major(12_000, "HUF")) == "12000"


def test_the_currency_defaults_to_the_rep_s_country() -> None:
    assert [default_currency(region) for region in ("FI", "FR", "NO", "HU", "GB", None)] == [
        "EUR", "EUR", "NOK", "HUF", "GBP", "EUR",
    ]  # fmt: skip


def test_the_weighted_value_is_the_status_s_chance() -> None:
    assert WIN_CHANCE[Status.LEAD] < WIN_CHANCE[Status.PROSPECT] < WIN_CHANCE[Status.CUSTOMER]
    assert weighted(1_000_000, Status.PROSPECT) == 300_000
    assert weighted(1_000_000, Status.LEAD) == 100_000
    assert weighted(1_000_000, Status.LOST) == 0


def test_close_months_offered_start_this_month_and_codes_are_checked() -> None:
    assert month_options(date(2026, 11, 25))[:3] == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    assert len(month_options(date(2026, 11, 25))) == 12  # a year: the longest timeline the capture asks about
    assert read_month_code("202703") == date(2027, 3, 1)
    assert read_month_code("202713") is None and read_month_code("2027-03") is None


def test_the_forecast_weights_deals_by_the_quarter_of_their_close_month() -> None:
    today = date(2026, 11, 25)  # Q4 2026; the next quarter is Q1 2027
    deals = [
        Deal(Status.PROSPECT, 1_000_000, date(2026, 12, 1)),  # this quarter, 30 %
        Deal(Status.LEAD, 2_000_000, date(2026, 11, 1)),  # this quarter, 10 %
        Deal(Status.CUSTOMER, 500_000, date(2027, 2, 1)),  # next quarter, won
        Deal(Status.PROSPECT, 1_000_000, None),  # no close month: in no quarter
        Deal(Status.LOST, 9_000_000, date(2026, 12, 1)),  # lost: counts nothing
        Deal(Status.PROSPECT, 1_000_000, date(2026, 6, 1)),  # a month that passed: in no quarter
        Deal(Status.PROSPECT, 1_000_000, date(2027, 4, 1)),  # beyond the next quarter
    ]
    found = pipeline(deals, today)
    this, following = found.quarters
    assert (this.quarter, this.deals, this.weighted) == (Quarter(2026, 4), 2, 300_000 + 200_000)
    assert (following.quarter, following.deals, following.weighted) == (Quarter(2027, 1), 1, 500_000)
    assert (found.undated_deals, found.undated_weighted) == (1, 300_000)
    assert (found.later_deals, found.later_weighted) == (1, 300_000)  # April 2027: told, not hidden
    assert (found.overdue_deals, found.overdue_weighted) == (1, 300_000)  # June 2026: told, not hidden
    prospects = next(total for total in found.by_status if total.status is Status.PROSPECT)
    assert (prospects.deals, prospects.value, prospects.weighted) == (4, 4_000_000, 1_200_000)
    lost = next(total for total in found.by_status if total.status is Status.LOST)
    assert (lost.deals, lost.value, lost.weighted) == (1, 9_000_000, 0)
    assert found.weighted_total == 1_200_000 + 200_000 + 500_000
    assert not found.empty and pipeline([], today).empty


def test_an_open_deal_whose_month_passed_leaves_the_quarter_and_a_won_one_stays_in_its_own() -> None:
    today = date(2026, 12, 3)  # Q4 2026, in December
    deals = [
        Deal(Status.PROSPECT, 1_000_000, date(2026, 10, 1)),  # October passed, not closed: in no quarter
        Deal(Status.CUSTOMER, 500_000, date(2026, 10, 1)),  # won in October: in Q4
        Deal(Status.CUSTOMER, 700_000, None),  # won, no month: not a deal waiting for one
    ]
    found = pipeline(deals, today)
    this, _next = found.quarters
    assert (this.deals, this.weighted) == (1, 500_000)
    assert (found.undated_deals, found.undated_weighted) == (0, 0)
    assert (found.overdue_deals, found.overdue_weighted) == (1, 300_000)  # the open one, not the won one


def test_the_last_quarter_is_followed_by_the_next_year_s_first() -> None:
    assert Quarter.of(date(2026, 12, 31)).next() == Quarter(2027, 1)
    assert Quarter(2027, 1).first_month == date(2027, 1, 1)
