"""The network in PyTorch: the reference port, the GPU path, and the graph OpenVINO converts (`runtime.py`
loads this module only when it needs one of these: a cached OpenVINO model runs without PyTorch)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .features import Feature
from .stream import output_layout, step_of
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


class Streamed(nn.Module):
    """The network over a chunk of consecutive frames (1×3×N×S×S, N a multiple of 8), its maps averaged over
    space only: one value per time step of each feature block, Mixed_5 blocks and the logits at both phases (from
    Mixed_4f's steps 0,1 | 2,3 ... and 1,2 | 3,4 ...). `stream.output_layout` names the outputs in order."""

    def __init__(self, net: nn.Module, feature: Feature):
        super().__init__()
        self.net, self.layout = net, output_layout(feature)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        net, wanted = self.net, {block for block, _ in self.layout}
        maps: dict[tuple[str, int], torch.Tensor] = {}
        for layer in net.stem.values():
            x = layer(x)
        late = [name for name in net.blocks if step_of(name) == 8]
        for name, block in net.blocks.items():
            if name in late:
                break
            x = net.pools[name](x) if name in net.pools else x
            x = block(x)
            if name in wanted:
                maps[(name, 0)] = x.float().mean(dim=(3, 4))
        for phase, y in enumerate((x, x[:, :, 1:-1])):
            y = net.pools[late[0]](y)
            for name in late:
                y = net.blocks[name](y)
                if name in wanted:
                    maps[(name, phase)] = y.float().mean(dim=(3, 4))
            last = y.float().mean(dim=(3, 4))  # the logits head is linear: per step, then averaged per window
            maps[("logits", phase)] = net.logits(last[..., None, None]).flatten(2)
        return tuple(maps[key] for key in self.layout)


class TorchRuntime:
    """The reference port; also the GPU path (bf16 autocast on CUDA)."""

    name = "torch"

    def __init__(self, precision: str, feature: Feature, device: str = "cpu", threads: int | None = None):
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"PyTorch runs fp32 or bf16, not {precision}")
        self.precision, self.device = precision, device
        if threads:
            torch.set_num_threads(threads)
        net = load_i3d().to(memory_format=torch.channels_last_3d)
        self.model = Pooled(net, feature).eval().to(device)
        self.streamed = Streamed(net, feature).eval().to(device)

    @torch.inference_mode()
    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tensor = torch.from_numpy(x).to(self.device).contiguous(memory_format=torch.channels_last_3d)
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            vectors, logits = self.model(tensor)
        return vectors.cpu().numpy(), logits.cpu().numpy()

    @torch.inference_mode()
    def stream(self, x: np.ndarray) -> list[np.ndarray]:
        """A chunk's per-step maps (`Streamed`)."""
        tensor = torch.from_numpy(x).to(self.device).contiguous(memory_format=torch.channels_last_3d)
        with torch.autocast(self.device, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            maps = self.streamed(tensor)
        return [m.float().cpu().numpy() for m in maps]
