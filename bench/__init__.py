"""Solver benchmark: ``python -m bench`` (see ``bench.__main__``)."""
