"""Production ingest: parallel decoding, batched inference, bulk inserts, failure reports, resume."""

from .pipeline import Embedded, add_embedded, run_ingest
from .report import Failure, IndexReport, StrictModeError

__all__ = ["Embedded", "Failure", "IndexReport", "StrictModeError", "add_embedded", "run_ingest"]
