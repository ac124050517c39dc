"""The admins' page: how good each desk's triage models are and how agents take them."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from deskline.triage.models import IncidentCluster, TriageModel
from deskline.triage.services.report import summarize_models


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
    for summary in summaries:
        summary["per_label_rows"] = sorted(
            summary["per_label"].items(), key=lambda item: item[1].get("f1", 0)
        )
    clusters = IncidentCluster.objects.filter(open=True).select_related("desk")[:20]
    return render(request, "triage/models.html", {"models": summaries, "clusters": clusters})
