"""Video decoding: files in, model-ready frames out. Knows nothing of models or stores."""

from .decode import Clip, DecodeOptions, decode_clip, uniform_positions
from .errors import VideoDecodeError

__all__ = ["Clip", "DecodeOptions", "VideoDecodeError", "decode_clip", "uniform_positions"]
