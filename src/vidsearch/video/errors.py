"""The one error a video that cannot be used raises, whatever went wrong with it."""

from __future__ import annotations

import errno
from pathlib import Path


class VideoDecodeError(Exception):
    """A video could not be turned into frames.

    `reason` is a short stable keyword (missing, empty, not_video, no_video_stream, no_frames, truncated,
    too_large, too_long, timeout, bad_name) that reports and tests can rely on; `cause` is the underlying error text.
    """

    def __init__(self, path: str | Path, reason: str, cause: str = ""):
        self.path, self.reason, self.cause = str(path), reason, cause
        super().__init__(f"{self.path}: {reason}" + (f" ({cause})" if cause else ""))

    def __reduce__(self):  # crosses process boundaries (decode workers)
        return (VideoDecodeError, (self.path, self.reason, self.cause))


def decoder_failure(path: str | Path, error: Exception) -> VideoDecodeError:
    """What FFmpeg's error means for a user: EPERM while decoding is FFmpeg failing to start a picture (a
    stream cut before its first keyframe), not a permission problem."""
    if getattr(error, "errno", None) == errno.EPERM:
        return VideoDecodeError(path, "no_frames", "no frame could be decoded (the stream may lack a keyframe)")
    return VideoDecodeError(path, "not_video", str(error))
