"""The evidence page (DESIGN.md, report): one self-contained HTML file from an `EvidenceReport`.

Thumbnails are inline JPEG data URIs, drawings inline SVG (`vidtrace.report.svg`); the page has
no script and loads nothing: its Content-Security-Policy allows only inline styles and data:
images. Every text from a user (file name, reference ids) is escaped. The CLI's `vidtrace
report` writes this page and the service's `GET /v1/jobs/{id}/report` serves it.
"""

import base64
from html import escape

import numpy as np

from vidtrace.report.data import EvidenceReport, FramePair, SegmentEvidence
from vidtrace.report.svg import alignment_plot, reference_colours, timeline

JPEG_QUALITY = 85
NEAREST_PLOTS = 3  # a page with no match plots the hits of this many nearest candidates

_CSS = """
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
h3 { font-size: 15px; }
.verdict { font-size: 17px; font-weight: bold; padding: 8px 12px; display: inline-block; }
.verdict.match { background: #fde2e1; } .verdict.nomatch { background: #e3f4e1; }
table { border-collapse: collapse; } td, th { padding: 3px 10px; text-align: left; }
table.facts th { color: #555; font-weight: normal; } .hash { font-family: monospace; }
table.segments td, table.segments th, table.candidates td, table.candidates th
  { border-bottom: 1px solid #ddd; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; }
table.pairs td { vertical-align: middle; border-bottom: 1px solid #eee; }
img.thumb { display: block; max-height: 144px; }
.missing { width: 200px; height: 100px; background: #eee; color: #777; font-size: 12px;
  display: flex; align-items: center; justify-content: center; }
details { margin-top: 8px; } code { font-size: 12px; }
"""


def jpeg_data_uri(image: np.ndarray) -> str:
    """An RGB uint8[H, W, 3] image as a data:image/jpeg;base64 URI."""
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(image[..., ::-1]),
                           [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _span(a: float, b: float) -> str:
    return f"{a:.1f}&ndash;{b:.1f} s"


def _generation(generation: int | None) -> str:
    return "" if generation is None else f" (generation {generation})"


def _facts(r: EvidenceReport) -> str:
    q, lib = r.query, r.library
    rows = [
        ("query file", escape(q.name)),
        ("query duration", f"{q.duration_s:.2f} s ({q.size_bytes:,} bytes)"),
        ("query sha256", f'<span class="hash">{q.sha256}</span>'),
        ("library", f"{escape(lib.name)}{_generation(lib.generation)}: {lib.references} "
         f"references, {lib.hours:.3f} h, {lib.frames:,} frames, {lib.bytes:,} bytes"),
        ("library id", f'<span class="hash">{escape(lib.id)}</span>'),
        ("descriptor", f"{escape(lib.descriptor)} ({escape(lib.descriptor_version)}, "
         f"{lib.dim}-d)"),
        ("score threshold", _threshold(r)),
        ("vidtrace", escape(r.version)),
        ("run at", f"{escape(r.run_at)} (describing and matching took {r.elapsed_s:.1f} s)"),
    ]
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    settings = ", ".join(f"{escape(k)}={escape(str(v))}" for k, v in sorted(r.settings.items()))
    return (f'<table class="facts">{body}</table>'
            f"<details><summary>settings</summary><code>{settings}</code></details>")


def _swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>'


def _segment_table(r: EvidenceReport, colours: dict[str, str]) -> str:
    head = ("<tr><th>#</th><th>reference</th><th>query</th><th>reference span</th>"
            "<th>speed</th><th>score</th><th>evidence</th><th>matched frames</th>"
            "<th>sound hashes on the line</th></tr>")
    rows = [f'<tr class="segment"><td>{i}</td><td>{_swatch(colours[s.ref_id])}'
            f"{escape(s.ref_id)}</td><td>{_span(s.query_start, s.query_end)}</td>"
            f"<td>{_span(s.ref_start, s.ref_end)}</td><td>{s.speed:.2f}x</td>"
            f"<td>{_score(r, s)}</td><td class=\"evidence\">{_evidence(s)}</td>"
            f"<td>{s.n_hits if 'video' in s.evidence else '&ndash;'}</td>"
            f"<td>{s.sound_votes if 'audio' in s.evidence else '&ndash;'}</td></tr>"
            for i, s in enumerate(r.segments, 1)]
    return f'<table class="segments">{head}{"".join(rows)}</table>'


def _threshold(r: EvidenceReport) -> str:
    """The threshold in words: one number, or a long segment's and a shortest one's."""
    rule = r.rule
    short = rule.required(rule.min_frames)
    if short <= rule.long:
        return f"{rule.long:.3f}"
    return (f"{rule.long:.3f} for a long segment, up to {short:.3f} for one of "
            f"{rule.min_frames} matched frames or fewer")


def _evidence(s: SegmentEvidence) -> str:
    """What supports a segment, in words ("picture + sound")."""
    words = {"video": "picture", "audio": "sound"}
    return " + ".join(words.get(e, escape(e)) for e in s.evidence)


def _score(r: EvidenceReport, s: SegmentEvidence) -> str:
    """A segment's score against the threshold for its matched frames; sound alone has its
    own floor (a line with enough votes over enough time, docs/audio.md), not the picture's
    threshold."""
    if s.evidence == ("audio",):
        return f"{s.score:.3f} (sound alone)"
    return f"{s.score:.3f} &ge; {r.rule.required(s.n_hits):.3f}"


def _image(image: np.ndarray | None, kind: str) -> str:
    if image is None:
        return f'<div class="missing {kind}">frame not available</div>'
    return f'<img class="thumb {kind}" alt="{kind} frame" src="{jpeg_data_uri(image)}">'


def _pair_row(p: FramePair) -> str:
    return (f'<tr class="pair"><td>{_image(p.query_image, "query")}<div>query '
            f"{p.query_time:.2f} s</div></td><td>{_image(p.ref_image, 'reference')}"
            f"<div>reference {p.ref_time:.2f} s</div></td><td>similarity "
            f"<b>{p.similarity:.3f}</b></td></tr>")


def _segment_detail(i: int, s: SegmentEvidence) -> str:
    title = (f"Segment {i}: query {_span(s.query_start, s.query_end)} &larr; "
             f"{escape(s.ref_id)} {_span(s.ref_start, s.ref_end)}, speed {s.speed:.2f}x, "
             f"score {s.score:.3f}, by {_evidence(s)}")
    rows = "".join(_pair_row(p) for p in s.pairs)
    return (f'<section class="segment-detail"><h3>{title}</h3>'
            f'<table class="pairs">{rows}</table></section>')


def _plots(r: EvidenceReport, ref_ids: list[str], colours: dict[str, str]) -> str:
    floor = float(r.settings.get("hit_floor", 0.3))
    out = []
    for ref_id in ref_ids:
        segs = [s for s in r.segments if s.ref_id == ref_id]
        out.append(f"<h3>{escape(ref_id)}</h3>" + alignment_plot(
            ref_id, r.hits.of(ref_id), segs, r.query.duration_s, colours[ref_id], floor))
    return "".join(out)


def _candidates(r: EvidenceReport) -> str:
    if not r.candidates:
        return ("<p>No reference frame came within the similarity floor of any query frame: "
                "no candidate reference.</p>")
    rows = "".join(
        f'<tr class="candidate"><td>{escape(c.ref_id)}</td><td>{c.retrieval_score:.3f}</td>'
        f"<td>{'none placed' if c.best_segment_score is None else f'{c.best_segment_score:.3f}'}"
        f"</td><td>{r.rule.required(c.best_segment_frames):.3f}</td></tr>"
        for c in r.candidates)
    return ('<table class="candidates"><tr><th>reference</th><th>retrieval score</th>'
            "<th>best segment score</th><th>threshold</th></tr>" + rows + "</table>")


def _nearest(r: EvidenceReport) -> str:
    rows = "".join(f'<tr class="nearest"><td>{escape(n.ref_id)}</td><td>{n.best_similarity:.3f}'
                   f"</td><td>{n.frames}</td></tr>" for n in r.nearest)
    floor = float(r.settings.get("hit_floor", 0.3))
    return ("<h2>Closest references, frame by frame</h2><p>The references among the nearest "
            f"frames of the query's frames, whatever their similarity (hits count from {floor:.2f})"
            '.</p><table class="candidates"><tr><th>reference</th><th>best frame similarity</th>'
            "<th>query frames near it</th></tr>" + rows + "</table>")


def render_html(r: EvidenceReport) -> str:
    """The evidence page of `r` as one HTML document."""
    ids = list(dict.fromkeys([s.ref_id for s in r.segments] + [c.ref_id for c in r.candidates]))
    colours = reference_colours(ids)
    n = len(r.segments)
    verdict = (f'<p class="verdict match">{n} copied segment{"s" if n != 1 else ""} found</p>'
               if n else '<p class="verdict nomatch">No copied segment found</p>')
    parts = [f"<h1>Copy evidence: {escape(r.query.name)}</h1>", verdict, _facts(r)]
    if n:
        matched = list(dict.fromkeys(s.ref_id for s in r.segments))
        legend = " ".join(f"{_swatch(colours[i])}{escape(i)}" for i in matched)
        parts += ["<h2>Timeline of the query</h2>", timeline(r.query.duration_s, r.segments,
                                                             colours), f"<p>{legend}</p>",
                  "<h2>Copied segments</h2>", _segment_table(r, colours),
                  "<h2>Alignment (every dot a retrieved frame hit)</h2>",
                  _plots(r, matched, colours),
                  "<h2>Frames side by side</h2>",
                  "".join(_segment_detail(i, s) for i, s in enumerate(r.segments, 1))]
    else:
        near = [c.ref_id for c in r.candidates[:NEAREST_PLOTS]]
        parts += ["<h2>Nearest candidates</h2>", _candidates(r)]
        if near:
            parts += ["<h2>Their frame hits</h2>", _plots(r, near, colours)]
        if r.nearest:
            parts.append(_nearest(r))
    if r.other_hits:
        parts.append(f"<p>{r.other_hits} further frame hits went to references that were not "
                     "aligned (not drawn).</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>vidtrace evidence: {escape(r.query.name)}</title>"
            f"<style>{_CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
