from django.contrib.auth import views as auth_views
from django.urls import path

from deskline.web import views
from deskline.web.views import (
    canned,
    console,
    notifications,
    portal,
    preferences,
    setup,
    sign_in_link,
    ticket_page,
)

app_name = "web"
urlpatterns = [
    path("", console.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/link/", sign_in_link.ask, name="sign_in_link"),
    path("portal/sign-in/<str:token>/", sign_in_link.use, name="sign_in_link_use"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("health", views.health, name="health"),
    path("language/", preferences.set_language, name="set_language"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/badge/", notifications.notification_badge, name="notification_badge"),
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
    path("tickets/<str:number>/split/", ticket_page.split, name="ticket_split"),
    path("tickets/<str:number>/macro/", canned.use, name="ticket_macro"),
    path(
        "tickets/<str:number>/macro/<str:macro_id>/text/",
        canned.insert_text,
        name="ticket_macro_text",
    ),
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
