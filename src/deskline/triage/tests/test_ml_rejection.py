"""Deciding "none of these" from confidence and embedding similarity: rules fitted
on training scores refuse what is far from every label and keep what is near one."""

import numpy as np
import pytest

from deskline.triage.ml import rejection


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_a_text_far_from_every_centroid_has_a_low_similarity():
    rng = np.random.default_rng(0)
    directions = _unit(rng.normal(size=(3, 16)))
    y = np.repeat(np.arange(3), 20)
    vectors = _unit(directions[y] + 0.2 * rng.normal(size=(60, 16)))
    centroids = rejection.centroids(vectors, y, 3)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, rtol=1e-5)
    near = rejection.nearest_similarity(_unit(directions + 0.1), centroids)
    # Orthogonal to all three label directions.
    basis = np.linalg.qr(np.vstack([directions, rng.normal(size=(1, 16))]).T)[0][:, 3]
    far = rejection.nearest_similarity(_unit(basis[None, :]), centroids)
    assert near.min() > 0.8 and far[0] < 0.2


def test_either_rule_refuses_the_given_share_of_training_texts():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.3, 1.0, 2000)
    similarity = rng.uniform(0.6, 0.95, 2000)
    rule = rejection.fit_either(confidence, similarity, 0.02)
    refused = rule.refuse(confidence, similarity)
    assert rule.kind == "either"
    assert np.mean(refused) == pytest.approx(0.02, abs=0.002)
    # Either criterion alone refuses: a confident text far from every label, and an
    # unsure one near a label.
    low_similarity = rule.similarity - 0.01
    assert rule.refuse(np.array([0.99]), np.array([low_similarity]))[0]
    assert rule.refuse(np.array([rule.confidence - 0.01]), np.array([0.95]))[0]
    assert not rule.refuse(np.array([0.99]), np.array([0.95]))[0]
    # A text that was not embedded (the gate) is judged on its confidence alone.
    not_embedded = np.array([False])
    assert not rule.refuse(np.array([0.99]), np.array([low_similarity]), not_embedded)[0]
    # Texts the gate skipped count as kept when the share is fitted.
    gated = rejection.fit_either(confidence, similarity, 0.02, confidence < 0.9)
    share = np.mean(gated.refuse(confidence, similarity, confidence < 0.9))
    assert share == pytest.approx(0.02, abs=0.002)


def test_logistic_rule_learns_from_out_of_scope_examples():
    rng = np.random.default_rng(2)
    n, m = 3000, 120
    # In scope: mostly confident and near a label; out of scope: neither.
    confidence = np.clip(rng.beta(8, 1.5, n), 0.01, 0.999)
    similarity = rng.normal(0.88, 0.03, n)
    # Out of scope: less confident and farther from the labels, neither enough alone.
    out_confidence = np.clip(rng.beta(4, 1.5, m), 0.01, 0.999)
    out_similarity = rng.normal(0.82, 0.03, m)
    rule = rejection.fit_logistic(confidence, similarity, out_confidence, out_similarity, 0.03)
    assert rule.kind == "logistic"
    w_conf, w_sim, _ = rule.weights
    assert w_conf > 0 and w_sim > 0  # more confident, nearer: more likely in scope
    # The threshold refuses the given share of in-scope training texts...
    in_scope_refused = np.mean(rule.refuse(confidence, similarity))
    assert in_scope_refused == pytest.approx(0.03, abs=0.005)
    # ...and catches most out-of-scope ones, more than either signal at the same share.
    recall = np.mean(rule.refuse(out_confidence, out_similarity))
    by_confidence = np.mean(out_confidence < np.quantile(confidence, 0.03))
    by_similarity = np.mean(out_similarity < np.quantile(similarity, 0.03))
    assert recall > max(by_confidence, by_similarity)
    assert "logit(confidence)" in rule.describe()
    # Texts the gate did not embed are not refused, and do not count in the share.
    embedded = confidence < 0.9
    gated = rejection.fit_logistic(
        confidence, similarity, out_confidence, out_similarity, 0.03, embedded
    )
    assert not gated.refuse(confidence, similarity, embedded)[~embedded].any()
    assert np.mean(gated.refuse(confidence, similarity, embedded)) == pytest.approx(0.03, abs=0.005)


def test_a_rule_from_before_the_similarity_uses_confidence_alone():
    rule = rejection.RejectRule("confidence", 0.5)
    assert rule.refuse(np.array([0.4, 0.6]), None).tolist() == [True, False]
    assert rule.refuse(np.array([0.4, 0.6]), np.array([0.0, 0.0])).tolist() == [True, False]
