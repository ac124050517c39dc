"""Language switcher and personal preferences (language, time zone, notifications)."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deskline.notifications import kinds
from deskline.notifications.models import MailMode
from deskline.notifications.services import preference_for, set_preference

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps it as their preference."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in LANGUAGE_CODES:
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    error = None
    if request.method == "POST":
        zone = request.POST.get("time_zone", "").strip()
        language = request.POST.get("language", "")
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            error = _("%(zone)s is not a known time zone (for example Europe/Paris).") % {
                "zone": zone
            }
        mail = request.POST.get("notify_mail", "")
        if error is None and mail not in MailMode.values:
            error = _("Choose how notifications reach you by mail.")
        if error is None and language in LANGUAGE_CODES:
            user.time_zone = zone
            user.language = language
            user.save(update_fields=["time_zone", "language"])
            muted = [k for k in kinds.KINDS if request.POST.get(f"notify_{k}") != "on"]
            set_preference(user, mail=mail, muted_kinds=muted)
            messages.success(request, _("Preferences saved."))
            return redirect("web:preferences")
    preference = preference_for(user)
    context = {
        "mail_modes": [
            (MailMode.INSTANT, _("One mail per notification")),
            (MailMode.DIGEST, _("A daily digest of the unread ones")),
            (MailMode.OFF, _("No mail, only in Deskline")),
        ],
        "notification_kinds": [
            (kind, label, kind not in preference.muted_kinds)
            for kind, label in (
                (kinds.MENTION, _("Mentions of me in internal notes")),
                (kinds.AUTOMATION, _("Notices from automation (triggers, SLA warnings)")),
            )
        ],
        "preference": preference,
        "error": error,
        "zones": sorted(zoneinfo.available_timezones()),
        "languages": settings.LANGUAGES,
    }
    return render(request, "web/preferences.html", context, status=422 if error else 200)
