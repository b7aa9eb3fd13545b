"""Where one video's picture lies in another's: a similarity transform (scale, rotation, shift, and a mirror)
found from ORB keypoints matched between frames, kept only when enough matches agree (RANSAC).

A copy re-uploaded as a picture-in-picture, a 9:16 reframe, a crop, a phone turned by 90°, a tilt, a border
or a caption still shows its source's picture somewhere in its frame, scaled and turned: the matched keypoints
say where. The frame check (footage.py) then compares the two videos' changes over that common region instead
of trying crop hypotheses blindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

FEATURES = 500  # ORB keypoints a frame
RATIO = 0.8  # Lowe's ratio test on the two nearest descriptors
MIN_INLIERS = 12  # matches that must agree for a transform to be believed
SURE_INLIERS = 60  # ... and so many that the mirrored frames need not be tried
MIN_BOX = 12  # pixels each way of a's frame that b's picture must cover to be compared
INLIER_PIXELS = 4.0  # RANSAC reprojection tolerance, in pixels of the frames matched
MIN_SCALE, MAX_SCALE = 0.15, 6.0  # a transform scaling outside these is a chance fit


@dataclass(frozen=True)
class Registration:
    """Maps points of frame a to frame b: b = matrix @ [x', y', 1], where x' is x mirrored (width - 1 - x)
    when `mirrored`; `inliers` matches agreed."""

    matrix: np.ndarray  # 2 x 3, similarity
    mirrored: bool
    inliers: int

    def at_width(self, factor: float) -> Registration:
        """The same transform for both frames resized by `factor` (the shift scales, the rest holds)."""
        matrix = self.matrix.copy()
        matrix[:, 2] *= factor
        return Registration(matrix, self.mirrored, self.inliers)

    @property
    def scale(self) -> float:
        return float(np.sqrt(abs(np.linalg.det(self.matrix[:, :2]))))


def _orb() -> cv2.ORB:
    return cv2.ORB_create(nfeatures=FEATURES, fastThreshold=10, edgeThreshold=15, patchSize=15)


def describe(frame: np.ndarray, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """ORB keypoints of a grey frame (mirrored first, when asked): their positions and descriptors."""
    points, descriptors = _orb().detectAndCompute(np.ascontiguousarray(frame[:, ::-1] if mirrored else frame), None)
    return np.float32([p.pt for p in points]).reshape(-1, 2), descriptors


Describe = Callable[[np.ndarray, bool], tuple[np.ndarray, np.ndarray | None]]


def register(frames_a: list[np.ndarray], frames_b: list[np.ndarray], described: Describe = describe
             ) -> Registration | None:
    """The similarity transform from a's picture to b's that most matched keypoints agree on, over the pairs
    (frames_a[i], frames_b[i]) together (a copy's geometry does not change along it), a mirrored too; None
    when fewer than MIN_INLIERS agree. Frames are grey, any sizes (each video's own). `described`: `describe`,
    or one that remembers frames seen before."""
    if not frames_a or not frames_b:
        return None
    described_b = [described(f, False) for f in frames_b]
    best: Registration | None = None
    for mirrored in (False, True):
        src, dst = [], []
        for frame_a, (points_b, desc_b) in zip(frames_a, described_b):
            points_a, desc_a = described(frame_a, mirrored)
            if desc_a is None or desc_b is None or len(desc_a) < 2 or len(desc_b) < 2:
                continue
            pairs = [p for p in cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc_a, desc_b, k=2) if len(p) == 2]
            good = [p[0] for p in pairs if p[0].distance < RATIO * p[1].distance]
            src += [points_a[m.queryIdx] for m in good]
            dst += [points_b[m.trainIdx] for m in good]
        if len(src) < MIN_INLIERS:
            continue
        matrix, inliers = cv2.estimateAffinePartial2D(np.float32(src), np.float32(dst), method=cv2.RANSAC,
                                                      ransacReprojThreshold=INLIER_PIXELS, maxIters=2000)
        if matrix is None:
            continue
        found = Registration(matrix, mirrored, int(inliers.sum()))
        if found.inliers >= MIN_INLIERS and MIN_SCALE <= found.scale <= MAX_SCALE and (
                best is None or found.inliers > best.inliers):
            best = found
            if best.inliers >= SURE_INLIERS:  # no mirror image will do better
                break
    return best


def _forward(registration: Registration, width_a: int) -> np.ndarray:
    """3 x 3: a's pixels (unmirrored) to b's."""
    forward = np.vstack([registration.matrix.astype(np.float64), [0, 0, 1]])
    if registration.mirrored:  # a's pixel x is the mirrored frame's w - 1 - x
        forward = forward @ np.array([[-1.0, 0, width_a - 1], [0, 1, 0], [0, 0, 1]])
    return forward


def covered_box(registration: Registration, shape_a: tuple[int, int], shape_b: tuple[int, int]
                ) -> tuple[slice, slice] | None:
    """The rows and columns of a's frame that b's picture covers (its bounding box), or None when that is
    under MIN_BOX pixels either way."""
    (h, w), (hb, wb) = shape_a, shape_b
    corners = np.array([[0, 0, 1], [wb - 1, 0, 1], [0, hb - 1, 1], [wb - 1, hb - 1, 1]], float).T
    xs, ys, _ = np.linalg.inv(_forward(registration, w)) @ corners
    left, right = max(0, int(np.ceil(xs.min()))), min(w - 1, int(np.floor(xs.max())))
    top, bottom = max(0, int(np.ceil(ys.min()))), min(h - 1, int(np.floor(ys.max())))
    if right - left + 1 < MIN_BOX or bottom - top + 1 < MIN_BOX:
        return None
    return slice(top, bottom + 1), slice(left, right + 1)


def drawn_over(frame_b: np.ndarray, registration: Registration, width_a: int, box: tuple[slice, slice],
               size: int) -> np.ndarray:
    """b's frame drawn over `box` of a's frame (a's picture as b shows it, unmirrored), `size` x `size`
    (float grey levels): sampled at twice that, then averaged."""
    rows, cols = box
    out = 2 * size
    sx, sy = (cols.stop - cols.start) / out, (rows.stop - rows.start) / out
    to_a = np.array([[sx, 0, cols.start + sx / 2 - 0.5], [0, sy, rows.start + sy / 2 - 0.5], [0, 0, 1]])
    to_b = (_forward(registration, width_a) @ to_a)[:2]
    drawn = cv2.warpAffine(frame_b, to_b, (out, out), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    return cv2.resize(drawn, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
