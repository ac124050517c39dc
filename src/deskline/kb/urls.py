from django.urls import path

from deskline.kb import agent_views, views

app_name = "kb"
urlpatterns = [
    path("", views.help_home, name="home"),
    # Desk slugs never start with "_", so this cannot hide a help center.
    path("_report/", views.help_report, name="report"),
    path("_tickets/<str:number>/", agent_views.ticket_articles, name="ticket_articles"),
    path(
        "_tickets/<str:number>/insert/<int:article_id>/",
        agent_views.insert_article,
        name="ticket_insert",
    ),
    path("_tickets/<str:number>/draft/", agent_views.draft_from_ticket, name="ticket_draft"),
    path("<slug:slug>/", views.help_desk, name="desk"),
    path("<slug:slug>/suggest/", views.help_suggest, name="suggest"),
    path("<slug:slug>/articles/<int:article_id>/", views.help_article, name="article"),
    path("<slug:slug>/articles/<int:article_id>/feedback/", views.help_feedback, name="feedback"),
    path("<slug:slug>/articles/<int:article_id>/answered/", views.help_answered, name="answered"),
]
