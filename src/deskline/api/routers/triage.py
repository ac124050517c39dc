"""/api/v1/triage: models and their measures, predictions for a ticket, feedback."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status

from deskline.api.routers.desks import desk_for_user
from deskline.api.schemas import Error, Input
from deskline.core.errors import Forbidden, NotFound
from deskline.core.ids import Id
from deskline.tickets.access import (
    AGENT_ROLES,
    EDITING_ROLES,
    agent_desk_ids,
    get_ticket_for_user,
)
from deskline.triage.models import DeskTriage, Prediction, Target, TriageModel
from deskline.triage.services import accept_prediction, reject_prediction
from deskline.triage.services.report import summarize_models

router = Router(tags=["triage"])
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class TriageModelOut(Schema):
    id: int
    desk: str
    target: str
    version: int
    active: bool
    source: str
    rows: int
    trained_at: datetime
    labels: list[str]
    uses_embeddings: bool
    training_seconds: float | None
    cv_folds: int | None
    accuracy: float | None
    macro_f1: float | None
    majority_accuracy: float | None
    per_label: dict[str, dict[str, float]]
    top_confusions: list[dict[str, Any]]
    counts: dict[str, int]
    acceptance_rate: float | None


class PredictionOut(Schema):
    id: int
    ticket: str
    field: str
    label: str
    confidence: float
    outcome: str
    corrected_to: str
    model_version: int | None
    created_at: datetime
    decided_at: datetime | None


class DeskTriageIn(Input):
    auto_merge_duplicates: bool


class DeskTriageOut(Schema):
    desk: str
    auto_merge_duplicates: bool


class TrainIn(Input):
    desk: str
    target: Target


class TrainOut(Schema):
    desk: str
    target: str
    task_id: str


def _prediction_out(prediction: Prediction) -> dict:
    return {
        "id": prediction.pk,
        "ticket": prediction.ticket.number,
        "field": prediction.field,
        "label": prediction.label,
        "confidence": prediction.confidence,
        "outcome": prediction.outcome,
        "corrected_to": prediction.corrected_to,
        "model_version": prediction.model.version if prediction.model_id else None,
        "created_at": prediction.created_at,
        "decided_at": prediction.decided_at,
    }


@router.get("/triage/models", response={200: list[TriageModelOut], **ERRORS})
def list_models(
    request: HttpRequest, desk: str | None = None, active: bool | None = None
) -> list[dict]:
    models = TriageModel.objects.select_related("desk")
    if not request.auth.is_superuser:
        models = models.filter(desk_id__in=agent_desk_ids(request.auth))
    if desk:
        models = models.filter(desk=desk_for_user(request.auth, desk))
    if active is not None:
        models = models.filter(active=active)
    return summarize_models(list(models[:200]))


def _agent_ticket(request: HttpRequest, ticket_id: str | int):  # noqa: ANN202
    ticket = get_ticket_for_user(request.auth, ticket_id)
    if ticket.viewer_role not in AGENT_ROLES:  # type: ignore[attr-defined]
        # Requesters see their ticket, never what triage thought of it.
        raise NotFound(f"no predictions for ticket {ticket_id}")
    return ticket


@router.get(
    "/triage/tickets/{ticket_id}/predictions", response={200: list[PredictionOut], **ERRORS}
)
def ticket_predictions(request: HttpRequest, ticket_id: str) -> list[dict]:
    ticket = _agent_ticket(request, ticket_id)
    predictions = Prediction.objects.filter(ticket=ticket).select_related("ticket", "model")
    return [_prediction_out(p) for p in predictions.order_by("field", "-id")]


def _prediction_for_writer(request: HttpRequest, prediction_id: int) -> Prediction:
    prediction = Prediction.objects.select_related("ticket", "model").filter(pk=prediction_id)
    found = prediction.first()
    if found is None:
        raise NotFound(f"prediction {prediction_id} not found")
    try:
        ticket = _agent_ticket(request, found.ticket_id)
    except NotFound:
        raise NotFound(f"prediction {prediction_id} not found") from None
    if ticket.viewer_role not in EDITING_ROLES:  # type: ignore[attr-defined]
        raise Forbidden(f"you may not change ticket {ticket.number}")
    return found


@router.post("/triage/predictions/{prediction_id}/accept", response={200: PredictionOut, **ERRORS})
def accept(request: HttpRequest, prediction_id: Id) -> dict:
    prediction = accept_prediction(_prediction_for_writer(request, prediction_id), request.auth)
    return _prediction_out(prediction)


@router.post("/triage/predictions/{prediction_id}/reject", response={200: PredictionOut, **ERRORS})
def reject(request: HttpRequest, prediction_id: Id) -> dict:
    prediction = reject_prediction(_prediction_for_writer(request, prediction_id), request.auth)
    return _prediction_out(prediction)


@router.post("/triage/train", response={202: TrainOut, **ERRORS})
def train_now(request: HttpRequest, payload: TrainIn) -> Status:
    """Retrain one of a desk's models from its resolved tickets, in the background."""
    desk = desk_for_user(request.auth, payload.desk, field="desk")
    if not request.auth.is_superuser:
        raise Forbidden("only admins may train triage models")
    from deskline.triage.services.training import NotEnoughData, check_history
    from deskline.triage.tasks import train_desk_model

    try:
        check_history(desk, str(payload.target))
    except NotEnoughData as exc:
        raise ValidationError({"target": str(exc)}) from exc
    result = train_desk_model.enqueue(desk.pk, str(payload.target))
    return Status(202, {"desk": desk.slug, "target": str(payload.target), "task_id": result.id})


def _settings_out(desk, settings_row: DeskTriage | None) -> dict:  # noqa: ANN001
    merging = True if settings_row is None else settings_row.auto_merge_duplicates
    return {"desk": desk.slug, "auto_merge_duplicates": merging}


@router.get("/desks/{desk_id}/triage", response={200: DeskTriageOut, **ERRORS})
def get_desk_triage(request: HttpRequest, desk_id: str) -> dict:
    desk = desk_for_user(request.auth, desk_id, manage=True)
    return _settings_out(desk, DeskTriage.objects.filter(desk=desk).first())


@router.put("/desks/{desk_id}/triage", response={200: DeskTriageOut, **ERRORS})
def put_desk_triage(request: HttpRequest, desk_id: str, payload: DeskTriageIn) -> dict:
    """A desk's triage settings: whether the same requester's same request is merged
    into their open ticket (the default) or only linked to it as a duplicate."""
    desk = desk_for_user(request.auth, desk_id, manage=True)
    settings_row, _ = DeskTriage.objects.update_or_create(
        desk=desk, defaults={"auto_merge_duplicates": payload.auto_merge_duplicates}
    )
    return _settings_out(desk, settings_row)
