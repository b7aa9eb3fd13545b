"""Evaluation: the tutorial's metrics on labelled queries (evaluate), configurations compared with paired
bootstrap intervals (bench, intervals). Uses the engine; the faces call it."""
