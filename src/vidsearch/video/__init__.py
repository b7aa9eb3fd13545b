"""Video decoding: files in, model-ready frames out (whole clips or streamed windows). Knows nothing of models
or stores."""

from .decode import Clip, DecodeOptions, decode_clip, uniform_positions
from .errors import VideoDecodeError
from .windows import VideoInfo, Window, WindowReader, read_windows

__all__ = ["Clip", "DecodeOptions", "VideoDecodeError", "VideoInfo", "Window", "WindowReader", "decode_clip",
           "read_windows", "uniform_positions"]
