"""The one tag type: a Kinetics-400 class and its probability. Dicts only at the JSON edges (`to_json`,
`from_json`); a module of its own so stores and the CLI use it without loading the model."""

from __future__ import annotations

from dataclasses import dataclass


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
