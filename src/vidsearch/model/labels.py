"""Kinetics-400 class names, in the order of the I3D logits (shipped inside the package)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def kinetics400_labels() -> tuple[str, ...]:
    text = files("vidsearch.model").joinpath("kinetics400_labels.txt").read_text(encoding="utf-8")
    labels = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(labels) != 400:
        raise RuntimeError(f"kinetics400_labels.txt has {len(labels)} labels, expected 400")
    return labels
