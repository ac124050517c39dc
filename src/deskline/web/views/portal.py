"""Requester portal: desks to ask, a request form per desk, own (and shared) requests."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deskline.api.routers.desks import visible_desks
from deskline.core.errors import Conflict, Forbidden
from deskline.desks.models import Category, CustomField, Desk, FieldType
from deskline.kb import deflection
from deskline.tickets.access import (
    can_see_desk,
    check_can_add_message,
    check_can_update_ticket,
    is_own_request,
    visible_tickets_for_user,
)
from deskline.tickets.choices import Channel, Status
from deskline.tickets.services import add_message, open_ticket, update_ticket
from deskline.tickets.services.messages import _claim_attachments
from deskline.web.timeline import timeline_for_user
from deskline.web.views.ticket_page import load_ticket, store_uploads

# A description must say enough for an agent to act on it without asking back.
MIN_DESCRIPTION_CHARS = 30
MIN_DESCRIPTION_WORDS = 6


def description_problem(text: str) -> str | None:
    """Why a description is too vague to send, or None when it is fine."""
    stripped = " ".join(text.split())
    # Chinese is written without spaces and says more per character: a CJK character
    # counts as two characters and half a word.
    cjk = sum(1 for ch in stripped if "\u3400" <= ch <= "\u9fff")
    words = len(stripped.split()) + cjk // 2
    if len(stripped) + cjk < MIN_DESCRIPTION_CHARS:
        return _(
            "Please describe the problem in a few sentences (at least %(chars)d characters): "
            "what you were doing, what happened, and what you expected."
        ) % {"chars": MIN_DESCRIPTION_CHARS}
    if words < MIN_DESCRIPTION_WORDS:
        return _(
            "Please add more detail (at least %(words)d words): what you were doing, what "
            "happened, and what you expected."
        ) % {"words": MIN_DESCRIPTION_WORDS}
    return None


@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = request.GET.get("scope", "mine")
    tickets = visible_tickets_for_user(user)
    shared = user.organization_id is not None and user.organization.shared_tickets
    if scope == "organization" and shared:
        tickets = tickets.filter(organization_id=user.organization_id)
    else:
        scope = "mine"
        tickets = tickets.filter(requester_id=user.pk)
    context = {
        "desks": visible_desks(user),
        "tickets": tickets.select_related("desk", "requester").order_by("-updated_at", "-id")[:50],
        "scope": scope,
        "shared": shared,
    }
    return render(request, "web/portal/home.html", context)


def _requester_fields(desk: Desk) -> list[CustomField]:
    return list(CustomField.objects.filter(desk=desk, visible_to_requester=True))


def _custom_values(request: HttpRequest, definitions: list[CustomField]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for definition in definitions:
        name = f"cf_{definition.key}"
        if definition.field_type == FieldType.CHECKBOX:
            values[definition.key] = request.POST.get(name) == "on"
        elif definition.field_type == FieldType.MULTICHOICE:
            chosen = request.POST.getlist(name)
            if chosen:
                values[definition.key] = chosen
        elif request.POST.get(name, "").strip():
            values[definition.key] = request.POST[name].strip()
    return values


@login_required
def request_form(request: HttpRequest, slug: str) -> HttpResponse:
    desk = Desk.objects.filter(slug=slug, is_active=True).first()
    if desk is None or not can_see_desk(request.user, desk):
        raise Http404
    definitions = _requester_fields(desk)
    categories = list(Category.objects.filter(desk=desk))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    # Ties the articles suggested while writing to this request (self-service rate).
    kb_session = deflection.form_session(request.POST.get("kb_session", ""))
    if request.method == "POST":
        subject = request.POST.get("subject", "").strip()
        description = request.POST.get("description", "")
        values = {
            "subject": subject,
            "description": description,
            **_custom_values(request, definitions),
        }
        values["category"] = request.POST.get("category", "")
        if not subject:
            errors["subject"] = _("Give your request a short subject.")
        problem = description_problem(description)
        if problem:
            errors["description"] = problem
        category = next((c for c in categories if str(c.pk) == values["category"]), None)
        if not errors:
            try:
                ticket = _open(request, desk, subject, description, category, definitions)
            except ValidationError as exc:
                for field, problems in exc.message_dict.items():
                    key = field.replace("custom_fields.", "cf_")
                    errors[
                        key if key.startswith("cf_") or key in ("subject", "files") else "form"
                    ] = "; ".join(problems)
            else:
                deflection.request_submitted(
                    kb_session, desk=desk, user=request.user, ticket=ticket
                )
                messages.success(request, _("Request %(number)s sent.") % {"number": ticket.number})
                return redirect("web:portal_ticket", number=ticket.number)
    context = {
        "desk": desk,
        "definitions": definitions,
        "categories": categories,
        "errors": errors,
        "values": values,
        "min_chars": MIN_DESCRIPTION_CHARS,
        "kb_session": kb_session,
    }
    return render(request, "web/portal/request_form.html", context, status=422 if errors else 200)


def _open(request, desk, subject, description, category, definitions):  # type: ignore[no-untyped-def]
    with transaction.atomic():
        ticket = open_ticket(
            desk=desk,
            subject=subject,
            requester=request.user,
            body_text=description,
            actor=request.user,
            channel=Channel.WEB,
            category=category,
            custom_fields=_custom_values(request, definitions),
            enforce_required_fields=True,
        )
        uploads = store_uploads(request, ticket)
        if uploads:
            # The files belong to the request's first message, like a mail's attachments.
            _claim_attachments(ticket.messages.get(), uploads, request.user)
    return ticket


@login_required
def portal_ticket(request: HttpRequest, number: str) -> HttpResponse:
    ticket = load_ticket(request, number)
    draft = ""
    error = None
    if request.method == "POST":
        draft = request.POST.get("body", "")
        try:
            check_can_add_message(request.user, ticket, internal=False)
            with transaction.atomic():
                uploads = store_uploads(request, ticket)
                add_message(
                    ticket,
                    actor=request.user,
                    body_text=draft,
                    channel=Channel.WEB,
                    attachments=uploads,
                )
        except (ValidationError, Conflict) as exc:
            error = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            messages.success(request, _("Reply sent."))
            return redirect("web:portal_ticket", number=ticket.number)
    context = {
        "ticket": ticket,
        "entries": timeline_for_user(request.user, ticket),
        "draft": draft,
        "error": error,
        "can_solve": (
            is_own_request(request.user, ticket)
            and ticket.status not in (Status.SOLVED, Status.CLOSED)
        ),
    }
    template = "web/portal/_timeline_part.html" if request.htmx else "web/portal/ticket.html"
    return render(request, template, context, status=422 if error else 200)


@login_required
@require_POST
def portal_solve(request: HttpRequest, number: str) -> HttpResponse:
    ticket = load_ticket(request, number)
    changes = {"status": Status.SOLVED}
    try:
        check_can_update_ticket(request.user, ticket, changes)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from None
    try:
        update_ticket(ticket, actor=request.user, changes=changes)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Marked as solved. Reply if you need more help."))
    return redirect("web:portal_ticket", number=ticket.number)
