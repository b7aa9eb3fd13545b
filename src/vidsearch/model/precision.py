"""Chooses the arithmetic the model runs in: bf16 where the CPU has native bf16, fp32 elsewhere.

bf16 on an AVX-512 BF16 / AMX CPU embeds a clip ~3x faster than fp32 with cosine ~0.9998 to the fp32
embedding (benchmarks/embed_speed.py); on CPUs without it bf16 is emulated and slower, so fp32 wins.
int8 (OpenVINO + NNCF post-training quantization) is offered but never chosen by `auto`: on I3D it misses the
quality bar (cosine to fp32 ~0.95 < 0.99) for little more speed than bf16 (benchmarks/embed_speed.py).
"""

from __future__ import annotations

import os
from functools import lru_cache

PRECISIONS = ("auto", "int8", "bf16", "fp32")
PRECISION_ENV = "VIDSEARCH_PRECISION"


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(requested: str | None = None, device: str = "cpu") -> str:
    """'int8', 'bf16' or 'fp32'. `requested` (or $VIDSEARCH_PRECISION) may force one; 'auto' asks the CPU."""
    choice = (requested or os.environ.get(PRECISION_ENV) or "auto").lower()
    if choice not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {choice!r}")
    if choice == "auto":
        return "bf16" if device == "cuda" or cpu_has_native_bf16() else "fp32"
    return choice
