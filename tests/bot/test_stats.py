"""The funnel's stages: who reached each one (the lost up to where they were lost), and the conversions."""

from __future__ import annotations

import pytest

from bot.stats import STAGES, funnel_stages


def test_each_stage_counts_everyone_who_reached_it() -> None:
    stages = funnel_stages({"lead": 5, "prospect": 3, "customer": 1, "repeat_buyer": 1}, {})
    assert [stage.status for stage in stages] == list(STAGES)
    assert [stage.reached for stage in stages] == [10, 5, 2, 1]
    assert [stage.conversion for stage in stages] == [None, 0.5, 0.4, 0.5]


def test_lost_contacts_count_up_to_the_stage_they_were_lost_from() -> None:
    stages = funnel_stages({"lead": 4, "prospect": 1, "lost": 3}, {"prospect": 2, "lead": 1})
    assert [stage.reached for stage in stages] == [8, 3, 0, 0]
    assert stages[1].conversion == pytest.approx(3 / 8)
    assert stages[2].conversion == 0


def test_a_loss_from_an_unknown_stage_counts_at_the_first() -> None:
    stages = funnel_stages({"lost": 2}, {"lost": 1, "lead": 1})
    assert [stage.reached for stage in stages] == [2, 0, 0, 0]


def test_no_conversion_from_an_empty_stage() -> None:
    stages = funnel_stages({"lead": 2}, {})
    assert [stage.conversion for stage in stages] == [None, 0, None, None]
