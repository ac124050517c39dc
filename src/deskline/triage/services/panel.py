"""What the agent's ticket page shows of triage: each prediction with its confidence,
and whether the agent can still accept or reject it."""

from typing import Any

from deskline.tickets.models import Ticket
from deskline.triage.models import Outcome, Prediction, Target
from deskline.triage.services.language import LANGUAGE

# Still waiting for an agent: accepting applies the label, rejecting dismisses it.
UNDECIDED = (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)


def ticket_predictions(ticket: Ticket) -> list[dict[str, Any]]:
    names = dict(Target.choices)
    rows = []
    for prediction in Prediction.objects.filter(ticket=ticket).order_by("field", "-id"):
        if rows and rows[-1]["field"] == prediction.field:
            continue  # an older prediction of the same field
        rows.append(
            {
                "id": prediction.pk,
                "field": prediction.field,
                "name": names.get(prediction.field, "Language"),
                "label": prediction.label,
                "percent": round(prediction.confidence * 100),
                "outcome": prediction.outcome,
                "outcome_name": prediction.get_outcome_display(),
                "corrected_to": prediction.corrected_to,
                "undecided": prediction.field != LANGUAGE and prediction.outcome in UNDECIDED,
            }
        )
    return rows
