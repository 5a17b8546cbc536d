"""The validators: one module per tool or format; validators.py runs them over a tree."""
