"""The funnel picture /stats sends: drawn from texts already in the rep's language, sized for a phone.

Telegram shows a photo about 360 to 420 px wide on a phone, whatever its pixel size. The figure is laid out
at the narrowest of those widths, 360 px at CSS's 96 px to the inch, and drawn at three times that: a font
of 12 pt in the figure is then 12 pt on the phone, and no text here is smaller.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

WIDTH = 360 / 96  # inches: the narrowest phone display of a photo
DPI = 3 * 96  # 1080 px wide: sharp on any phone, and under Telegram's 1280 px
SMALLEST_FONT = 12  # points, at that width
FONT = "DejaVu Sans"  # matplotlib's own font: every letter of the five languages, nothing to install

_MARGIN = 0.16
_LABEL_ROW = 0.28
_BAR = 0.17
_CONVERSION_ROW = 0.26
_LOST_ROW = 0.29
_LOST_BAR = 0.18
_INK = "#1f2328"
_MUTED = "#57606a"
_STAGE_COLOURS = ("#9dbde6", "#4a7fc1", "#3fa46a", "#1d6b40")
_LOST_COLOUR = "#e59b94"
_TILE_COLOUR = "#eef1f5"
_UP, _DOWN = "#1a7f37", "#cf222e"


@dataclass(frozen=True)
class ChartStage:
    label: str
    count: str
    conversion: str | None  # from the stage above, shown between the two; None for the first stage, or
    # when the stage above is empty
    share: float  # of the widest bar, 0 to 1


@dataclass(frozen=True)
class ChartTile:
    label: str
    value: str
    before: str  # last month's figure, as a phrase
    trend: int  # +1 up, -1 down, 0 the same as last month


@dataclass(frozen=True)
class ChartLostRow:
    label: str
    count: str
    share: float  # of the most frequent reason


@dataclass(frozen=True)
class LostPanel:
    title: str
    total: str
    rows: tuple[ChartLostRow, ...]


@dataclass(frozen=True)
class FunnelChart:
    """Everything the picture shows, as the rep reads it."""

    title: str
    stages: tuple[ChartStage, ...]
    month_title: str
    tiles: tuple[ChartTile, ChartTile]
    lost: LostPanel | None  # only when something was lost


def funnel_figure(chart: FunnelChart) -> Figure:
    """The chart laid out top to bottom in inches: the title, the funnel with the conversion between each
    two stages, this month against last, and lost by reason when there is any."""
    # Imported here: matplotlib costs a process about 40 MB and a second and a half to load, for /stats
    # alone. The Figure API with the Agg canvas renders straight to PNG: no pyplot, no global state, no
    # screen, whatever backend the environment asks for.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, 1), dpi=DPI, facecolor="white")
    renderer = FigureCanvasAgg(figure).get_renderer()  # type: ignore[no-untyped-call]
    layout = _Layout(figure.add_axes((0, 0, 1, 1)), renderer)
    layout.heading(chart.title, size=16, after=0.14)
    for index, stage in enumerate(chart.stages):
        layout.stage(stage, _STAGE_COLOURS[index % len(_STAGE_COLOURS)], first=index == 0)
    layout.skip(0.2)
    layout.heading(chart.month_title, size=13, after=0.1)
    layout.tiles(chart.tiles)
    if chart.lost is not None:
        layout.skip(0.22)
        layout.heading(chart.lost.title, size=13, after=0.08, total=chart.lost.total)
        layout.lost_rows(chart.lost.rows)
    height = layout.y + 0.16
    figure.set_size_inches(WIDTH, height)
    layout.axes.set_xlim(0, WIDTH)
    layout.axes.set_ylim(height, 0)  # inches from the top, as the layout counts them
    layout.axes.set_axis_off()
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=figure.get_facecolor())
    return buffer.getvalue()


def _line(size: float) -> float:
    """The height in inches of a line of text at `size` points, with matplotlib's line spacing."""
    return size / 72 * 1.2


class _Layout:
    """Places the parts from the top down (`y`, in inches), measuring words so that a label too long for
    its place wraps onto the next line instead of running into a number or out of the picture."""

    def __init__(self, axes: Axes, renderer: RendererAgg) -> None:
        self.axes, self.renderer = axes, renderer
        self.y = 0.14
        self.inner = WIDTH - 2 * _MARGIN

    def skip(self, space: float) -> None:
        self.y += space

    def heading(self, text: str, *, size: float, after: float, total: str | None = None) -> None:
        room = self.inner
        if total is not None:
            self.text(WIDTH - _MARGIN, self.y, total, size=size, weight="bold", ha="right", va="top")
            room -= self.width(total, size, "bold") + 0.15
        lines = self.wrap(text, size, "bold", room)
        self.text(_MARGIN, self.y, "\n".join(lines), size=size, weight="bold", va="top")
        self.y += len(lines) * _line(size) + after

    def stage(self, stage: ChartStage, colour: str, *, first: bool) -> None:
        """A stage: the conversion from the one above, the name and the count on a line, the bar under
        them (so that a bar however narrow never runs into the words), centred as in a funnel."""
        if not first:
            if stage.conversion is not None:
                arrow = f"↓ {stage.conversion}"
                self.text(WIDTH / 2, self.y + _CONVERSION_ROW / 2, arrow, color=_MUTED, ha="center")
            self.y += _CONVERSION_ROW
        count_width = self.width(stage.count, 14, "bold")
        lines = self.wrap(stage.label, 13, "normal", self.inner - count_width - 0.15)
        self.text(_MARGIN, self.y + _LABEL_ROW / 2, "\n".join(lines), size=13)
        self.text(WIDTH - _MARGIN, self.y + _LABEL_ROW / 2, stage.count, size=14, weight="bold", ha="right")
        self.y += _LABEL_ROW + (len(lines) - 1) * _line(13)
        width = self.inner * stage.share
        self.axes.add_patch(_bar((WIDTH - width) / 2, self.y, width, _BAR, colour))
        self.y += _BAR

    def tiles(self, tiles: tuple[ChartTile, ChartTile]) -> None:
        """The month's figures in two boxes side by side: what each counts, this month's number (with an
        arrow against last month's) and last month's below it."""
        from matplotlib.patches import FancyBboxPatch

        gap, pad = 0.1, 0.08
        width = (self.inner - gap) / 2
        labels = [self.wrap(tile.label, SMALLEST_FONT, "normal", width - 2 * pad) for tile in tiles]
        befores = [self.wrap(tile.before, SMALLEST_FONT, "normal", width - 2 * pad) for tile in tiles]
        label_height = max(len(lines) for lines in labels) * _line(SMALLEST_FONT)
        before_height = max(len(lines) for lines in befores) * _line(SMALLEST_FONT)
        height = pad + label_height + _line(18) + before_height + pad
        for index, tile in enumerate(tiles):
            x, gid = _MARGIN + index * (width + gap), f"tile{index}"
            box = FancyBboxPatch(
                (x, self.y),
                width,
                height,
                boxstyle="round,pad=0,rounding_size=0.08",
                facecolor=_TILE_COLOUR,
                edgecolor="none",
                gid=gid,
            )
            self.axes.add_patch(box)
            self.text(x + pad, self.y + pad, "\n".join(labels[index]), va="top", gid=gid)
            middle = self.y + pad + label_height + _line(18) / 2
            self.text(x + pad, middle, tile.value, size=18, weight="bold", gid=gid)
            if tile.trend:
                arrow, colour = ("▲", _UP) if tile.trend > 0 else ("▼", _DOWN)
                self.text(x + width - pad, middle, arrow, size=14, color=colour, ha="right", gid=gid)
            below = "\n".join(befores[index])
            self.text(x + pad, self.y + height - pad, below, color=_MUTED, va="bottom", gid=gid)
        self.y += height

    def lost_rows(self, rows: tuple[ChartLostRow, ...]) -> None:
        """Lost by reason as a bar chart: the reasons in a column of their own, each bar after its reason,
        the count at the end."""
        count_width = max(self.width(row.count, 13, "bold") for row in rows)
        column = min(max(self.width(row.label, SMALLEST_FONT, "normal") for row in rows), self.inner * 0.6)
        bar_start = _MARGIN + column + 0.12
        bar_room = WIDTH - _MARGIN - count_width - 0.12 - bar_start
        for row in rows:
            lines = self.wrap(row.label, SMALLEST_FONT, "normal", column)
            height = _LOST_ROW + (len(lines) - 1) * _line(SMALLEST_FONT)
            middle = self.y + height / 2
            self.text(_MARGIN, middle, "\n".join(lines))
            self.axes.add_patch(
                _bar(bar_start, middle - _LOST_BAR / 2, bar_room * row.share, _LOST_BAR, _LOST_COLOUR)
            )
            self.text(WIDTH - _MARGIN, middle, row.count, size=13, weight="bold", ha="right")
            self.y += height

    def width(self, text: str, size: float, weight: str) -> float:
        from matplotlib.font_manager import FontProperties

        font = FontProperties(family=FONT, size=size, weight=weight)
        measure = self.renderer.get_text_width_height_descent
        width = measure(text, font, ismath=False)[0]  # type: ignore[no-untyped-call]
        return float(width) / DPI

    def wrap(self, text: str, size: float, weight: str, room: float) -> list[str]:
        """`text` in lines that each fit `room` inches, broken at spaces (not at no-break spaces, which
        numbers contain in some languages; a single word longer than the room keeps a line of its own)."""
        lines: list[str] = []
        for word in text.split(" "):
            if lines and self.width(f"{lines[-1]} {word}", size, weight) <= room:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        # No word alone on the last line ("last month:" / "12"): it takes the word before it along.
        if len(lines) > 1 and " " not in lines[-1] and " " in lines[-2]:
            before, moved = lines[-2].rsplit(" ", 1)
            if self.width(f"{moved} {lines[-1]}", size, weight) <= room:
                lines[-2:] = [before, f"{moved} {lines[-1]}"]
        return lines or [""]

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = SMALLEST_FONT,
        weight: str = "normal",
        color: str = _INK,
        ha: str = "left",
        va: str = "center",
        gid: str | None = None,
    ) -> None:
        # parse_math off: a "$" in a label is a dollar, not the start of a formula.
        self.axes.text(
            x,
            y,
            text,
            fontsize=size,
            fontweight=weight,
            fontfamily=FONT,
            color=color,
            ha=ha,
            va=va,
            gid=gid,
            parse_math=False,
        )


def _bar(x: float, y: float, width: float, height: float, colour: str) -> Rectangle:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, facecolor=colour, edgecolor="none")
