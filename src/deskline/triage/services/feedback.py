"""What agents make of predictions: accepted, rejected, or corrected by a later change."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.core.errors import Conflict, lazy_message
from deskline.tickets.models import Ticket
from deskline.tickets.services import hooks, update_ticket
from deskline.triage.models import Outcome, Prediction, Target
from deskline.triage.services.fields import CHANGE_KEY, TICKET_FIELD, current_value

OPEN_OUTCOMES = (Outcome.APPLIED, Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
# One whole sentence per outcome: a translation cannot agree with a word put into it.
_ALREADY = {
    Outcome.APPLIED: _("this prediction is already applied"),
    Outcome.ACCEPTED: _("this prediction is already accepted"),
    Outcome.REJECTED: _("this prediction is already rejected"),
    Outcome.CORRECTED: _("this prediction is already corrected"),
    Outcome.DETECTED: _("this prediction is already detected"),
    Outcome.MATCHED: _("this prediction is already the ticket's value"),
}


def already_decided(outcome: str) -> str:
    """Why a prediction in this outcome can no longer be accepted or rejected."""
    return _ALREADY.get(outcome) or lazy_message(
        _("this prediction is already %(outcome)s"), outcome=outcome
    )


def _decide(prediction: Prediction, outcome: str, actor: User, corrected_to: str = "") -> None:
    prediction.outcome = outcome
    prediction.decided_by = actor
    prediction.decided_at = timezone.now()
    prediction.corrected_to = corrected_to
    prediction.save(update_fields=["outcome", "decided_by", "decided_at", "corrected_to"])


def accept_prediction(prediction: Prediction, actor: User) -> Prediction:
    """Apply a suggestion as the agent's own change. One the ticket already took
    meanwhile (routing, a trigger) changes nothing, and is recorded as matched rather
    than counted as accepted."""
    if prediction.field not in Target.values:
        raise ValidationError(
            {
                "prediction": lazy_message(
                    _("a %(field)s prediction is not applied"), field=prediction.field
                )
            }
        )
    if prediction.outcome not in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE):
        raise Conflict(already_decided(prediction.outcome))
    with transaction.atomic():
        locked = Prediction.objects.select_for_update().get(pk=prediction.pk)
        if locked.outcome not in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE):
            raise Conflict(already_decided(locked.outcome))
        if current_value(locked.ticket, locked.field) == locked.label:
            _decide(locked, Outcome.MATCHED, actor)
            return locked
        update_ticket(locked.ticket, actor=actor, changes={CHANGE_KEY[locked.field]: locked.label})
        _decide(locked, Outcome.ACCEPTED, actor)
    return locked


def reject_prediction(prediction: Prediction, actor: User) -> Prediction:
    if prediction.outcome not in OPEN_OUTCOMES:
        raise Conflict(already_decided(prediction.outcome))
    _decide(prediction, Outcome.REJECTED, actor)
    return prediction


def record_corrections(change: hooks.TicketChange) -> int:
    """An agent changed a field triage had predicted: keep what they chose instead.

    Changes made by triage itself (no actor) and by accepting a suggestion (already
    decided) are not corrections.
    """
    if change.actor_id is None:
        return 0
    targets = [t for t in Target.values if TICKET_FIELD[t] in change.fields]
    if not targets:
        return 0
    ticket = Ticket.objects.select_related("category", "team").filter(pk=change.ticket_id).first()
    if ticket is None:
        return 0
    recorded = 0
    for target in targets:
        prediction = (
            Prediction.objects.filter(ticket=ticket, field=target, outcome__in=OPEN_OUTCOMES)
            .order_by("-id")
            .first()
        )
        if prediction is None:
            continue
        chosen = current_value(ticket, target)
        outcome = Outcome.ACCEPTED if chosen == prediction.label else Outcome.CORRECTED
        actor = User.objects.filter(pk=change.actor_id).first()
        if actor is not None:
            _decide(prediction, outcome, actor, "" if outcome == Outcome.ACCEPTED else chosen)
            recorded += 1
    return recorded
