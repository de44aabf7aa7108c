"""Hand-computed examples: each strategy picks what its paper says it should."""

from __future__ import annotations

import numpy as np
import pytest
from strategy_outputs import softmax

from activelearn.errors import ConfigError, ModelOutputError
from activelearn.strategies import ModelOutputs, make_strategy
from activelearn.strategies.allocation import allocate
from activelearn.strategies.badge import gradient_factors, squared_distances_to
from activelearn.strategies.base import MissingOutputError
from activelearn.strategies.bayesian import bald_scores, mean_std_scores, variation_ratio_scores
from activelearn.strategies.coldstart import select_initial
from activelearn.strategies.committee import kl_consensus_scores, vote_entropy_scores
from activelearn.strategies.density import mean_cosine_similarity
from activelearn.strategies.geometry import min_squared_distances


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def pick(name: str, outputs: ModelOutputs, n: int, seed: int = 0, **params) -> list[int]:
    return make_strategy(name, **params).query(outputs, n, rng(seed)).indices.tolist()


# Item 0 has two tied top classes; item 1 is flatter but its top two differ by 0.1.
THREE = np.array([[0.45, 0.45, 0.10], [0.40, 0.30, 0.30], [0.90, 0.05, 0.05]])


def test_least_confidence_and_entropy_prefer_the_flat_item_margin_the_tie() -> None:
    outputs = ModelOutputs(probabilities=THREE)
    assert pick("least_confidence", outputs, 1) == [1]  # 1 - 0.40 > 1 - 0.45
    assert pick("entropy", outputs, 1) == [1]  # 1.089 nats > 0.949 nats
    assert pick("margin", outputs, 1) == [0]  # margin 0 < 0.1
    assert pick("margin", outputs, 3) == [0, 1, 2]


def test_ratio_splits_by_validation_errors_of_each_predicted_class() -> None:
    # Validation: 3 false positives (predicted 1, truly 0), 1 false negative.
    val_probs = np.array([[0.2, 0.8]] * 3 + [[0.7, 0.3]] + [[0.9, 0.1]] * 4)
    val_labels = np.array([0, 0, 0, 1, 0, 0, 0, 0])
    # Candidates 0-3 predicted negative, 4-7 predicted positive; uncertainty rises with index.
    p1 = np.array([0.05, 0.2, 0.3, 0.45, 0.95, 0.8, 0.7, 0.55])
    outputs = ModelOutputs(
        probabilities=np.column_stack([1 - p1, p1]),
        validation_labels=val_labels,
        validation_probabilities=val_probs,
    )
    query = make_strategy("ratio").query(outputs, 4, rng())
    assert sorted(query.indices.tolist()) == [3, 5, 6, 7]  # 1 negative, 3 positives
    assert "1, 3" in query.notes[-1]


def test_ratio_maps_labels_through_classes() -> None:
    outputs = ModelOutputs(
        probabilities=np.array([[0.6, 0.4], [0.4, 0.6], [0.9, 0.1]]),
        validation_labels=np.array(["neg", "pos"]),
        validation_probabilities=np.array([[0.3, 0.7], [0.2, 0.8]]),  # one false positive
        classes=np.array(["neg", "pos"]),
    )
    assert pick("ratio", outputs, 1) == [1]
    bad = ModelOutputs(
        probabilities=outputs.probabilities,
        validation_labels=np.array(["neg", "maybe"]),
        validation_probabilities=outputs.validation_probabilities,
        classes=outputs.classes,
    )
    with pytest.raises(ModelOutputError, match="maybe"):
        pick("ratio", bad, 1)


def test_mix_takes_the_base_share_first_then_distinct_random_items() -> None:
    p = softmax(rng(1).normal(size=(50, 3)) * 3)
    outputs = ModelOutputs(probabilities=p)
    query = make_strategy("mix", base="margin", fraction=0.3).query(outputs, 10, rng())
    assert query.indices[:3].tolist() == pick("margin", outputs, 3)
    assert len(set(query.indices.tolist())) == 10
    assert np.isnan(query.scores[3:]).all()
    with pytest.raises(ConfigError):
        make_strategy("mix", fraction=1.5)


def committee_disagreeing_on_item_2() -> np.ndarray:
    agree = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.7, 0.3]])
    members = np.stack([agree, agree.copy(), agree.copy()])
    members[:, 2] = [[0.9, 0.1], [0.1, 0.9], [0.8, 0.2]]
    return members


@pytest.mark.parametrize("name", ["vote_entropy", "kl_consensus", "bald", "mean_std"])
def test_committee_and_bayesian_scores_pick_the_disputed_item(name: str) -> None:
    assert pick(name, ModelOutputs(samples=committee_disagreeing_on_item_2()), 1) == [2]


def test_vote_entropy_and_kl_by_hand() -> None:
    samples = committee_disagreeing_on_item_2()
    votes = vote_entropy_scores(samples)
    np.testing.assert_allclose(votes, [0, 0, -(2 / 3) * np.log(2 / 3) - np.log(1 / 3) / 3, 0])
    # Item 3: all members agree, so no divergence; item 2 by hand:
    consensus = samples[:, 2].mean(axis=0)
    by_hand = np.mean([np.sum(p * np.log(p / consensus)) for p in samples[:, 2]])
    np.testing.assert_allclose(kl_consensus_scores(samples), [0, 0, by_hand, 0], atol=1e-12)


def test_bald_mean_std_and_variation_ratios_match_their_formulas() -> None:
    # Item 0: two confident samples that disagree; item 1: two agreeing coin flips.
    samples = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]])
    np.testing.assert_allclose(bald_scores(samples), [np.log(2), 0.0], atol=1e-12)
    np.testing.assert_allclose(variation_ratio_scores(samples), [0.5, 0.5])
    np.testing.assert_allclose(mean_std_scores(samples), [0.5, 0.0])
    samples = np.array([[[0.2, 0.8]], [[0.6, 0.4]]])
    np.testing.assert_allclose(mean_std_scores(samples), [0.2])


def test_mean_kl_to_consensus_is_bald() -> None:
    samples = softmax(rng(2).normal(size=(5, 30, 4)) * 2)
    np.testing.assert_allclose(kl_consensus_scores(samples), bald_scores(samples), atol=1e-10)


def test_coreset_on_a_line_picks_the_farthest_point_each_time() -> None:
    line = np.array([[1.0], [2.0], [3.0], [10.0]])
    outputs = ModelOutputs(embeddings=line, labeled_embeddings=np.array([[0.0]]))
    query = make_strategy("coreset").query(outputs, 3, rng())
    assert query.indices.tolist() == [3, 2, 0]  # 10 (radius 10), 3 (radius 3), then 1 vs 2 tie
    np.testing.assert_allclose(query.scores, [10.0, 3.0, 1.0])


def test_coreset_never_repeats_duplicates() -> None:
    outputs = ModelOutputs(embeddings=np.zeros((4, 2)), labeled_embeddings=np.zeros((1, 2)))
    assert sorted(pick("coreset", outputs, 4)) == [0, 1, 2, 3]


def test_blocked_min_distances_equal_the_explicit_matrix() -> None:
    X, Y = rng(3).normal(size=(7, 3)), rng(4).normal(size=(5, 3))
    explicit = ((X[:, None] - Y[None]) ** 2).sum(-1).min(1)
    np.testing.assert_allclose(min_squared_distances(X, Y, block=2), explicit, rtol=1e-5)


def two_clusters() -> np.ndarray:
    """Ten points around (0, 0), five around (10, 10); each cluster's centre is a member."""
    offsets = rng(5).normal(size=(15, 2)) * 0.3
    offsets[0] = offsets[10] = 0.0
    return np.vstack([offsets[:10], offsets[10:] + 10.0])


@pytest.mark.parametrize("name", ["typiclust", "kmeans"])
def test_representative_strategies_take_each_cluster_centre(name: str) -> None:
    X = two_clusters()
    outputs = ModelOutputs(embeddings=X, labeled_embeddings=X[:0])  # nothing labeled yet
    assert sorted(pick(name, outputs, 2)) == [0, 10]


def test_typiclust_starts_with_the_biggest_cluster_and_avoids_labeled_regions() -> None:
    X = two_clusters()
    assert pick("typiclust", ModelOutputs(embeddings=X, labeled_embeddings=X[:0]), 1) == [0]
    covered = ModelOutputs(embeddings=X, labeled_embeddings=np.array([[0.1, 0.0]]))
    assert pick("typiclust", covered, 1) == [10]


def test_probcover_covers_the_densest_ball_first() -> None:
    X = two_clusters()
    outputs = ModelOutputs(embeddings=X, labeled_embeddings=X[:0])
    query = make_strategy("probcover", radius=2.0).query(outputs, 3, rng())
    assert query.indices[0] < 10 and query.indices[1] >= 10
    assert query.scores.tolist() == [10.0, 5.0, 0.0]
    assert any("random" in note for note in query.notes)


def test_badge_factored_distances_equal_explicit_gradient_embeddings() -> None:
    p = softmax(rng(6).normal(size=(6, 3)))
    h = rng(7).normal(size=(6, 4)).astype(np.float32)
    a = gradient_factors(p)
    g = np.einsum("ic,id->icd", a, h).reshape(6, -1)  # the explicit N x (C*D) embedding
    norms = (g**2).sum(1)
    for j in range(6):
        explicit = ((g - g[j]) ** 2).sum(1)
        np.testing.assert_allclose(squared_distances_to(a, h, norms, j), explicit, atol=1e-5)
    first = pick("badge", ModelOutputs(probabilities=p, embeddings=h), 1)
    assert first == [int(np.argmax(norms))]


def test_cluster_margin_takes_the_most_uncertain_of_each_cluster() -> None:
    X = two_clusters()
    p1 = np.linspace(0.99, 0.6, 15)  # uncertainty grows with index inside each cluster
    outputs = ModelOutputs(probabilities=np.column_stack([1 - p1, p1]), embeddings=X)
    assert sorted(pick("cluster_margin", outputs, 2, candidates_factor=10)) == [9, 14]


def test_information_density_uses_the_exact_mean_cosine_similarity() -> None:
    X = rng(8).normal(size=(9, 5))
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    np.testing.assert_allclose(mean_cosine_similarity(X), (unit @ unit.T).mean(1), atol=1e-6)
    # Same uncertainty everywhere: the item most similar to the pool wins.
    outputs = ModelOutputs(probabilities=np.full((9, 2), 0.5), embeddings=X)
    assert pick("information_density", outputs, 1) == [int(np.argmax(mean_cosine_similarity(X)))]


def test_stochastic_power_never_picks_zero_scores_while_others_remain() -> None:
    p = np.array([[1.0, 0.0], [0.6, 0.4], [1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    outputs = ModelOutputs(probabilities=p)
    for seed in range(20):
        assert sorted(pick("stochastic", outputs, 2, seed=seed)) == [1, 3]
    with pytest.raises(ConfigError, match="scores every candidate"):
        make_strategy("stochastic", base="coreset")


def test_stochastic_softmax_with_huge_beta_is_top_k() -> None:
    p = softmax(rng(9).normal(size=(40, 3)) * 3)
    outputs = ModelOutputs(probabilities=p)
    sampled = pick("stochastic", outputs, 5, mode="softmax", beta=1e6)
    assert sorted(sampled) == sorted(pick("entropy", outputs, 5))


def test_class_balanced_gives_each_predicted_class_its_share() -> None:
    p1 = np.array([0.1, 0.2, 0.3, 0.4, 0.45, 0.35, 0.25, 0.15, 0.9, 0.6])  # 8 negatives
    outputs = ModelOutputs(probabilities=np.column_stack([1 - p1, p1]))
    assert sorted(pick("class_balanced", outputs, 4)) == [3, 4, 8, 9]
    assert sorted(pick("margin", outputs, 4)) == [3, 4, 5, 9]


def test_subsample_says_so_and_nearest_stays_near_the_labeled_set() -> None:
    X = two_clusters()
    outputs = ModelOutputs(
        probabilities=np.full((15, 2), 0.5), embeddings=X, labeled_embeddings=X[10:11]
    )
    query = make_strategy("subsample", base="random", size=5, method="nearest", neighbors=5).query(
        outputs, 3, rng()
    )
    assert set(query.indices.tolist()) <= set(range(10, 15))
    assert "5 of 15" in query.notes[-1]


def test_select_initial_draws_a_seed_from_embeddings_alone() -> None:
    X = two_clusters()
    for method in ("typiclust", "probcover", "kmeans", "coreset", "random"):
        seed = select_initial(X, 4, rng(), method=method)
        assert len(set(seed.tolist())) == 4
    with pytest.raises(ConfigError):
        select_initial(X, 4, rng(), method="margin")


def test_missing_embeddings_say_how_to_get_them() -> None:
    with pytest.raises(MissingOutputError, match="embed"):
        pick("coreset", ModelOutputs(probabilities=THREE), 1)
    with pytest.raises(MissingOutputError, match="predict_proba_samples"):
        pick("bald", ModelOutputs(probabilities=THREE), 1)


def test_invalid_inputs_are_reported() -> None:
    with pytest.raises(ModelOutputError, match="sum to 1"):
        pick("margin", ModelOutputs(probabilities=np.array([[0.5, 0.6]])), 1)
    with pytest.raises(ModelOutputError, match="K x N x C"):
        pick("bald", ModelOutputs(probabilities=THREE, samples=np.full((2, 4, 3), 1 / 3)), 1)
    with pytest.raises(ModelOutputError, match="labeled embeddings"):
        pick(
            "coreset",
            ModelOutputs(embeddings=np.zeros((3, 2)), labeled_embeddings=np.zeros((1, 5))),
            1,
        )
    nan_row = np.zeros((3, 2))
    nan_row[2, 1] = np.nan
    with pytest.raises(ModelOutputError, match="NaN"):
        pick("kmeans", ModelOutputs(embeddings=nan_row), 1)
    with pytest.raises(ConfigError, match="unknown strategy"):
        make_strategy("nope")


@pytest.mark.parametrize(
    ("weights", "n", "capacities", "expected"),
    [
        ([3, 1], 4, [10, 10], [3, 1]),
        ([1, 1, 1], 4, [10, 10, 10], [2, 1, 1]),
        ([3, 1], 4, [1, 10], [1, 3]),
        ([0, 0], 3, [1, 5], [1, 2]),
        ([1, 0], 3, [1, 5], [1, 2]),
    ],
)
def test_allocate(weights, n, capacities, expected) -> None:
    assert allocate(np.array(weights), n, np.array(capacities)).tolist() == expected


def test_ties_at_the_cut_are_broken_at_random_not_by_position():
    """A model unsure of everything ties every score; a pool sorted by class must not
    make the batch one class (it did, with ties broken by lowest index)."""
    from activelearn.strategies.base import top_k

    scores = np.full(1000, 0.5)
    scores[[3, 700]] = 0.9
    picks = [top_k(scores, 10, np.random.default_rng(seed)) for seed in range(2)]
    for chosen in picks:
        assert chosen[:2].tolist() in ([3, 700], [700, 3])
        assert len(set(chosen.tolist())) == 10
        assert (chosen[2:] >= 10).any()  # not simply the lowest positions
    assert set(picks[0]) != set(picks[1])
    same_seed = top_k(scores, 10, np.random.default_rng(0))
    assert same_seed.tolist() == picks[0].tolist()


def test_entropy_separates_rows_that_float32_would_tie():
    p = np.array([0.5, 0.5 + 2**-20, 0.5 + 2**-19], dtype=np.float32)
    probabilities = np.column_stack([1 - p, p])
    scores = make_strategy("entropy").query(
        ModelOutputs(probabilities=probabilities), 3, np.random.default_rng(0)
    )
    assert scores.indices.tolist() == [0, 1, 2]


def eager_k_center(X: np.ndarray, labeled: np.ndarray, n: int) -> list[int]:
    """The textbook loop: recompute every distance to the cover before each pick."""
    cover = list(labeled)
    picks: list[int] = []
    for _ in range(n):
        d = ((X[:, None] - np.array(cover)[None]) ** 2).sum(-1).min(1)
        d[picks] = -1
        picks.append(int(d.argmax()))
        cover.append(X[picks[-1]])
    return picks


@pytest.mark.parametrize("block_rows", [1, 7, 64, 4096])
def test_lazy_k_center_picks_what_the_eager_loop_picks(block_rows: int) -> None:
    from activelearn.strategies.coreset import k_center_greedy

    gen = rng(10)
    centres = gen.normal(size=(6, 5)) * 5  # clustered, so many blocks keep their bound
    X = (centres[gen.integers(6, size=300)] + gen.normal(size=(300, 5))).astype(np.float32)
    labeled = X[:4] + 0.01
    lazy, _ = k_center_greedy(X, labeled, 40, rng(), block_rows=block_rows)
    assert lazy.tolist() == eager_k_center(X.astype(np.float64), labeled, 40)
    # With nothing labeled, the random first pick is followed by the same greedy picks.
    lazy, radii = k_center_greedy(X, X[:0], 10, rng(), block_rows=block_rows)
    cover_from = eager_k_center(X.astype(np.float64), X[lazy[:1]].astype(np.float64), 9)
    assert lazy[1:].tolist() == cover_from and np.isinf(radii[0])


def test_mean_knn_distance_matches_scikit_learn() -> None:
    from sklearn.neighbors import NearestNeighbors

    from activelearn.strategies.geometry import mean_knn_distance

    X = rng(11).normal(size=(50, 3)).astype(np.float32)
    distances, _ = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X)
    np.testing.assert_allclose(
        mean_knn_distance(X, 5, block=16), distances[:, 1:].mean(1), rtol=1e-4
    )


def test_auto_mixes_in_random_picks_until_the_warm_up_is_over():
    p1 = np.linspace(0.01, 0.99, 200)
    outputs = ModelOutputs(probabilities=np.column_stack([1 - p1, p1]), classes=np.array([0, 1]))
    strategy = make_strategy("auto", warmup=300)
    outputs.n_labeled = 100
    young = strategy.query(outputs, 20, np.random.default_rng(0))
    assert np.isnan(young.scores).sum() == 10 and "warm-up (100 of 300 labels)" in young.notes[-1]
    outputs.n_labeled = 300
    grown = strategy.query(outputs, 20, np.random.default_rng(0))
    margin = make_strategy("margin").query(outputs, 20, np.random.default_rng(0))
    np.testing.assert_array_equal(grown.indices, margin.indices)
    default = make_strategy("auto")  # a warm-up of 300 labels
    assert default.query(outputs, 5, np.random.default_rng(0)).notes == ()
    outputs.n_labeled = 299
    assert "warm-up (299 of 300" in default.query(outputs, 5, np.random.default_rng(0)).notes[-1]


@pytest.mark.parametrize(
    "params", [{"warmup": "x"}, {"warmup": -1}, {"warmup": 2.5}, {"warmup_share": 2}]
)
def test_auto_refuses_a_bad_warm_up_in_its_own_words(params):
    with pytest.raises(ConfigError, match="auto's warmup"):
        make_strategy("auto", **params)
