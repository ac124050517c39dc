"""The cascade's fast stage (classifier.py) defers to the shipped "none of these" rule.

The stage answers a text the TF-IDF gate passed on only when the shipped model would
not refuse it: its calibrated confidence is at least the stage's own threshold and the
rule's confidence threshold, and the text's fast-engine vector is at least as close to
a fast-engine label centroid as the `guard`, a level read off out-of-fold training
similarities. Any other text goes on to the main engine, so every refusal is the
shipped model's (docs/benchmarks.md, Triage, eighth round).
"""

from dataclasses import dataclass

import numpy as np

from deskline.triage.ml.ensemble import fit_stage


@dataclass(frozen=True)
class Stage:
    """A fitted fast stage: it answers where confidence >= `threshold` and similarity
    >= `guard` (None: no similarity check); `tolerance` is the share of out-of-fold
    answers it was allowed to lose."""

    threshold: float
    guard: float | None
    tolerance: float

    def answers(
        self, confidence: np.ndarray, similarity: np.ndarray | None, routed: np.ndarray
    ) -> np.ndarray:
        sure = np.asarray(routed, dtype=bool) & (np.asarray(confidence) >= self.threshold)
        if self.guard is not None and similarity is not None:
            sure &= np.asarray(similarity) >= self.guard
        return sure


def similarity_guard(fast_similarity: np.ndarray, share: float) -> float:
    """The fast-engine similarity under which `share` of the in-scope training texts
    fall (out of fold: each text against centroids of the other folds)."""
    return float(np.quantile(np.asarray(fast_similarity, dtype=np.float64), share))


# Tolerances tried when none is given, loosest first: 0.001 is the gate's and was the
# stage's before (seventh round).
TOLERANCES = (0.001, 0.0005, 0.00025, 0.0001, 0.0)


def fit(
    confidence: np.ndarray,
    fast_right: np.ndarray,
    full_right: np.ndarray,
    routed: np.ndarray,
    floor: float,
    guard: float | None,
    fast_similarity: np.ndarray | None,
    tolerance: float | None,
    main_share: float,
) -> Stage:
    """The stage's threshold by `ensemble.fit_stage` among the texts it may answer at
    all (routed by the gate, confident enough for the rule's `floor`, close enough to a
    fast centroid), never under the floor.

    Without a `tolerance`: the strictest of TOLERANCES whose stage leaves at most
    `main_share` of the texts to the main engine (its embedding is what sets the
    latency's tail), the loosest when none does. Every figure is out of fold."""
    routed = np.asarray(routed, dtype=bool)
    allowed = routed & (np.asarray(confidence) >= floor)
    if guard is not None and fast_similarity is not None:
        allowed &= np.asarray(fast_similarity) >= guard
    stages = [
        Stage(
            max(fit_stage(confidence, fast_right, full_right, allowed, t), float(floor)), guard, t
        )
        for t in (TOLERANCES if tolerance is None else (tolerance,))
    ]
    within = [
        stage
        for stage in stages
        if np.mean(routed & ~stage.answers(confidence, fast_similarity, routed)) <= main_share
    ]
    return within[-1] if within else stages[0]
