"""The funnel's numbers: how many contacts reached each stage, and the conversion from one to the next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# The stages in funnel order. A contact has reached every stage up to its own; a lost one, every stage up
# to the one it was lost from.
STAGES = ("lead", "prospect", "customer", "repeat_buyer")


@dataclass(frozen=True)
class FunnelStage:
    status: str
    reached: int  # contacts at this stage or beyond, the lost ones counted up to where they were lost
    conversion: float | None  # the share of the stage before that reached this one; None for the first
    # stage, or when the stage before is empty


def funnel_stages(by_status: Mapping[str, int], lost_from: Mapping[str, int]) -> list[FunnelStage]:
    """Every stage with the contacts that reached it and its conversion from the stage before. A contact
    lost from a stage the funnel does not know (or from nowhere recorded) counts as lost from the first."""
    deepest = [by_status.get(status, 0) for status in STAGES]
    for status, count in lost_from.items():
        deepest[STAGES.index(status) if status in STAGES else 0] += count
    stages: list[FunnelStage] = []
    for index, status in enumerate(STAGES):
        reached = sum(deepest[index:])
        before = stages[-1].reached if stages else 0
        conversion = reached / before if before else None
        stages.append(FunnelStage(status, reached, conversion))
    return stages
