"""Which of I3D's layers a vector is made of.

The tutorial's vector is the last block's (Mixed_5c) average: what the action classifier reads, so clips of one
action look alike whatever the scene. A middle block (Mixed_4d) still sees the scene itself (places, objects,
colours); the two averages, each scaled to unit length and put side by side, found same-scene footage best on the
dev benchmark (docs/measured.md "Quality", issue 14). A collection records its feature; one made before it did is Mixed_5c.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .blocks import BLOCK_CHANNELS

LEGACY_FEATURE = "Mixed_5c"  # what every collection made before features were recorded holds
DEFAULT_FEATURE = "Mixed_5c+Mixed_4d"


@dataclass(frozen=True)
class Feature:
    """The blocks whose space-time averages make a vector (several: each unit length, concatenated)."""

    blocks: tuple[str, ...]

    @classmethod
    def parse(cls, text: str | None) -> "Feature":
        """'Mixed_5c+Mixed_4d' (case and the underscore optional: 'mixed5c+mixed4d'); None: the default."""
        names = {name.lower().replace("_", ""): name for name in BLOCK_CHANNELS}
        blocks = []
        for part in (text or DEFAULT_FEATURE).split("+"):
            name = names.get(part.strip().lower().replace("_", ""))
            if name is None:
                raise ValueError(f"unknown I3D feature {part.strip()!r}: blocks are {', '.join(BLOCK_CHANNELS)}, "
                                 f"joined with '+' (e.g. {DEFAULT_FEATURE})")
            if name in blocks:
                raise ValueError(f"I3D feature {text!r} names {name} twice")
            blocks.append(name)
        return cls(tuple(blocks))

    @property
    def name(self) -> str:
        return "+".join(self.blocks)

    @property
    def dim(self) -> int:
        return sum(BLOCK_CHANNELS[b] for b in self.blocks)

    def join(self, averages: np.ndarray) -> np.ndarray:
        """N×dim block averages, side by side as the network gives them -> the vectors: one block as it is (Mixed_5c:
        the tutorial's vector, bit for bit); several each scaled to unit length, so each block weighs the same."""
        if len(self.blocks) == 1:
            return averages
        out, start = np.array(averages, dtype=np.float32, copy=True), 0
        for block in self.blocks:
            part = out[:, start : start + BLOCK_CHANNELS[block]]
            part /= np.maximum(np.linalg.norm(part, axis=1, keepdims=True), 1e-12)
            start += BLOCK_CHANNELS[block]
        return out
