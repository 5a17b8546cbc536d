"""One renderer per target: pure functions from the model (and settings) to plain data."""
