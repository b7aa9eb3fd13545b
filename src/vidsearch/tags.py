"""The one tag type: a Kinetics-400 class and its probability. Dicts only at the JSON edges (`to_json`,
`from_json`); a module of its own so stores and the CLI use it without loading the model."""

from __future__ import annotations

from dataclasses import dataclass

WINDOW_CLASSES = 20  # classes kept per window for find-action: chosen by benchmarks/action_scores.py


@dataclass(frozen=True)
class Tag:
    label: str
    score: float

    def to_json(self) -> dict:
        return {"label": self.label, "score": round(self.score, 6)}

    @classmethod
    def from_json(cls, data: dict) -> "Tag":
        return cls(str(data["label"]), float(data["score"]))


def merge_tags(per_window: list[list[Tag]], top: int = 5) -> list[Tag]:
    """A video's tags from its windows' tags: each class's probability averaged over the windows (a class
    outside a window's top list counts 0 there), best first."""
    totals: dict[str, float] = {}
    for tags in per_window:
        for tag in tags:
            totals[tag.label] = totals.get(tag.label, 0.0) + tag.score
    n = max(len(per_window), 1)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [Tag(label, score / n) for label, score in ranked]


@dataclass(frozen=True)
class Action:
    """A class's best moment in a video: the highest probability any window gives it, and that window."""

    label: str
    score: float
    start: float
    end: float


def best_moments(windows: list[tuple[float, float, list[Tag]]]) -> list[Action]:
    """Each class's best window among the windows' (start, end, top tags), best first. A class outside every
    window's top list is absent: its probability is below each window's last kept class."""
    best: dict[str, Action] = {}
    for start, end, tags in windows:
        for tag in tags:
            if tag.label not in best or tag.score > best[tag.label].score:
                best[tag.label] = Action(tag.label, tag.score, start, end)
    return sorted(best.values(), key=lambda a: (-a.score, a.label))
