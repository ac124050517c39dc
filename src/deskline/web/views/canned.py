"""Canned responses on the ticket page: the automation app's macros, inserted or applied.

Which macros an agent may use, the reply's language and placeholders, and applying a
macro's changes all belong to deskline.automation; these views only call it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from deskline.accounts.models import User
from deskline.automation.models import Macro
from deskline.automation.placeholders import render as fill_placeholders
from deskline.automation.placeholders import values_for
from deskline.automation.services.macros import apply_macro, pick_reply, usable_macros
from deskline.core.errors import Conflict, Forbidden, NotFound
from deskline.core.ids import parse_id
from deskline.tickets.access import get_ticket_for_user
from deskline.tickets.models import Ticket
from deskline.web.views.ticket_page import ticket_context


def macro_for(user: User, ticket: Ticket, macro_id: str) -> Macro:
    """A macro this agent may use on this ticket's desk; 404 otherwise."""
    number = parse_id(macro_id)
    if number is None:
        raise Http404
    found = usable_macros(user, [ticket.desk_id]).filter(pk=number).first()
    if found is None:
        raise Http404
    return found


def macro_text(macro: Macro, ticket: Ticket, user: User) -> str:
    """The macro's reply in the requester's language, placeholders filled."""
    text = pick_reply(macro.replies, ticket.requester.language, ticket.desk.default_language)
    return fill_placeholders(text, values_for(ticket, user))


def _writable(request: HttpRequest, number: str) -> Ticket:
    try:
        return get_ticket_for_user(request.user, number, write=True)
    except (NotFound, Forbidden):
        # Only agents who may change the ticket use its macros; others learn nothing.
        raise Http404 from None


@login_required
@require_GET
def insert_text(request: HttpRequest, number: str, macro_id: str) -> HttpResponse:
    """The reply text alone, which the page's script puts into the reply box."""
    ticket = _writable(request, number)
    macro = macro_for(request.user, ticket, macro_id)
    return HttpResponse(macro_text(macro, ticket, request.user), content_type="text/plain")


@login_required
@require_POST
def use(request: HttpRequest, number: str) -> HttpResponse:
    """Insert the macro's text into the reply box (without script) or apply the macro."""
    ticket = _writable(request, number)
    macro = macro_for(request.user, ticket, request.POST.get("macro", ""))
    if request.POST.get("do") == "insert":
        context = ticket_context(request, ticket, draft=macro_text(macro, ticket, request.user))
        return render(request, "web/console/ticket.html", context)
    try:
        apply_macro(macro, ticket, request.user)
    except NotFound:
        raise Http404 from None
    except (Forbidden, Conflict) as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Macro “%(name)s” applied.") % {"name": macro.name})
    return redirect("web:ticket", number=ticket.number)
