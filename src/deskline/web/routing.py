from django.urls import path

from deskline.web import consumers

websocket_urlpatterns = [
    path("ws/tickets/<int:ticket_id>/", consumers.TicketConsumer.as_asgi()),
    path("ws/desks/", consumers.DeskConsumer.as_asgi()),
    path("ws/me/", consumers.UserConsumer.as_asgi()),
]
