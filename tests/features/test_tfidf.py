import numpy as np
import pytest
import scipy.sparse as sp

from activelearn.errors import DataError
from activelearn.features.tfidf import TfidfFeaturizer


def test_bigrams_min_df_and_float32_csr():
    texts = ["good movie", "bad movie", "good plot", "bad plot twist"]
    featurizer = TfidfFeaturizer().fit(texts)
    vocabulary = featurizer.vectorizer.vocabulary_
    assert set(vocabulary) == {"good", "bad", "movie", "plot"}  # min_df=2 drops the rest
    X = featurizer.transform(["good good movie", "unseen words"])
    assert sp.isspmatrix_csr(X) and X.dtype == np.float32 and X.shape == (2, 4)
    assert X[1].nnz == 0
    row = X[0].toarray().ravel()
    assert np.isclose(np.linalg.norm(row), 1)
    # sublinear tf: "good" twice weighs (1 + ln 2) times its idf, not 2 times
    good, movie = vocabulary["good"], vocabulary["movie"]
    assert np.isclose(row[good] / row[movie], 1 + np.log(2), rtol=1e-5)


def test_bigrams_are_kept_when_frequent():
    featurizer = TfidfFeaturizer(min_df=1).fit(["not good", "not good at all"])
    assert "not good" in featurizer.vectorizer.vocabulary_


def test_no_words_left_is_a_data_error():
    with pytest.raises(DataError, match="needs at least 2 texts"):
        TfidfFeaturizer().fit(["one text only"])


def test_shared_words_only_is_a_data_error_too():
    with pytest.raises(DataError, match="no usable words"):
        TfidfFeaturizer().fit(["alpha beta", "gamma delta"])
