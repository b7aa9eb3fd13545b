"""The duplicates report as one self-contained HTML page: every group, each pair side by side with frames of
the footage they share and its times. Thumbnails are inlined (JPEG data URIs): the file opens offline, sent
by mail or kept beside the library. The web service serves the same page at /duplicates."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from .retrieval.duplicates import DuplicatePair, DuplicateReport
from .display import clock
from .video import VideoDecodeError
from .video.frames import frames_at

THUMB_WIDTH = 192
FRAMES_PER_SIDE = 3

Thumbnails = Callable[[str, list[float]], list[str]]  # (path, times) -> data URIs ("" where none)

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.summary{color:#555;margin-bottom:16px}.group{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px 16px;margin:16px 0}
.members{margin:0 0 8px;padding-left:18px;color:#444}.pair{border-top:1px solid #eee;padding:10px 0}
.sides{display:flex;gap:18px;flex-wrap:wrap}.side{flex:1 1 320px;min-width:0}
.path{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.frames img{width:31%;margin-right:2%;border-radius:4px;background:#000;aspect-ratio:16/9;object-fit:contain}
.times{font-weight:600}.meta{color:#555;font-size:13px}table{border-collapse:collapse;font-size:12px;margin-top:6px}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:left}.empty{color:#666;font-style:italic}
"""


def _data_uri(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def file_thumbnails(path: str, times: list[float]) -> list[str]:
    """Frames of a video file at `times` as data URIs; none for a file that is gone or unreadable."""
    try:
        return [_data_uri(f) for f in frames_at(path, times, THUMB_WIDTH)]
    except VideoDecodeError:
        return [""] * len(times)


def _times(start: float, end: float) -> list[float]:
    return [start + (end - start) * (i + 0.5) / FRAMES_PER_SIDE for i in range(FRAMES_PER_SIDE)]


def _side(video: int, path: str, start: float, end: float, thumbnails: Thumbnails) -> str:
    images = "".join(f'<img src="{uri}" alt="{clock(t)}">' if uri else '<img alt="no frame">'
                     for uri, t in zip(thumbnails(path, _times(start, end)), _times(start, end)))
    return (f'<div class="side"><div class="times">{clock(start)} – {clock(end)}</div>'
            f'<div class="frames">{images}</div><div class="path">#{video} {html.escape(path)}</div></div>')


def _pair(pair: DuplicatePair, paths: dict[int, str], thumbnails: Thumbnails) -> str:
    best = min(pair.segments, key=lambda s: s.distance)
    rows = "".join(f"<tr><td>{clock(s.a_start)} – {clock(s.a_end)}</td><td>{clock(s.b_start)} – {clock(s.b_end)}</td>"
                   f"<td>{s.distance:.4f}</td></tr>" for s in pair.segments)
    return (f'<section class="pair" data-a="{pair.a}" data-b="{pair.b}">'
            f'<div class="sides">{_side(pair.a, paths.get(pair.a, "?"), best.a_start, best.a_end, thumbnails)}'
            f'{_side(pair.b, paths.get(pair.b, "?"), best.b_start, best.b_end, thumbnails)}</div>'
            f'<div class="meta">distance {pair.distance:.4f} · {pair.overlap:.1f} s shared · '
            f'{len(pair.segments)} interval{"s" if len(pair.segments) != 1 else ""}</div>'
            f"<table><tr><th>#{pair.a}</th><th>#{pair.b}</th><th>distance</th></tr>{rows}</table></section>")


def render(report: DuplicateReport, paths: dict[int, str] | None = None, thumbnails: Thumbnails = file_thumbnails,
           title: str = "vidsearch: copies in the library") -> str:
    """The report's page; `paths` maps video ids to their paths (default: the report's own)."""
    paths = report.paths if paths is None else paths
    by_group: dict[int, list[DuplicatePair]] = {}
    group_of = {v: n for n, group in enumerate(report.groups) for v in group}
    for pair in report.pairs:
        by_group.setdefault(group_of[pair.a], []).append(pair)
    sections = []
    for n, group in enumerate(report.groups):
        members = "".join(f'<li class="path">#{v} {html.escape(paths.get(v, "?"))}</li>' for v in group)
        pairs = "".join(_pair(p, paths, thumbnails) for p in by_group.get(n, []))
        sections.append(f'<div class="group" data-size="{len(group)}"><h2>Group {n + 1}: {len(group)} videos</h2>'
                        f'<ul class="members">{members}</ul>{pairs}</div>')
    body = "".join(sections) or '<p class="empty">No two videos of this library share footage at this threshold.</p>'
    summary = (f"{len(report.pairs)} pair{'s' if len(report.pairs) != 1 else ''} in {len(report.groups)} "
               f"group{'s' if len(report.groups) != 1 else ''} · threshold {report.threshold:g} · at least "
               f"{report.min_overlap:g} s shared · {report.segments_searched} segments searched in {report.seconds:.1f} s"
               + (f" · {report.blank_windows} low-information windows (black, white, fades, plain cards) left out"
                  if report.blank_windows else ""))
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><style>{STYLE}</style></head>'
            f'<body><h1>{html.escape(title)}</h1><div class="summary">{summary}</div>{body}</body></html>')
