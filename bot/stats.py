"""The funnel's numbers: conversion rates from counts by status."""

from __future__ import annotations

from collections.abc import Mapping

FUNNEL = ("lead", "prospect", "customer", "repeat_buyer", "lost")


def qualified_rate(by_status: Mapping[str, int]) -> float | None:
    """The share of contacts that reached prospect or beyond (customers included), of all not lost."""
    reached = sum(by_status.get(status, 0) for status in ("prospect", "customer", "repeat_buyer"))
    total = reached + by_status.get("lead", 0)
    return reached / total if total else None


def win_rate(by_status: Mapping[str, int]) -> float | None:
    """Customers (and repeat buyers) of all contacts that were decided one way or the other, or still open
    as prospects."""
    won = by_status.get("customer", 0) + by_status.get("repeat_buyer", 0)
    total = won + by_status.get("prospect", 0) + by_status.get("lost", 0)
    return won / total if total else None
