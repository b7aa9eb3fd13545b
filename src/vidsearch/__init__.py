"""vidsearch: reverse video search, offline on a CPU. decode -> I3D -> reduce -> Milvus -> search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .version import __version__
__all__ = ["__version__", "IndexReport", "IngestConfig", "ReduceConfig", "SearchResult", "Settings", "VideoSearch"]

if TYPE_CHECKING:
    from .config import IngestConfig, ReduceConfig, Settings
    from .engine import IndexReport, SearchResult, VideoSearch


def __getattr__(name: str):
    """Lazy: decode worker processes import `vidsearch.video` without paying for torch and pymilvus."""
    if name in ("IngestConfig", "ReduceConfig", "Settings"):
        from . import config

        return getattr(config, name)
    if name in ("IndexReport", "SearchResult", "VideoSearch"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'vidsearch' has no attribute {name!r}")
