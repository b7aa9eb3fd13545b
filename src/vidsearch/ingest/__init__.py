"""Production ingest: parallel decoding, batched inference, bulk inserts, failure reports, resume."""

from .pipeline import IngestEvents, add_embedded, embed_windows, run_ingest
from .report import Failure, FailurePolicy, IndexReport, StrictModeError

__all__ = ["Failure", "FailurePolicy", "IndexReport", "IngestEvents", "StrictModeError", "add_embedded", "embed_windows",
           "run_ingest"]
