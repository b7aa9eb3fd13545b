"""vidsearch: reverse video search, offline on a CPU. decode -> I3D -> reduce -> Milvus -> search."""

from .config import ReduceConfig, Settings
from .engine import IndexReport, SearchResult, VideoSearch

__all__ = ["IndexReport", "ReduceConfig", "SearchResult", "Settings", "VideoSearch"]
__version__ = "0.1.0"
