"""Charts drawn on the server as SVG: no script, nothing fetched from elsewhere.

Every chart carries a `<title>` and a `<desc>` for screen readers, and repeats its numbers as
text beside the bars; the page's table carries them too.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
LEFT, RIGHT = 8, 64  # room for the value written after a bar
TOP = 28  # the legend
LABEL_HEIGHT = 18
BAR_HEIGHT = 14
BAR_GAP = 3
ROW_GAP = 14
AXIS_HEIGHT = 28
BEFORE_COLOUR = "#6c757d"  # both at least 4.5:1 against white
AFTER_COLOUR = "#0a58ca"
TEXT_COLOUR = "#212529"


@dataclass(frozen=True)
class BeforeAfter:
    """One row of the chart: a label, the mean before and after (None: no pairs)."""
    label: str
    before: float | None
    after: float | None


def _text(x: float, y: float, content: str, anchor: str = "start", weight: str = "normal",
          size: int = 13) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'font-weight="{weight}" fill="{TEXT_COLOUR}">{escape(content)}</text>')


def before_after_chart(rows: list[BeforeAfter], scale: tuple[int, int], *, title: str,
                       description: str, before_label: str, after_label: str,
                       no_pairs_label: str, number: Callable[[float], str],
                       chart_id: str = "chart") -> Markup:
    """Horizontal bars of the mean before and after for each row on the scale's range."""
    low, high = scale
    plot_width = WIDTH - LEFT - RIGHT
    row_height = LABEL_HEIGHT + 2 * BAR_HEIGHT + BAR_GAP + ROW_GAP
    height = TOP + len(rows) * row_height + AXIS_HEIGHT

    def x_of(value: float) -> float:
        return LEFT + (value - low) / (high - low) * plot_width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="summary-chart img-fluid" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-family="system-ui, sans-serif" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    # The legend.
    for offset, colour, label in ((0, BEFORE_COLOUR, before_label),
                                  (200, AFTER_COLOUR, after_label)):
        parts.append(f'<rect x="{LEFT + offset}" y="6" width="14" height="14" '
                     f'fill="{colour}"/>')
        parts.append(_text(LEFT + offset + 20, 18, label))
    # Grid lines at every point of the scale.
    plot_bottom = TOP + len(rows) * row_height
    for point in range(low, high + 1):
        x = x_of(point)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{plot_bottom}" '
                     f'stroke="#ced4da" stroke-width="1"/>')
        parts.append(_text(x, plot_bottom + 18, str(point),
                           anchor="start" if point == low else
                           "end" if point == high else "middle"))
    for index, row in enumerate(rows):
        y = TOP + index * row_height
        parts.append(_text(LEFT, y + LABEL_HEIGHT - 4, row.label, weight="bold"))
        if row.before is None or row.after is None:
            parts.append(_text(LEFT, y + LABEL_HEIGHT + BAR_HEIGHT + 4, no_pairs_label))
            continue
        for bar, (value, colour) in enumerate(((row.before, BEFORE_COLOUR),
                                               (row.after, AFTER_COLOUR))):
            top = y + LABEL_HEIGHT + bar * (BAR_HEIGHT + BAR_GAP)
            width = max(x_of(value) - LEFT, 1.0)
            parts.append(f'<rect x="{LEFT}" y="{top:.1f}" width="{width:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{colour}"/>')
            parts.append(_text(LEFT + width + 6, top + BAR_HEIGHT - 2, number(value), size=12))
    parts.append("</svg>")
    return Markup("\n".join(parts))
