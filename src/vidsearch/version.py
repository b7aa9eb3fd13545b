"""The package version: stored in converted-model cache keys and shown by `--version`."""

__version__ = "0.7.0"
