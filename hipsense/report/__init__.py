"""Presenting results: the terminal table of `hipsense analyze` (and, later, reports)."""
