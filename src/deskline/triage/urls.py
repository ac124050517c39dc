from django.urls import path

from deskline.triage import views

app_name = "triage"
urlpatterns = [
    path("", views.models_page, name="models"),
    path(
        "tickets/<str:number>/predictions/<int:prediction_id>/",
        views.decide_prediction,
        name="decide",
    ),
]
