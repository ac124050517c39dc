from django.urls import path

from deskline.automation import hook_views, views

app_name = "automation"
urlpatterns = [
    path("", views.index, name="index"),
    path("webhooks/", hook_views.hooks, name="hooks"),
    path("webhooks/new/", hook_views.webhook_edit, name="webhook_new"),
    path("webhooks/<int:object_id>/", hook_views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:object_id>/deliveries/", hook_views.deliveries, name="webhook_deliveries"),
    path("inbound-hooks/new/", hook_views.inbound_new, name="inbound_new"),
    path("inbound-hooks/<int:object_id>/delete/", hook_views.inbound_delete, name="inbound_delete"),
    path("<str:kind>/new/", views.edit, name="new"),
    path("<str:kind>/<int:object_id>/", views.edit, name="edit"),
    path("<str:kind>/<int:object_id>/dry-run/", views.dry_run, name="dry_run"),
]
