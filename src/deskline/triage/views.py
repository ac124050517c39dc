"""The admins' page: how good each desk's triage models are and how agents take them;
the agents' accept and reject buttons of the ticket page's triage panel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from deskline.core.errors import Conflict, Forbidden, NotFound
from deskline.desks.models import Desk
from deskline.tickets.access import AGENT_ROLES, get_ticket_for_user
from deskline.triage.models import (
    DeskTriage,
    IncidentCluster,
    Outcome,
    Prediction,
    Target,
    TriageModel,
)
from deskline.triage.services import accept_prediction, reject_prediction
from deskline.triage.services.report import summarize_models

SOURCES = {"tickets": _("resolved tickets"), "csv": _("a CSV file")}


@login_required
def models_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise Http404  # like every admin-only page: nothing to see for others
    models = list(
        TriageModel.objects.select_related("desk").order_by("desk__name", "target", "-version")[
            :200
        ]
    )
    summaries = summarize_models(models)
    targets = dict(Target.choices)
    for summary in summaries:
        summary["per_label_rows"] = sorted(
            summary["per_label"].items(), key=lambda item: item[1].get("f1", 0)
        )
        # The API's words (outcome, field and source codes) in the admin's language.
        summary["target_name"] = targets.get(summary["target"], summary["target"])
        summary["source_name"] = SOURCES.get(summary["source"], summary["source"])
        summary["count_rows"] = [(Outcome(o).label, n) for o, n in summary["counts"].items()]
    clusters = IncidentCluster.objects.filter(open=True).select_related("desk")[:20]
    merging_off = set(
        DeskTriage.objects.filter(auto_merge_duplicates=False).values_list("desk_id", flat=True)
    )
    desks = [
        {"name": d.name, "slug": d.slug, "auto_merge": d.pk not in merging_off}
        for d in Desk.objects.order_by("name")[:200]
    ]
    return render(
        request,
        "triage/models.html",
        {"models": summaries, "clusters": clusters, "desks": desks},
    )


@login_required
@require_POST
def decide_prediction(request: HttpRequest, number: str, prediction_id: int) -> HttpResponse:
    try:
        ticket = get_ticket_for_user(request.user, number, write=True)
    except NotFound:
        raise Http404 from None
    except Forbidden as exc:  # a light agent: sees the ticket, changes nothing
        messages.error(request, str(exc))
        return redirect("web:ticket", number=number)
    if ticket.viewer_role not in AGENT_ROLES:  # type: ignore[attr-defined]
        raise Http404  # requesters never see what triage thought of their ticket
    prediction = Prediction.objects.filter(pk=prediction_id, ticket=ticket).first()
    decision = request.POST.get("decision")
    if prediction is None or decision not in ("accept", "reject"):
        raise Http404
    try:
        if decision == "accept":
            accept_prediction(prediction, request.user)
        else:
            reject_prediction(prediction, request.user)
    except (Conflict, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("web:ticket", number=ticket.number)
