"""Where the network runs. OpenVINO on the CPU: the same I3D, converted once from the PyTorch port and cached on
disk, runs 2.5x faster than PyTorch bf16 here at cosine 0.9998 to PyTorch fp32 (benchmarks/embed_speed.py).
PyTorch stays the reference and the fallback (`VIDSEARCH_RUNTIME=torch`, or when OpenVINO is missing).

Both take clips as N×3×T×S×S float32 (S the crop, 224 by default) in [-1, 1] and return (N×D block averages, N×400 logits), D being the
feature's (`features.py`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from .. import environment
from ..version import __version__
from .checkpoint import find_checkpoint
from .features import Feature
from .stream import ALIGN

RUNTIMES = ("openvino", "torch")
DEVICES = ("auto", "cpu", "cuda")
CALIBRATION_CLIPS = 24  # int8: synthetic clips rendered here (nothing downloaded), the same every time
# Part of the cache key: raise it when _quantize changes, so no model quantized the old way is read back.
QUANTIZATION_RECIPE = 2  # 2: the logits head kept in fp32


def default_runtime() -> str:
    choice = (environment.read(environment.RUNTIME) or "").lower()
    if choice:
        if choice not in RUNTIMES:
            raise ValueError(f"${environment.RUNTIME} must be one of {RUNTIMES}, not {choice!r}")
        return choice
    try:
        import openvino  # noqa: F401
    except ImportError:
        return "torch"
    return "openvino"


def cuda_available() -> bool:
    """Whether PyTorch sees a GPU; without importing PyTorch where no NVIDIA driver is installed (a plain CPU
    machine: a second of start-up saved)."""
    if not os.path.exists("/proc/driver/nvidia/version") and not shutil.which("nvidia-smi"):
        return False
    import torch

    return torch.cuda.is_available()


def cpu_threads() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def resolve_device(device: str | None) -> str:
    """'cpu' or 'cuda'; auto = CUDA when PyTorch sees a GPU."""
    device = (device or "auto").lower()
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, not {device!r}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise ValueError("--device cuda: PyTorch sees no CUDA GPU here (this build or this machine has none)")
    return device


def _model_key() -> str:
    """Changes with the weights file, this library, the int8 recipe and OpenVINO: a cached model is never stale."""
    import openvino

    checkpoint = find_checkpoint()
    stat = checkpoint.stat()
    text = f"{checkpoint.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{__version__}:{QUANTIZATION_RECIPE}:{openvino.__version__}"
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class OpenVINORuntime:
    """Compiled per frame count (TF 'SAME' padding makes the graph depend on it); the converted model is
    cached under $VIDSEARCH_CACHE (default ~/.cache/vidsearch)/openvino/KEY/, built on first use."""

    name = "openvino"

    def __init__(self, precision: str, feature: Feature, threads: int | None = None):
        if precision not in ("fp32", "bf16", "int8"):
            raise ValueError(f"OpenVINO runs fp32, bf16 or int8, not {precision}")
        import openvino

        self.precision, self.feature, self.core = precision, feature, openvino.Core()
        self.threads = threads or cpu_threads()
        self.folder = environment.cache_dir() / "openvino" / _model_key()
        self._compiled: dict[tuple[int, int], object] = {}
        self.build_seconds = 0.0  # time spent converting / quantizing in this process (0: came from the cache)

    def _path(self, frames: int, size: int) -> Path:
        """`frames` 0: the streamed network (any multiple of 8 frames, `stream.py`); `size`: the crop (224 is the
        network's own; the name of a model built for it has no size, as before)."""
        blocks = "-".join(b.replace("Mixed_", "") for b in self.feature.blocks)
        shape = (f"t{frames}" if frames else "stream") + ("" if size == 224 else f"-s{size}")
        return self.folder / f"i3d-{shape}-{blocks}-{'int8' if self.precision == 'int8' else 'fp32'}.xml"

    def _build(self, frames: int, size: int) -> Path:
        import openvino
        import torch

        from .torch_runtime import Pooled, Streamed
        from .weights import load_i3d

        start = time.perf_counter()
        if frames:
            network, shape = Pooled(load_i3d(), self.feature), (-1, 3, frames, size, size)
        else:  # TF 'SAME' padding is the same for every multiple of 8 frames: one graph, any length
            network, shape = Streamed(load_i3d(), self.feature), (1, 3, -1, size, size)
        example = torch.zeros(1, 3, frames or 2 * ALIGN, size, size)
        with warnings.catch_warnings():
            # the trace reads the feature map's size as Python ints (TracerWarning): harmless, since a model
            # is built for one frame count (or multiples of 8) and one crop, the only shapes it is given
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            model = openvino.convert_model(network.eval(), example_input=example, input=[shape])
        if self.precision == "int8":
            model = _quantize(model, frames or 2 * ALIGN, size)
        target = self._path(frames, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.stem}.{os.getpid()}.xml")
        openvino.save_model(model, temporary, compress_to_fp16=False)
        temporary.with_suffix(".bin").replace(target.with_suffix(".bin"))
        temporary.replace(target)  # the .xml last: a complete pair or nothing, even if killed
        self.build_seconds += time.perf_counter() - start
        return target

    def compiled(self, frames: int, size: int):
        if (frames, size) not in self._compiled:
            path = self._path(frames, size)
            if not path.exists() or not path.with_suffix(".bin").exists():
                path = self._build(frames, size)
            config = {"INFERENCE_NUM_THREADS": self.threads, "PERFORMANCE_HINT": "LATENCY"}
            if self.precision != "int8":
                config["INFERENCE_PRECISION_HINT"] = "bf16" if self.precision == "bf16" else "f32"
            self._compiled[(frames, size)] = self.core.compile_model(self.core.read_model(path), "CPU", config)
        return self._compiled[(frames, size)]

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out = self.compiled(x.shape[2], x.shape[3])(np.ascontiguousarray(x, dtype=np.float32))
        return np.asarray(out[0]), np.asarray(out[1])

    def stream(self, x: np.ndarray) -> list[np.ndarray]:
        """A chunk's per-step maps (`torch_runtime.Streamed`)."""
        out = self.compiled(0, x.shape[3])(np.ascontiguousarray(x, dtype=np.float32))
        return [np.asarray(out[i]) for i in range(len(out))]


def _quantize(model, frames: int, size: int):
    """Post-training int8 (NNCF) calibrated on synthetic clips rendered here: nothing is downloaded."""
    import logging

    import av
    import nncf

    nncf.set_log_level(logging.ERROR)  # its INFO lines go to stdout: a `--json` output must stay JSON

    from ..datasets.synthetic import MOTIONS, random_spec, render
    from ..video.transform import short_side, to_model_frame

    rng = np.random.default_rng(0)
    clips = []
    for i in range(CALIBRATION_CLIPS):
        spec = random_spec(MOTIONS[i % len(MOTIONS)], rng, seconds=(2.0, 3.0), sizes=(240, 320))
        rendered = list(render(spec))
        picks = np.linspace(0, len(rendered) - 1, frames).round().astype(int)
        clip = np.stack([to_model_frame(av.VideoFrame.from_ndarray(rendered[j], format="rgb24"), short_side(size), size)
                         for j in picks])
        clips.append((clip.astype(np.float32)[None].transpose(0, 4, 1, 2, 3) / 127.5 - 1.0).astype(np.float32))
    # PERFORMANCE (symmetric activations) + full bias correction: cosine to fp32 0.997 on real footage, where the
    # MIXED preset with fast bias correction gave 0.94-0.97 (measured, see docs/measured.md). The logits head (one
    # 1x1x1 conv, under 0.1 % of the arithmetic) and the averages after the network stay fp32: quantized, the
    # 400 logits fell on a few levels and the class probabilities flattened (the cricket clip: "playing
    # cricket" 0.51 instead of 0.99).
    return nncf.quantize(model, nncf.Dataset(clips), subset_size=len(clips),
                         preset=nncf.QuantizationPreset.PERFORMANCE, fast_bias_correction=False,
                         ignored_scope=nncf.IgnoredScope(patterns=[r".*\.logits\..*"], types=["ReduceMean"]))


def make_runtime(precision: str, feature: Feature, runtime: str | None = None, threads: int | None = None,
                 device: str = "cpu"):
    """A GPU runs PyTorch; a CPU runs OpenVINO unless told otherwise."""
    runtime = "torch" if device == "cuda" else runtime or default_runtime()
    if precision == "int8" and runtime != "openvino":
        raise ValueError("int8 runs on OpenVINO on the CPU: choose bf16 or fp32 here")
    if runtime == "openvino":
        return OpenVINORuntime(precision, feature, threads)
    from .torch_runtime import TorchRuntime

    return TorchRuntime(precision, feature, device, threads)
