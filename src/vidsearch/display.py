"""How the faces write a time for people (the CLI, the demo, the duplicates report); the page has its own `clock` in
app.js."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """h:mm:ss.s, the way a player shows a position."""
    minutes, secs = divmod(max(seconds, 0.0), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}"
