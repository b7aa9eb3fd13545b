"""What an ingest run tells its caller: counts, rate and every failure with its stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..sources import shown


@dataclass
class Failure:
    path: str
    stage: str  # open | decode | embed | store
    error: str  # exception type, e.g. VideoDecodeError
    message: str
    reason: str = ""  # VideoDecodeError's keyword (not_video, truncated, ...), for callers that branch on it

    def to_json(self) -> dict:
        return {"path": self.path, "stage": self.stage, "error": self.error, "reason": self.reason,
                "message": self.message}


def failure_of(path: Path | str, stage: str, error: BaseException) -> Failure:
    """A failure as it can be printed and sent as JSON (a file name that is not UTF-8 shown as \\xNN)."""
    return Failure(shown(path), stage, type(error).__name__, shown(error), getattr(error, "reason", ""))


class StrictModeError(RuntimeError):
    """--strict: the first failure ends the run."""

    def __init__(self, failure: Failure):
        self.failure = failure
        super().__init__(f"stopped at the first failure (--strict): [{failure.stage}] {failure.path}: {failure.message}")


@dataclass(frozen=True)
class FailurePolicy:
    """What a failed video does to the run: it is reported and the run goes on, or (strict) the run stops."""

    strict: bool = False

    def handle(self, failure: Failure) -> None:
        if self.strict:
            raise StrictModeError(failure)


@dataclass
class IndexReport:
    indexed: int = 0
    skipped: int = 0  # already in the collection, unchanged
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    total: int = 0
    removed: int = 0  # --prune: entries whose files are gone
    problems: list[str] = field(default_factory=list)  # what failed after the videos were stored (their index saved)

    @property
    def complete(self) -> bool:
        """Every video stored and everything after it done: anything else is a partial run (exit 3)."""
        return not self.failed and not self.problems

    @property
    def rate(self) -> float:
        return self.indexed / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        return {
            "total": self.total, "indexed": self.indexed, "skipped": self.skipped, "removed": self.removed,
            "failed": [f.to_json() for f in self.failed], "problems": self.problems, "seconds": round(self.seconds, 3),
            "clips_per_second": round(self.rate, 3),
        }
