def test_admin_creates_desk_and_ticket_through_api(admin_user, api_for):
    api = api_for(admin_user)
    response = api.post(
        "/desks", {"name": "IT", "slug": "it", "prefix": "IT", "visibility": "internal"}
    )
    assert response.status_code == 201, response.content
    response = api.post(
        "/tickets",
        {
            "desk": "it",
            "subject": "VPN down",
            "requester": {"email": "a@example.com", "name": "A"},
            "message": {"body_text": "help"},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["number"] == "IT-1"
