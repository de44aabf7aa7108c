"""Learners: scikit-learn estimators as they are, plus PyTorch and Keras adapters."""

from activelearn.learners.base import Learner, can_embed, can_sample, fresh_copy

__all__ = ["Learner", "can_embed", "can_sample", "fresh_copy"]
