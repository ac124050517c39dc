"""What the agent's ticket page shows of triage: each prediction with its confidence,
and whether the agent can still accept or reject it."""

from typing import Any

from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from deskline.desks.models import Team
from deskline.tickets.models import Ticket
from deskline.triage.models import Outcome, Prediction, Target
from deskline.triage.services.language import LANGUAGE
from deskline.web.labels import LABELS

# Still waiting for an agent: accepting applies the label, rejecting dismisses it.
UNDECIDED = (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
# Predicted values are the API's words ("high", a team's slug); the page shows the
# names the rest of the ticket page shows, in the agent's language.
_VOCABULARY = {Target.PRIORITY: LABELS["priority"], Target.TYPE: LABELS["type"]}


# The detector says 'zh' for either script; Django names Chinese only by script.
_UNSCRIPTED = {"zh": _("Chinese")}


def _language_name(code: str) -> str:
    """'ar' → 'Arabic' in the agent's language; the code itself for one Django does not
    know."""
    if code in _UNSCRIPTED:
        return str(_UNSCRIPTED[code])
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _namer(ticket: Ticket, predictions: list[Prediction]) -> Any:
    slugs = {p.label for p in predictions if p.field == Target.TEAM} | {
        p.corrected_to for p in predictions if p.field == Target.TEAM
    }
    teams = dict(
        Team.objects.filter(desk_id=ticket.desk_id, slug__in=slugs).values_list("slug", "name")
    )

    def name(field: str, value: str) -> str:
        if not value:
            return value
        if field == Target.TEAM:
            return teams.get(value, value)
        if field == LANGUAGE:
            return _language_name(value)
        return _VOCABULARY.get(field, {}).get(value, value)

    return name


def ticket_predictions(ticket: Ticket) -> list[dict[str, Any]]:
    names = dict(Target.choices)
    latest: list[Prediction] = []
    for prediction in Prediction.objects.filter(ticket=ticket).order_by("field", "-id"):
        if latest and latest[-1].field == prediction.field:
            continue  # an older prediction of the same field
        latest.append(prediction)
    name = _namer(ticket, latest)
    return [
        {
            "id": prediction.pk,
            "field": prediction.field,
            "name": names.get(prediction.field, "Language"),
            "label": name(prediction.field, prediction.label),
            "percent": round(prediction.confidence * 100),
            "outcome": prediction.outcome,
            "outcome_name": prediction.get_outcome_display(),
            "corrected_to": name(prediction.field, prediction.corrected_to),
            "undecided": prediction.field != LANGUAGE and prediction.outcome in UNDECIDED,
        }
        for prediction in latest
    ]
