"""Loads DeepMind's Kinetics-400 RGB I3D checkpoint (`checkpoint.py` finds and reads it) into the PyTorch
network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .checkpoint import find_checkpoint, read_checkpoint
from .i3d import INCEPTION_BLOCKS, InceptionI3d

BN_EPSILON = 1e-3


def _flax_unit_names(model: InceptionI3d) -> dict[str, str]:
    """Maps each Unit3D of the PyTorch model to its scope in the Flax checkpoint."""
    names = {f"stem.{n}": n for n, layer in model.stem.items() if hasattr(layer, "conv")}
    branches = {
        "branch_0": "Branch_0/Conv3d_0a_1x1",
        "branch_1a": "Branch_1/Conv3d_0a_1x1",
        "branch_1b": "Branch_1/Conv3d_0b_3x3",
        "branch_2a": "Branch_2/Conv3d_0a_1x1",
        "branch_2b": "Branch_2/Conv3d_0b_3x3",
        "branch_3": "Branch_3/Conv3d_0b_1x1",
    }
    for block, _ in INCEPTION_BLOCKS:
        names.update({f"blocks.{block}.{ours}": f"{block}/{theirs}" for ours, theirs in branches.items()})
    names["logits"] = "Logits/Conv3d_0c_1x1"
    return names


def _flatten(tree: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """{'a': {'b/c': x}} -> {'a/b/c': x}: Flax scopes may themselves contain slashes."""
    flat: dict[str, np.ndarray] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        flat.update(_flatten(value, path + "/") if isinstance(value, dict) else {path: np.asarray(value)})
    return flat


def state_dict_from_flax(variables: dict, model: InceptionI3d) -> dict[str, torch.Tensor]:
    """Converts Flax kernels (kt, kh, kw, in, out) to PyTorch (out, in, kt, kh, kw) and folds BatchNorm.

    Sonnet's BatchNorm has no scale: y = (x - mean) / sqrt(var + eps) + beta, which is a per-channel affine
    map that the convolution absorbs exactly.
    """
    params, stats = _flatten(variables["params"]), _flatten(variables["batch_stats"])
    state: dict[str, torch.Tensor] = {}
    for ours, scope in _flax_unit_names(model).items():
        kernel = params[f"{scope}/Conv_0/kernel"].astype(np.float64).transpose(4, 3, 0, 1, 2)
        if f"{scope}/BatchNorm_0/bias" in params:
            inv_std = 1.0 / np.sqrt(stats[f"{scope}/BatchNorm_0/var"].astype(np.float64).reshape(-1) + BN_EPSILON)
            mean = stats[f"{scope}/BatchNorm_0/mean"].astype(np.float64).reshape(-1)
            kernel = kernel * inv_std[:, None, None, None, None]
            bias = params[f"{scope}/BatchNorm_0/bias"].astype(np.float64) - mean * inv_std
        else:
            bias = params[f"{scope}/Conv_0/bias"].astype(np.float64)
        state[f"{ours}.conv.weight"] = torch.from_numpy(kernel.astype(np.float32))
        state[f"{ours}.conv.bias"] = torch.from_numpy(bias.astype(np.float32))
    return state


def load_i3d(path: Path | None = None) -> InceptionI3d:
    """The pretrained network in eval mode, float32."""
    model = InceptionI3d()
    model.load_state_dict(state_dict_from_flax(read_checkpoint(path or find_checkpoint()), model), strict=True)
    return model.eval()
