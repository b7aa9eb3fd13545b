"""Chooses the arithmetic the model runs in: the fastest the CPU runs natively that passes the quality bar.

Measured on this project's 2-core AVX-512 machines (benchmarks/embed_speed.py, docs/measured.md): OpenVINO int8 (NNCF,
calibrated on synthetic clips) 31 ms per 16-frame clip at cosine 0.996-0.999 to fp32, the same top-1 on `real`
and `copies` as bf16; bf16 52 ms (cosine 0.9998); fp32 155 ms. So auto = int8 where the CPU has VNNI (and
OpenVINO is there), else bf16 where it has native bf16 (AVX-512 BF16 / AMX), else fp32: emulated arithmetic
is slower than fp32.
"""

from __future__ import annotations

from functools import lru_cache

from .. import environment
from .runtime import cpu_threads

PRECISIONS = ("auto", "int8", "bf16", "fp32")


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    flags = _cpu_flags()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _cpuinfo(field: str) -> str:
    """The first `field` line of /proc/cpuinfo ("" where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith(field)), "")
    except OSError:
        return ""


def _cpu_flags() -> list[str]:
    return _cpuinfo("flags").split()


DECIDING_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def cpu_summary() -> dict:
    """The CPU's model name and the flags the precision is chosen on: what a speed figure must be quoted with."""
    flags = set(_cpu_flags())
    return {"model": _cpuinfo("model name"), "cores": cpu_threads(), "flags": [f for f in DECIDING_FLAGS if f in flags]}


@lru_cache(maxsize=1)
def cpu_has_native_int8() -> bool:
    """VNNI int8 dot products (AVX-512 VNNI, AVX-VNNI or AMX), and OpenVINO + NNCF to run them."""
    from importlib.util import find_spec

    has_vnni = bool({"avx512_vnni", "avx_vnni", "amx_int8"} & set(_cpu_flags()))
    return has_vnni and find_spec("openvino") is not None and find_spec("nncf") is not None


def resolve_precision(requested: str | None = None, device: str = "cpu", runtime: str = "openvino") -> str:
    """'int8', 'bf16' or 'fp32'. `requested` (or $VIDSEARCH_PRECISION) may force one; 'auto' asks the CPU
    (and the runtime: only OpenVINO runs int8)."""
    choice = (requested or environment.read(environment.PRECISION) or "auto").lower()
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {choice!r}")
    if choice == "auto":
        if device == "cuda":
            return "bf16"
        if runtime == "openvino" and cpu_has_native_int8():
            return "int8"
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return choice
