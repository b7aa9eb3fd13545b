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
