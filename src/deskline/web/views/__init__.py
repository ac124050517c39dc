"""Sign in, API tokens and health; the console, portal and setup pages are the
modules beside this one."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from deskline.accounts.models import ApiToken
from deskline.accounts.services import create_api_token, record_audit, revoke_api_token
from deskline.core.clients import client_address
from deskline.web import throttle


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        ip = client_address(request)
        email = request.POST.get("username", "")
        if throttle.is_locked(ip, email):
            return render(
                request,
                self.template_name,
                {"form": self.get_form(), "locked": True},
                status=429,
            )
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            throttle.clear(ip, email)
            record_audit(request.user, "login.password", request.user, ip_address=ip or None)
        else:
            throttle.record_failure(ip, email)
            record_audit(None, "login.failed", data={"email": email[:254]}, ip_address=ip or None)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token = ApiToken.objects.filter(pk=request.POST["revoke"], user=request.user).first()
            if token is not None:
                revoke_api_token(token, actor=request.user)
        else:
            name = (request.POST.get("name") or "default").strip()[:100]
            new_token = create_api_token(request.user, name=name)
    context = {
        "tokens": ApiToken.objects.filter(user=request.user, revoked_at__isnull=True),
        "new_token": new_token,
    }
    return render(request, "web/tokens.html", context)


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
