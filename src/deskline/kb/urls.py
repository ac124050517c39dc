from django.urls import path

from deskline.kb import views

app_name = "kb"
urlpatterns = [
    path("", views.help_home, name="home"),
    path("<slug:slug>/", views.help_desk, name="desk"),
    path("<slug:slug>/suggest/", views.help_suggest, name="suggest"),
    path("<slug:slug>/articles/<int:article_id>/", views.help_article, name="article"),
    path("<slug:slug>/articles/<int:article_id>/feedback/", views.help_feedback, name="feedback"),
]
