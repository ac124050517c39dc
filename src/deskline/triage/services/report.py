"""What the admin page and the API show about a model: its cross-validated measures
and how agents received its predictions."""

from typing import Any

from django.db.models import Count

from deskline.triage.models import Outcome, Prediction, TriageModel


def outcome_counts(models: list[TriageModel]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {m.pk: {} for m in models}
    rows = (
        Prediction.objects.filter(model__in=models)
        .values("model_id", "outcome")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["model_id"]][row["outcome"]] = row["n"]
    return counts


def acceptance(counts: dict[str, int]) -> dict[str, Any]:
    """Accepted suggestions against rejected or corrected ones; an applied prediction
    an agent later changed counts as corrected, one left alone as kept."""
    decided = sum(counts.get(o, 0) for o in (Outcome.ACCEPTED, Outcome.REJECTED, Outcome.CORRECTED))
    return {
        "counts": {o: counts.get(o, 0) for o in Outcome.values if o != Outcome.DETECTED},
        "acceptance_rate": (
            round(counts.get(Outcome.ACCEPTED, 0) / decided, 4) if decided else None
        ),
    }


def summarize_model(model: TriageModel, counts: dict[str, int]) -> dict[str, Any]:
    metrics = model.metrics.get("metrics", {}) if isinstance(model.metrics, dict) else {}
    return {
        "id": model.pk,
        "desk": model.desk.slug,
        "target": model.target,
        "version": model.version,
        "active": model.active,
        "source": model.source,
        "rows": model.rows,
        "trained_at": model.trained_at,
        "labels": model.metrics.get("labels", []),
        "uses_embeddings": bool(model.metrics.get("uses_embeddings")),
        # Wall time of the fit, cross-validation and embeddings included.
        "training_seconds": model.metrics.get("training_seconds"),
        "cv_folds": metrics.get("cv_folds"),
        "accuracy": metrics.get("accuracy"),
        "macro_f1": metrics.get("macro_f1"),
        "majority_accuracy": metrics.get("majority_accuracy"),
        "per_label": metrics.get("per_label", {}),
        "top_confusions": metrics.get("top_confusions", []),
        **acceptance(counts),
    }


def summarize_models(models: list[TriageModel]) -> list[dict[str, Any]]:
    counts = outcome_counts(models)
    return [summarize_model(m, counts[m.pk]) for m in models]
