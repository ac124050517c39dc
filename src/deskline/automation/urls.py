from django.urls import path

from deskline.automation import views

app_name = "automation"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:kind>/new/", views.edit, name="new"),
    path("<str:kind>/<int:object_id>/", views.edit, name="edit"),
    path("<str:kind>/<int:object_id>/dry-run/", views.dry_run, name="dry_run"),
]
