"""What `vidsearch serve` is configured with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ServerConfig:
    token: str | None = None  # required (Bearer) by the write endpoints when set
    max_upload_bytes: int = 200 << 20
    data_dir: Path = field(default_factory=lambda: Path("vidsearch-server"))  # uploads and previews

    def __post_init__(self):
        if self.max_upload_bytes < 1:
            raise ValueError(f"the upload limit must be at least 1 byte, not {self.max_upload_bytes}")
        if self.token is not None and not self.token.strip():
            raise ValueError("the API token must not be empty")

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def previews(self) -> Path:
        return self.data_dir / "previews"
