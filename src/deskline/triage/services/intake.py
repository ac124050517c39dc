"""What triage does when a ticket is opened: language, predictions, similar tickets."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from deskline.core.errors import Conflict, english
from deskline.tickets.models import Ticket
from deskline.tickets.services import update_ticket
from deskline.triage.ml import ModelFileError, detect_language
from deskline.triage.models import Outcome, Prediction, TriageModel
from deskline.triage.services.fields import CHANGE_KEY, current_value, is_unset
from deskline.triage.services.language import LANGUAGE
from deskline.triage.services.loading import classifier_for
from deskline.triage.services.similarity import Scorer, flag_burst, link_similar
from deskline.triage.services.texts import ticket_text

log = logging.getLogger(__name__)


def triage_ticket(ticket_id: int) -> list[Prediction]:
    """Detect the language, predict each field the desk has a model for (apply when
    confident, else suggest), then link similar open tickets and watch for bursts."""
    ticket = Ticket.objects.select_related("desk").filter(pk=ticket_id).first()
    if ticket is None:
        return []
    done = list(Prediction.objects.filter(ticket=ticket))
    if done:  # a task run twice (a worker restarted mid-way) predicts once
        return done
    text = ticket_text(ticket)
    language = detect_language(text)
    predictions = [
        Prediction.objects.create(
            ticket=ticket,
            field=LANGUAGE,
            label=language.code,
            confidence=language.confidence,
            outcome=Outcome.DETECTED,
        )
    ]
    models = TriageModel.objects.filter(desk_id=ticket.desk_id, active=True).order_by("target")
    for model in models:
        prediction = _predict_field(ticket, model, text)
        if prediction is not None:
            predictions.append(prediction)
    # One scorer for both comparisons: the new ticket's vector is read or embedded once.
    scorer = Scorer(ticket, text)
    link_similar(ticket, text, scorer)
    flag_burst(ticket, text, scorer)
    return predictions


def _predict_field(ticket: Ticket, model: TriageModel, text: str) -> Prediction | None:
    try:
        result = classifier_for(model).predict([text])[0]
    except (ModelFileError, RuntimeError) as exc:
        log.warning("triage model %s cannot predict: %s", model, exc)
        return None
    if result.out_of_scope:
        outcome = Outcome.OUT_OF_SCOPE
    elif result.apply and is_unset(ticket, model.target):
        outcome = _apply(ticket, model.target, result.best_label)
    elif current_value(ticket, model.target) == result.best_label:
        outcome = Outcome.MATCHED  # set already (by the requester, routing): nothing to offer
    else:
        outcome = Outcome.SUGGESTED
    return Prediction.objects.create(
        ticket=ticket,
        model=model,
        field=model.target,
        label=result.best_label,
        confidence=result.confidence,
        outcome=outcome,
    )


def _apply(ticket: Ticket, target: str, label: str) -> str:
    """Write the label through the ticket service (events with no actor: triage did it).

    A label the desk no longer has (a renamed team, a deleted category) or a ticket that
    closed meanwhile leaves a suggestion instead.
    """
    try:
        with transaction.atomic():
            update_ticket(ticket, actor=None, changes={CHANGE_KEY[target]: label})
    except (ValidationError, Conflict) as exc:
        log.info(
            "triage could not apply %s=%s to %s: %s", target, label, ticket.number, english(exc)
        )
        return Outcome.SUGGESTED
    return Outcome.APPLIED
