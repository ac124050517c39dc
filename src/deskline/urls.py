from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from deskline.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs", permanent=False)),
    path("admin/", admin.site.urls),
    path("automation/", include("deskline.automation.urls")),
    path("triage/", include("deskline.triage.urls")),
    path("help/", include("deskline.kb.urls")),
    path("search/", include("deskline.search.urls")),
    path("", include("deskline.web.urls")),
]

handler404 = "deskline.api.fallback.page_not_found"
