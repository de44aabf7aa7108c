import numpy as np
import pytest
from sklearn.datasets import make_classification


@pytest.fixture
def blobs():
    """A small binary problem: (X_pool, y_pool, X_test, y_test)."""
    X, y = make_classification(
        n_samples=1200, n_features=10, n_informative=4, class_sep=0.8, random_state=0
    )
    return X[:900], y[:900], X[900:], y[900:]


@pytest.fixture
def rng():
    return np.random.default_rng(0)
