"""Inline SVG drawings of an evidence page (DESIGN.md, report): the alignment plot of one
reference and the timeline of the whole query.

Plain strings, no plotting library: the page must open anywhere with nothing fetched. Every
text that comes from a user (reference ids) is escaped. Times are seconds.
"""

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from vidtrace.report.data import SegmentEvidence

PALETTE = ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477",
           "#66aa00", "#b82e2e", "#316395")

PLOT_W, PLOT_H = 560, 360
PLOT_MARGIN = (16, 86, 44, 60)  # top, right, bottom, left
TIMELINE_W, TIMELINE_H = 800, 58


def reference_colours(ref_ids: Sequence[str]) -> dict[str, str]:
    """A colour per reference id, in the order given (the palette repeats after 10)."""
    return {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(dict.fromkeys(ref_ids))}


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About `count` round tick values within [lo, hi], 1, 2 or 5 x 10^k apart (the step
    nearest, by ratio, to the span / (count - 1))."""
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 5, 10)), key=lambda c: abs(math.log(c / raw)))
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 6) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _label(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.3g}"


class _Axes:
    """Maps data (x, y) to pixels inside the plot margins; y grows upwards."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        top, right, bottom, left = PLOT_MARGIN
        self.x0, self.x1 = left, PLOT_W - right
        self.y0, self.y1 = PLOT_H - bottom, top
        self.xr, self.yr = x_range, y_range

    def xs(self, v: np.ndarray) -> np.ndarray:
        lo, hi = self.xr
        return self.x0 + (np.asarray(v, np.float64) - lo) / (hi - lo) * (self.x1 - self.x0)

    def ys(self, v: np.ndarray) -> np.ndarray:
        lo, hi = self.yr
        return self.y0 + (np.asarray(v, np.float64) - lo) / (hi - lo) * (self.y1 - self.y0)

    def x(self, v: float) -> float:
        return float(self.xs(np.array([v]))[0])

    def y(self, v: float) -> float:
        return float(self.ys(np.array([v]))[0])

    def frame(self, x_label: str, y_label: str) -> list[str]:
        out = [f'<rect x="{self.x0}" y="{self.y1}" width="{self.x1 - self.x0}" '
               f'height="{self.y0 - self.y1}" fill="#fafafa" stroke="#999"/>']
        for t in nice_ticks(*self.xr):
            x = self.x(t)
            out.append(f'<line x1="{x:.1f}" y1="{self.y0}" x2="{x:.1f}" y2="{self.y0 + 4}" '
                       f'stroke="#666"/><text x="{x:.1f}" y="{self.y0 + 16}" '
                       f'text-anchor="middle">{_label(t)}</text>')
        for t in nice_ticks(*self.yr):
            y = self.y(t)
            out.append(f'<line x1="{self.x0 - 4}" y1="{y:.1f}" x2="{self.x0}" y2="{y:.1f}" '
                       f'stroke="#666"/><text x="{self.x0 - 6}" y="{y + 4:.1f}" '
                       f'text-anchor="end">{_label(t)}</text>')
        mid_x, mid_y = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2
        out.append(f'<text x="{mid_x:.1f}" y="{PLOT_H - 8}" text-anchor="middle">'
                   f'{escape(x_label)}</text>')
        out.append(f'<text transform="translate(14 {mid_y:.1f}) rotate(-90)" '
                   f'text-anchor="middle">{escape(y_label)}</text>')
        return out


def _padded(values: list[float], lo_limit: float = 0.0) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = max(0.05 * (hi - lo), 1.0)
    return max(lo_limit, lo - pad), hi + pad


def alignment_plot(ref_id: str, hits: tuple[np.ndarray, np.ndarray, np.ndarray],
                   segments: Sequence[SegmentEvidence], query_duration: float, colour: str,
                   floor: float = 0.3) -> str:
    """SVG of query time (x) against reference time (y) for reference `ref_id`: every hit
    (query times, reference times, similarities) a dot, darker when more similar (from `floor`
    up), each segment a line in `colour` with its speed written beside it."""
    qt, rt, sim = hits
    ys = [float(v) for v in rt] + [v for s in segments for v in (s.ref_start, s.ref_end)]
    axes = _Axes((0.0, max(query_duration, 1e-3)), _padded(ys or [0.0, 1.0]))
    parts = [f'<svg class="alignment" xmlns="http://www.w3.org/2000/svg" width="{PLOT_W}" '
             f'height="{PLOT_H}" viewBox="0 0 {PLOT_W} {PLOT_H}" font-size="11" '
             f'font-family="sans-serif" data-reference="{escape(ref_id)}">',
             *axes.frame("query time (s)", "reference time (s)")]
    alpha = np.clip((np.asarray(sim, np.float64) - floor) / (1 - floor), 0.12, 1.0)
    xs, yv = axes.xs(qt), axes.ys(rt)
    parts += [f'<circle class="hit" cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="#333" '
              f'fill-opacity="{a:.2f}"/>' for x, y, a in zip(xs, yv, alpha, strict=True)]
    for seg in segments:
        x1, y1 = axes.x(seg.query_start), axes.y(seg.ref_start)
        x2, y2 = axes.x(seg.query_end), axes.y(seg.ref_end)
        parts.append(f'<line class="segment" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" '
                     f'y2="{y2:.1f}" stroke="{colour}" stroke-width="3" stroke-opacity="0.8">'
                     f'<title>query {seg.query_start:.1f}-{seg.query_end:.1f} s, reference '
                     f'{seg.ref_start:.1f}-{seg.ref_end:.1f} s</title></line>')
        parts.append(f'<text class="speed" x="{x2 + 6:.1f}" y="{y2 + 4:.1f}" fill="{colour}" '
                     f'font-weight="bold">{seg.speed:.2f}x</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def timeline(query_duration: float, segments: Sequence[SegmentEvidence],
             colours: dict[str, str]) -> str:
    """SVG bar of the whole query, each segment's query span in its reference's colour."""
    left, right, bar_y, bar_h = 10, 10, 6, 24
    width = TIMELINE_W - left - right
    duration = max(query_duration, 1e-3)

    def x(t: float) -> float:
        return left + min(max(t, 0.0), duration) / duration * width

    parts = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{TIMELINE_W}" '
             f'height="{TIMELINE_H}" viewBox="0 0 {TIMELINE_W} {TIMELINE_H}" font-size="11" '
             'font-family="sans-serif">',
             f'<rect x="{left}" y="{bar_y}" width="{width}" height="{bar_h}" fill="#e4e4e4"/>']
    for seg in segments:
        x1, x2 = x(seg.query_start), x(seg.query_end)
        parts.append(f'<rect class="span" x="{x1:.1f}" y="{bar_y}" width="{max(x2 - x1, 1):.1f}"'
                     f' height="{bar_h}" fill="{colours[seg.ref_id]}" '
                     f'data-reference="{escape(seg.ref_id)}"><title>{escape(seg.ref_id)}: query '
                     f'{seg.query_start:.1f}-{seg.query_end:.1f} s</title></rect>')
    for t in nice_ticks(0.0, duration, 10):
        parts.append(f'<text x="{x(t):.1f}" y="{bar_y + bar_h + 16}" text-anchor="middle">'
                     f'{_label(t)} s</text>')
    parts.append("</svg>")
    return "\n".join(parts)
