"""Pages for signing in by a one-time link: ask for it, then open it."""

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from deskline.accounts.services import record_audit
from deskline.core.clients import client_address
from deskline.web import sign_in_links

TEMPLATE = "web/sign_in_link.html"


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, TEMPLATE, {"step": "ask"})
    email = request.POST.get("email", "")[:254]
    ip = client_address(request)
    if not sign_in_links.send_sign_in_link(email, ip):
        return render(request, TEMPLATE, {"step": "ask", "limited": True}, status=429)
    return render(request, TEMPLATE, {"step": "sent"})


@require_http_methods(["GET", "POST"])
def use(request: HttpRequest, token: str) -> HttpResponse:
    # Opening the link only shows a button: mail scanners that fetch links would
    # otherwise use up the one sign-in it gives.
    if request.method == "GET":
        return render(request, TEMPLATE, {"step": "confirm"})
    user = sign_in_links.redeem(token)
    if user is None:
        return render(request, TEMPLATE, {"step": "invalid"}, status=410)
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    record_audit(user, "login.link", user, ip_address=client_address(request) or None)
    return redirect("web:portal")
