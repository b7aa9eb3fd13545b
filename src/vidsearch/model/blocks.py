"""I3D's architecture as numbers (the Inception blocks' widths, the classes): what the feature choice and the
benchmarks need to know of the network without loading PyTorch."""

from __future__ import annotations

# (name, [b0, b1a, b1b, b2a, b2b, b3]) for each Inception block, in order.
INCEPTION_BLOCKS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("Mixed_3b", (64, 96, 128, 16, 32, 32)),
    ("Mixed_3c", (128, 128, 192, 32, 96, 64)),
    ("Mixed_4b", (192, 96, 208, 16, 48, 64)),
    ("Mixed_4c", (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", (128, 128, 256, 24, 64, 64)),
    ("Mixed_4e", (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", (256, 160, 320, 32, 128, 128)),
    ("Mixed_5b", (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", (384, 192, 384, 48, 128, 128)),
)
NUM_CLASSES = 400
BLOCK_CHANNELS = {name: c[0] + c[2] + c[4] + c[5] for name, c in INCEPTION_BLOCKS}
