"""Data: the pool, splits and loaders."""

from activelearn.data.pool import Pool

__all__ = ["Pool"]
