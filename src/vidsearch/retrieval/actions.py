"""Search by action name: what a user types matched to a Kinetics-400 class (exactly, or the closest classes
as suggestions: "cricket" -> "playing cricket"), and the videos ranked by that class."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..store import ActionHit

CLOSE_ENOUGH = 0.75  # similarity of a misspelt word to a class's word (difflib ratio) that still suggests it
MAX_SUGGESTIONS = 5


@dataclass
class ActionResult:
    action: str  # the class searched for
    results: list[ActionHit]  # best first; each with its best window (start, end)
    suggestions: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"action": self.action, "results": [r.to_json() for r in self.results], "suggestions": self.suggestions}


class UnknownActionError(ValueError):
    """Nothing in the class list resembles what was typed."""


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c == "'" else " " for c in text.lower()).split()


def similarity(text: str, label: str) -> float:
    """1.0 when every typed word is a word of the class (or the whole name); otherwise how close the typed
    words are to the class's words, on average (difflib's ratio: misspellings score high)."""
    typed, words = _words(text), _words(label)
    if not typed:
        return 0.0
    whole = difflib.SequenceMatcher(None, " ".join(typed), " ".join(words)).ratio()
    each = [max((1.0 if w == t else difflib.SequenceMatcher(None, t, w).ratio()) for w in words) for t in typed]
    return max(whole, sum(each) / len(each))


def suggest(text: str, labels: list[str] | tuple[str, ...]) -> list[str]:
    """The classes closest to `text`, best first (at most MAX_SUGGESTIONS)."""
    scored = [(similarity(text, label), label) for label in labels]
    close = sorted(((s, label) for s, label in scored if s >= CLOSE_ENOUGH), key=lambda x: (-x[0], x[1]))
    return [label for _, label in close[:MAX_SUGGESTIONS]]


def resolve_action(text: str, labels: list[str] | tuple[str, ...]) -> tuple[str, list[str]]:
    """(the class to search for, suggestions). An exact name (any case and spacing) is searched as typed, with
    no suggestions; otherwise the closest class is searched and the close ones suggested."""
    typed = " ".join(_words(text))
    for label in labels:
        if " ".join(_words(label)) == typed and typed:
            return label, []
    suggestions = suggest(text, labels)
    if not suggestions:
        raise UnknownActionError(f"no Kinetics-400 action resembles {text!r} (the 400 classes are listed in "
                                 f"`vidsearch find-action --list`)")
    return suggestions[0], suggestions
