import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from activelearn.errors import ConfigError, DataError
from activelearn.features.text_vectorizer import TextVectorizer, standardize, tokenize


def test_standardize_like_the_keras_tutorial():
    assert standardize("Great!<br />It's GOOD.") == "great it's good".replace("'", "")
    assert tokenize("  Hello,\tworld!\n\nA-B ") == ["hello", "world", "ab"]
    # ASCII-only lowercasing, as tf.strings.lower does by default
    assert tokenize("ÉCOLE École") == ["École", "École"]


def test_vocabulary_by_count_then_token_descending_like_keras():
    texts = ["The cat sat.", "the dog<br />sat!", "A cat"]
    vectorizer = TextVectorizer(max_tokens=6, sequence_length=5).fit(texts)
    # counts: the 2, cat 2, sat 2, dog 1, a 1; ties: reversed byte order
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "the", "sat", "cat", "dog"]
    ids = vectorizer.transform(["the cat and the DOG sat here", "cat", ""])
    assert ids.dtype == np.int64
    assert ids.tolist() == [[2, 4, 1, 2, 5], [4, 0, 0, 0, 0], [0, 0, 0, 0, 0]]


def test_truncates_keeping_the_first_tokens():
    vectorizer = TextVectorizer(max_tokens=10, sequence_length=3).fit(["a b c d e"])
    assert vectorizer.get_vocabulary() == ["", "[UNK]", "e", "d", "c", "b", "a"]
    assert vectorizer.fit_transform(["a b c d e"]).tolist() == [[6, 5, 4]]


def test_default_shape_and_vocabulary_cap():
    texts = [" ".join(f"w{i}" for i in range(k, k + 200)) for k in range(0, 4000, 100)]
    vectorizer = TextVectorizer().fit(texts)
    assert len(vectorizer.get_vocabulary()) == 3000
    assert vectorizer.transform(texts[:2]).shape == (2, 150)


def test_errors():
    with pytest.raises(NotFittedError):
        TextVectorizer().transform(["x"])
    with pytest.raises(ConfigError):
        TextVectorizer(max_tokens=2)
    with pytest.raises(DataError, match="not a single string"):
        TextVectorizer().fit("a text")
    with pytest.raises(DataError, match=r"positions \[1\]"):
        TextVectorizer().fit(["ok", None])


def test_tutorial_mode_keeps_br_as_a_token():
    assert tokenize("Fine.<br /><br />Ok", strip_html_breaks=False) == ["finebr", "br", "ok"]
    assert tokenize("Fine. <br /><br /> Ok", strip_html_breaks=False) == ["fine", "br", "br", "ok"]
    vectorizer = TextVectorizer(strip_html_breaks=False).fit(["a <br /> b"])
    assert "br" in vectorizer.get_vocabulary()
