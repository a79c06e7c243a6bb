"""Three small chart kinds as inline SVG text: fill bars, count columns, a share-vs-target bar.

Written by hand rather than with a plotting library so the report stays one file that opens
offline, with no script, and reads the same in any browser or when printed. Every chart has a
``<title>`` for screen readers, and every number is also printed as text beside its bar, so a
chart never carries a figure the tables do not.
"""

from __future__ import annotations

from html import escape

BLUE = "#2b6cb0"
PALE = "#e2e8f0"
ORANGE = "#dd6b20"
GREEN = "#2f855a"
RED = "#c53030"
INK = "#1a202c"
MUTED = "#4a5568"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _text(x: float, y: float, value: str, *, anchor: str = "start", size: int = 13,
          fill: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}" font-weight="{weight}">{escape(value)}</text>')


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" ' \
           f'fill="{fill}" rx="2"/>'


def fill_bars(rows: list[tuple[str, int, int]], title: str, *, width: int = 960,
              label_width: int = 150) -> str:
    """One row per area: a pale bar as long as its seats, the filled part in blue, and
    ``filled/seats (rate)`` after it. Bars share one scale, so big provinces look big."""
    row_h, top = 28, 8
    value_width = 130
    span = width - label_width - value_width - 10
    most = max((seats for _, _, seats in rows), default=0) or 1
    body = []
    for k, (label, filled, seats) in enumerate(rows):
        y = top + k * row_h
        body.append(_text(label_width - 8, y + 17, label, anchor="end"))
        body.append(_rect(label_width, y + 4, span * seats / most, 18, PALE))
        colour = BLUE if filled >= seats else ORANGE
        body.append(_rect(label_width, y + 4, span * filled / most, 18, colour))
        rate = f"{100 * filled / seats:.0f}%" if seats else "—"
        body.append(_text(label_width + span * seats / most + 6, y + 17,
                          f"{filled}/{seats} ({rate})", fill=MUTED, size=12))
    return _svg(width, top * 2 + row_h * max(len(rows), 1), title, body)


def columns(rows: list[tuple[str, int]], title: str, *, width: int = 960,
            height: int = 240) -> str:
    """Vertical columns with the count above each and the label below."""
    bottom, top = 40, 24
    plot = height - bottom - top
    most = max((count for _, count in rows), default=0) or 1
    slot = (width - 20) / max(len(rows), 1)
    bar = min(56.0, slot * 0.7)
    body = [f'<line x1="10" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
            f'stroke="{MUTED}" stroke-width="1"/>']
    for k, (label, count) in enumerate(rows):
        x = 10 + slot * k + (slot - bar) / 2
        h = plot * count / most
        body.append(_rect(x, height - bottom - h, bar, h, BLUE))
        body.append(_text(x + bar / 2, height - bottom - h - 6, str(count), anchor="middle",
                          size=12, fill=MUTED))
        body.append(_text(x + bar / 2, height - bottom + 18, label, anchor="middle", size=12))
    return _svg(width, height, title, body)


def share_against_target(actual: float, target: float | None, title: str, *,
                         actual_text: str, target_text: str, width: int = 960) -> str:
    """A 0–100% scale with the actual share as a bar and the target as a marked line; green
    when the target is met, red when not. Counts are drawn as shares of a whole the caller
    chooses (e.g. the minority-region seats offered) and labelled by the caller."""
    left, right, y = 20, 20, 34
    span = width - left - right
    met = target is None or actual + 1e-12 >= target
    body = [_rect(left, y, span, 22, PALE),
            _rect(left, y, span * min(max(actual, 0.0), 1.0), 22, GREEN if met else RED)]
    for tick in (0, 25, 50, 75, 100):
        x = left + span * tick / 100
        body.append(f'<line x1="{x:.1f}" y1="{y + 22}" x2="{x:.1f}" y2="{y + 28}" '
                    f'stroke="{MUTED}"/>')
        body.append(_text(x, y + 42, f"{tick}%", anchor="middle", size=11, fill=MUTED))
    ax = left + span * min(actual, 1.0)
    body.append(_text(min(max(ax, left + 60), width - 60), y - 8,
                      actual_text, anchor="middle", weight="bold"))
    if target is not None:
        tx = left + span * min(target, 1.0)
        body.append(f'<line x1="{tx:.1f}" y1="{y - 4}" x2="{tx:.1f}" y2="{y + 26}" '
                    f'stroke="{INK}" stroke-width="3"/>')
        body.append(_text(min(max(tx, left + 60), width - 60), y + 60,
                          target_text, anchor="middle", size=12))
    return _svg(width, 100, title, body)
