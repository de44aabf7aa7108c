"""Query by committee (Seung, Opper & Sompolinsky 1992).

``samples[k]`` holds committee member k's class probabilities for the
candidates (K x N x C): bootstrap members, different learner types, or
:class:`activelearn.learners.committee.Committee`, whose
``predict_proba_samples`` returns exactly that. Both scores are linear in K.

* ``vote_entropy``: entropy of the members' hard votes (Dagan & Engelson
  1995, "Committee-Based Sampling for Training Probabilistic Classifiers").
  Coarse with few members: ties are broken by candidate order.
* ``kl_consensus``: mean KL divergence of each member from the consensus
  (the mean distribution) (McCallum & Nigam 1998). It equals BALD's
  mutual information computed from the same samples; it is computed here
  directly as a divergence.
"""

from __future__ import annotations

import numpy as np

from activelearn.errors import ConfigError
from activelearn.strategies.base import SAMPLES, ModelOutputs, ScoringStrategy
from activelearn.strategies.bayesian import mean_probabilities
from activelearn.strategies.registry import register
from activelearn.strategies.uncertainty import entropy_scores


def vote_entropy_scores(samples: np.ndarray) -> np.ndarray:
    """Entropy (nats) of the distribution of the members' predicted classes."""
    n_members, n_items, n_classes = samples.shape
    votes = np.zeros((n_items, n_classes))
    rows = np.arange(n_items)
    for sample in samples:
        votes[rows, sample.argmax(axis=1)] += 1
    return entropy_scores(votes / n_members)


def kl_consensus_scores(samples: np.ndarray) -> np.ndarray:
    """mean_k KL(p_k || mean_j p_j), 0 log 0 = 0."""
    consensus = mean_probabilities(samples)
    total = np.zeros(samples.shape[1])
    for sample in samples:
        # Where p_k > 0 the consensus is > 0 too, so the log ratio is finite.
        positive = sample > 0
        ratio = np.divide(sample, consensus, out=np.ones_like(consensus), where=positive)
        total += np.einsum("ij,ij->i", sample, np.log(ratio))
    return np.maximum(total / len(samples), 0.0)


class _CommitteeScore(ScoringStrategy):
    requires = frozenset({SAMPLES})

    def __init__(self, n_samples: int | None = None) -> None:
        """``n_samples``: Monte-Carlo passes or committee members to use; ``None`` takes
        every member of a committee, or the learner's default number of dropout passes."""
        if n_samples is not None and (isinstance(n_samples, bool) or n_samples < 2):
            raise ConfigError(f"n_samples must be at least 2 (or unset), got {n_samples!r}")
        self.n_samples = n_samples


@register
class VoteEntropy(_CommitteeScore):
    name = "vote_entropy"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return vote_entropy_scores(outputs.samples)


@register
class KLConsensus(_CommitteeScore):
    name = "kl_consensus"

    def score(self, outputs: ModelOutputs) -> np.ndarray:
        return kl_consensus_scores(outputs.samples)
