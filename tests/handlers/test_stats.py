"""The /stats picture: what it is drawn from (stages, conversions, the lost panel only when something was
lost), and that in every language every word fits a phone-width picture at 12 pt or more, overlapping
nothing."""

from __future__ import annotations

import itertools
import struct

import pytest

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import Translator
from handlers.kit.charts import DPI, SMALLEST_FONT, WIDTH, FunnelChart, funnel_figure, png
from handlers.stats import funnel_chart
from storage.stats import StatsData


def stats_data(
    by_status: dict[str, int],
    lost_by_reason: dict[str, int] | None = None,
    lost_from: dict[str, int] | None = None,
    months: tuple[int, int, int, int] = (6, 9, 2, 1),
) -> StatsData:
    new, new_before, won, won_before = months
    return StatsData(
        by_status=by_status,
        lost_by_reason=lost_by_reason or {},
        lost_from=lost_from or {},
        by_source={"meeting": (10, 2)},
        by_industry={"retail": (5, 1)},
        new_this_month=new,
        new_last_month=new_before,
        won_this_month=won,
        won_last_month=won_before,
    )


REALISTIC = stats_data(
    {"lead": 14, "prospect": 6, "customer": 3, "repeat_buyer": 1, "lost": 5},
    {"budget": 2, "competitor": 1, "nodecider": 1, "needs": 1},
    {"lead": 2, "prospect": 3},
)
NOTHING_LOST = stats_data({"lead": 5, "prospect": 3, "customer": 1}, months=(4, 4, 1, 0))
EMPTY_MONTH = stats_data({"lead": 1}, months=(0, 0, 0, 0))
# Every reason once, and numbers as long as a busy rep's.
EVERY_REASON = stats_data(
    {"lead": 2, "lost": 8},
    {
        reason: 1
        for reason in ("budget", "needs", "competitor", "priorities", "nodecider", "silent", "fit", "other")
    },
    {"lead": 8},
    months=(12_345, 12_345, 1_234, 1_234),
)


def test_the_stages_with_the_conversion_between_them() -> None:
    chart = funnel_chart(Translator("en"), REALISTIC)
    assert chart.title == "Your funnel"
    assert [(stage.label, stage.count, stage.conversion) for stage in chart.stages] == [
        ("Contacts", "29", None),
        ("Prospects", "13", "45%"),
        ("Customers", "4", "31%"),
        ("Repeat buyers", "1", "25%"),
    ]
    assert [stage.share for stage in chart.stages] == [1, 13 / 29, 4 / 29, 1 / 29]


def test_this_month_against_last() -> None:
    chart = funnel_chart(Translator("en"), REALISTIC)
    assert chart.month_title == "This month"
    assert [(tile.label, tile.value, tile.before, tile.trend) for tile in chart.tiles] == [
        ("New contacts", "6", "last month: 9", -1),
        ("New customers", "2", "last month: 1", 1),
    ]
    assert [tile.trend for tile in funnel_chart(Translator("en"), EMPTY_MONTH).tiles] == [0, 0]


def test_lost_by_reason_the_most_frequent_first() -> None:
    lost = funnel_chart(Translator("fi"), REALISTIC).lost
    assert lost is not None
    assert (lost.title, lost.total) == ("Hävityt kaupat syittäin", "5")
    assert [(row.label, row.count, row.share) for row in lost.rows] == [
        ("Budjetti", "2", 1),
        ("Kilpailija", "1", 0.5),
        ("Tarpeet muuttuivat", "1", 0.5),
        ("Ei päätöksentekijää", "1", 0.5),
    ]


def test_no_lost_panel_when_nothing_was_lost() -> None:
    assert funnel_chart(Translator("en"), NOTHING_LOST).lost is None
    assert funnel_chart(Translator("en"), stats_data({"lead": 1}, {"budget": 0})).lost is None


def test_no_conversion_from_an_empty_stage() -> None:
    chart = funnel_chart(Translator("fr"), EMPTY_MONTH)
    assert [stage.conversion for stage in chart.stages] == [None, "0\u00a0%", None, None]


def render(chart: FunnelChart) -> tuple[bytes, list[tuple[str, float, str | None, tuple[float, ...]]], dict]:
    """The PNG, and every text drawn (text, size, group, box in pixels), and the tiles' boxes."""
    figure = funnel_figure(chart)
    content = png(figure)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    axes = figure.axes[0]
    texts = [
        (
            text.get_text(),
            text.get_fontsize(),
            text.get_gid(),
            tuple(text.get_window_extent(renderer).extents),
        )
        for text in axes.texts
        if text.get_text().strip()
    ]
    tiles = {
        patch.get_gid(): tuple(patch.get_window_extent(renderer).extents)
        for patch in axes.patches
        if patch.get_gid()
    }
    return content, texts, tiles


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize(
    "data",
    [REALISTIC, NOTHING_LOST, EMPTY_MONTH, EVERY_REASON],
    ids=["realistic", "nothing-lost", "empty-month", "every-reason"],
)
def test_every_word_fits_a_phone_at_12_pt(language: str, data: StatsData) -> None:
    content, texts, tiles = render(funnel_chart(Translator(language), data))
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", content[16:24])
    assert width == round(WIDTH * DPI) == 1080
    # Upright, as a phone is held, and no taller than Telegram keeps a photo's long side sharp for.
    assert width < height <= 2560
    for text, size, _, (left, bottom, right, top) in texts:
        assert size >= SMALLEST_FONT, text
        assert left >= 0 and bottom >= 0 and right <= width and top <= height, (
            f"{text!r} runs out of the picture"
        )
    for (one, _, _, a), (other, _, _, b) in itertools.combinations(texts, 2):
        overlap = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
        assert not (overlap[0] > 0 and overlap[1] > 0), f"{one!r} overlaps {other!r}"
    for text, _, gid, (left, bottom, right, top) in texts:
        if gid in tiles:
            box = tiles[gid]
            assert box[0] <= left and right <= box[2] and box[1] <= bottom and top <= box[3], (
                f"{text!r} leaves its box"
            )


def test_the_lost_panel_makes_the_picture_taller_only_when_there_is_one() -> None:
    t = Translator("en")
    without = render(funnel_chart(t, NOTHING_LOST))[0]
    with_lost = render(funnel_chart(t, REALISTIC))[0]
    assert struct.unpack(">II", without[16:24])[1] < struct.unpack(">II", with_lost[16:24])[1]
