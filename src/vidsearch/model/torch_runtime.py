"""The network in PyTorch: the reference port, the GPU path, and the graph OpenVINO converts (`runtime.py`
loads this module only when it needs one of these: a cached OpenVINO model runs without PyTorch)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .features import Feature
from .weights import load_i3d


class Pooled(nn.Module):
    """The network with the feature averages inside it: one vector per clip comes out (the feature's blocks'
    space-time averages side by side), not C×T×7×7 maps. Scaling each block to unit length happens after the
    network (`Feature.join`): int8 quantization of a norm inside the graph left the parts off unit length."""

    def __init__(self, net: nn.Module, feature: Feature):
        super().__init__()
        self.net, self.taps = net, feature.blocks

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        maps, logits = self.net(x, self.taps)
        return torch.cat([m.float().mean(dim=(2, 3, 4)) for m in maps], dim=1), logits.float()


class TorchRuntime:
    """The reference port; also the GPU path (bf16 autocast on CUDA)."""

    name = "torch"

    def __init__(self, precision: str, feature: Feature, device: str = "cpu", threads: int | None = None):
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"PyTorch runs fp32 or bf16, not {precision}")
        self.precision, self.device = precision, device
        if threads:
            torch.set_num_threads(threads)
        self.model = Pooled(load_i3d().to(memory_format=torch.channels_last_3d), feature).eval().to(device)

    @torch.inference_mode()
    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tensor = torch.from_numpy(x).to(self.device).contiguous(memory_format=torch.channels_last_3d)
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors, logits = self.model(tensor)
        return vectors.cpu().numpy(), logits.cpu().numpy()
