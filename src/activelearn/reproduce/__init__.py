"""Reproductions of published active-learning examples, faithful and leakage-free."""
