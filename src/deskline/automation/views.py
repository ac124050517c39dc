"""Setup pages for triggers, scheduled rules and shared macros (desk admins and supervisors)."""

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from deskline.automation.builder import builder_metadata
from deskline.automation.forms import DryRunForm, MacroForm, RuleForm, TriggerForm
from deskline.automation.models import Macro, ScheduledRule, Trigger
from deskline.automation.services import definitions, rules, triggers
from deskline.core.errors import Forbidden, NotFound, lazy_message
from deskline.desks.models import Desk
from deskline.tickets.access import get_ticket_for_user
from deskline.web.permissions import managed_desk_ids

KINDS: dict[str, dict[str, Any]] = {
    "triggers": {"model": Trigger, "form": TriggerForm, "save": definitions.save_trigger},
    "rules": {"model": ScheduledRule, "form": RuleForm, "save": definitions.save_rule},
    "macros": {"model": Macro, "form": MacroForm, "save": definitions.save_macro},
}
# Lazy: the page shows them in its reader's language.
TITLES = {
    "triggers": gettext_lazy("Trigger"),
    "rules": gettext_lazy("Scheduled rule"),
    "macros": gettext_lazy("Macro"),
}


def _desks(request: HttpRequest) -> Any:
    ids = managed_desk_ids(request.user)
    # Admins manage every desk, even before the first one exists (the nav links them here).
    if not ids and not (request.user.is_active and request.user.is_superuser):
        raise Http404
    return Desk.objects.filter(pk__in=ids)


def _object(request: HttpRequest, kind: str, object_id: int | None) -> Any:
    if kind not in KINDS:
        raise Http404
    if object_id is None:
        return None
    found = managed_object(request, KINDS[kind]["model"], object_id)
    # Personal macros are their owner's business (API), not the desk's setup pages.
    if kind == "macros" and found.owner_id is not None:
        raise Http404
    return found


def managed_object(request: HttpRequest, model: Any, object_id: int) -> Any:
    """One automation object of a desk the user manages, or 404."""
    found = model.objects.select_related("desk").filter(pk=object_id, desk__in=_desks(request))
    obj = found.first()
    if obj is None:
        raise Http404
    return obj


@login_required
def index(request: HttpRequest) -> HttpResponse:
    desks = _desks(request)
    context = {
        "triggers": Trigger.objects.filter(desk__in=desks).select_related("desk"),
        "rules": ScheduledRule.objects.filter(desk__in=desks).select_related("desk"),
        "macros": Macro.objects.filter(desk__in=desks, owner__isnull=True).select_related(
            "desk", "team"
        ),
        "no_desks": not desks.exists(),
    }
    return render(request, "automation/index.html", context)


def _initial(kind: str, obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    names = [n for n in KINDS[kind]["form"].base_fields if n != "team"]
    initial = {n: getattr(obj, n) for n in names if n != "desk" and hasattr(obj, n)}
    initial["desk"] = obj.desk.slug
    if kind == "macros":
        initial["team"] = obj.team.slug if obj.team_id else ""
    return initial


@login_required
def edit(request: HttpRequest, kind: str, object_id: int | None = None) -> HttpResponse:
    obj = _object(request, kind, object_id)
    spec = KINDS.get(kind) or {}
    if not spec:
        raise Http404
    form_class = spec["form"]
    desks = _desks(request)
    if request.method == "POST" and request.POST.get("delete") and obj is not None:
        definitions.delete_definition(obj, request.user)
        messages.success(request, _("Deleted."))
        return redirect("automation:index")
    form = form_class(
        request.POST or None, initial=_initial(kind, obj), desks=desks, editing=obj is not None
    )
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        desk = obj.desk if obj is not None else values.pop("desk")
        values.pop("desk", None)
        try:
            if obj is None:
                obj = spec["model"](desk=desk)
            if kind == "macros":
                obj.team = (
                    definitions.resolve_team(desk, values.pop("team"))
                    if values.get("team")
                    else None
                )
                values.pop("team", None)
            spec["save"](obj, values, request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("automation:edit", kind=kind, object_id=obj.pk)
    context = {
        "form": form,
        "kind": kind,
        "obj": obj if obj is not None and obj.pk else None,
        "title": TITLES[kind],
        "dry_run": kind in ("triggers", "rules"),
        "builder": builder_metadata(desks, kind),
        "builder_fields": ("conditions", "actions"),
    }
    return render(request, "automation/form.html", context)


@login_required
@require_POST
def dry_run(request: HttpRequest, kind: str, object_id: int) -> HttpResponse:
    obj = _object(request, kind, object_id)
    form = DryRunForm(request.POST)
    result: dict[str, Any] | None = None
    error = ""
    if form.is_valid():
        try:
            ticket = get_ticket_for_user(request.user, form.cleaned_data["ticket"])
            if ticket.desk_id != obj.desk_id:
                raise NotFound(
                    lazy_message(
                        _("%(ticket)s is not on desk %(desk)s"),
                        ticket=ticket.number,
                        desk=obj.desk.slug,
                    )
                )
            if kind == "triggers":
                result = triggers.dry_run(obj, ticket)
            else:
                result = rules.dry_run(obj, ticket)
        except (NotFound, Forbidden) as exc:
            error = str(exc)
    else:
        error = _("Enter a ticket number.")
    pretty = json.dumps(result, indent=2, default=str, ensure_ascii=False) if result else ""
    return render(
        request, "automation/_dry_run.html", {"result": result, "pretty": pretty, "error": error}
    )
