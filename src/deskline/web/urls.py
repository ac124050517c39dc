from django.contrib.auth import views as auth_views
from django.urls import path

from deskline.web import views
from deskline.web.views import console, portal, preferences, setup, ticket_page

app_name = "web"
urlpatterns = [
    path("", console.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("health", views.health, name="health"),
    path("language/", preferences.set_language, name="set_language"),
    path("preferences/", preferences.preferences, name="preferences"),
    # Agent console
    path("tickets/", console.ticket_list, name="ticket_list"),
    path("tickets/bulk/", console.bulk_update, name="bulk_update"),
    path("views/", console.save_view, name="save_view"),
    path("views/<int:view_id>/delete/", console.delete_view, name="delete_view"),
    path("tickets/<str:number>/", ticket_page.ticket_page, name="ticket"),
    path("tickets/<str:number>/reply/", ticket_page.reply, name="ticket_reply"),
    path("tickets/<str:number>/update/", ticket_page.update_fields, name="ticket_update"),
    path("tickets/<str:number>/merge/", ticket_page.merge, name="ticket_merge"),
    path("tickets/<str:number>/link/", ticket_page.link, name="ticket_link"),
    # Requester portal
    path("portal/", portal.portal_home, name="portal"),
    path("portal/requests/<str:number>/", portal.portal_ticket, name="portal_ticket"),
    path("portal/requests/<str:number>/solve/", portal.portal_solve, name="portal_solve"),
    path("portal/<slug:slug>/", portal.request_form, name="portal_desk"),
    # Setup pages for admins and supervisors
    path("setup/", setup.setup_home, name="setup"),
    path("setup/desks/new/", setup.desk_edit, name="setup_desk_new"),
    path("setup/desks/<slug:slug>/", setup.desk_detail, name="setup_desk"),
    path("setup/desks/<slug:slug>/edit/", setup.desk_edit, name="setup_desk_edit"),
    path("setup/desks/<slug:slug>/<str:kind>/", setup.item_edit, name="setup_item_new"),
    path("setup/desks/<slug:slug>/<str:kind>/<int:item_id>/", setup.item_edit, name="setup_item"),
]
