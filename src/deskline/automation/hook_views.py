"""Setup pages for outbound webhooks (with their delivery log) and inbound alert hooks,
for the admins and supervisors who manage a desk (outbound webhooks are changed by
admins only: definitions.may_change_webhooks). Saving goes through the same services
as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deskline.automation.hook_forms import InboundHookForm, WebhookForm
from deskline.automation.models import InboundHook, Webhook
from deskline.automation.services import definitions
from deskline.automation.views import _desks, managed_object

DELIVERIES_SHOWN = 50


@login_required
def hooks(request: HttpRequest) -> HttpResponse:
    desks = _desks(request)
    context = {
        "may_change_webhooks": definitions.may_change_webhooks(request.user),
        "webhooks": Webhook.objects.filter(desk__in=desks).select_related("desk"),
        "inbound_hooks": InboundHook.objects.filter(desk__in=desks).select_related("desk"),
    }
    return render(request, "automation/hooks.html", context)


@login_required
def webhook_edit(request: HttpRequest, object_id: int | None = None) -> HttpResponse:
    desks = _desks(request)
    hook = managed_object(request, Webhook, object_id) if object_id is not None else None
    definitions.check_may_change_webhooks(request.user)
    if request.method == "POST" and request.POST.get("delete") and hook is not None:
        definitions.delete_definition(hook, request.user)
        messages.success(request, _("Deleted."))
        return redirect("automation:hooks")
    initial = {}
    if hook is not None:
        initial = {
            "desk": hook.desk.slug,
            "name": hook.name,
            "url": hook.url,
            "events": hook.events,
            "is_active": hook.is_active,
        }
    form = WebhookForm(request.POST or None, initial=initial, desks=desks, editing=hook is not None)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        desk = values.pop("desk", None)
        creating = hook is None
        target = hook if hook is not None else Webhook(desk=desk)
        try:
            saved = definitions.save_webhook(target, values, request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if creating:
                # The signing secret is shown once, on this answer, never again.
                return render(request, "automation/hook_created.html", {"webhook": saved})
            messages.success(request, _("Saved."))
            return redirect("automation:webhook_edit", object_id=saved.pk)
    return render(
        request,
        "automation/hook_form.html",
        {"form": form, "obj": hook, "title": _("Webhook"), "kind": "webhook"},
    )


@login_required
def deliveries(request: HttpRequest, object_id: int) -> HttpResponse:
    hook = managed_object(request, Webhook, object_id)
    shown = (
        hook.deliveries.select_related("ticket")
        .prefetch_related("attempt_log")
        .order_by("-created_at", "-id")[:DELIVERIES_SHOWN]
    )
    return render(request, "automation/deliveries.html", {"webhook": hook, "deliveries": shown})


@login_required
def inbound_new(request: HttpRequest) -> HttpResponse:
    desks = _desks(request)
    form = InboundHookForm(request.POST or None, desks=desks)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        desk = values.pop("desk")
        try:
            hook, token = definitions.create_inbound_hook(desk, values, request.user)
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            url = request.build_absolute_uri(f"/api/v1/hooks/inbound/{token}")
            return render(request, "automation/hook_created.html", {"inbound": hook, "url": url})
    return render(
        request,
        "automation/hook_form.html",
        {"form": form, "obj": None, "title": _("Inbound alert hook"), "kind": "inbound"},
    )


@login_required
@require_POST
def inbound_delete(request: HttpRequest, object_id: int) -> HttpResponse:
    definitions.delete_definition(managed_object(request, InboundHook, object_id), request.user)
    messages.success(request, _("Deleted."))
    return redirect("automation:hooks")
