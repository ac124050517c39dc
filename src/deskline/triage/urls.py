from django.urls import path

from deskline.triage import views

app_name = "triage"
urlpatterns = [path("", views.models_page, name="models")]
