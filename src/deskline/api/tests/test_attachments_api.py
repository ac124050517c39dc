"""Uploading files, sending them with a message, downloading them safely."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from deskline.desks.models import Role
from deskline.tickets.models import Attachment, Message, TicketFollower
from deskline.tickets.services import add_message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


@pytest.fixture
def agent(support_desk, agent_on):
    return agent_on(support_desk, Role.AGENT, email="agent@example.com")


@pytest.fixture
def requester(make_user):
    return make_user("rita@example.com")


@pytest.fixture
def ticket(support_desk, requester, make_ticket):
    return make_ticket(support_desk, requester, "Screenshot of the error")


def upload(api, ticket, name: str, content: bytes, content_type: str = "text/plain"):
    return api.post(
        f"/tickets/{ticket.pk}/attachments",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        content_type=MULTIPART_CONTENT,
    )


def field_errors(response) -> list[str]:
    assert response.status_code == 422, response.content
    return [e["field"] for e in response.json()["errors"]]


def leftover_uploads(settings) -> list[Path]:
    return list(Path(settings.ATTACHMENT_ROOT).glob(".upload-*"))


def test_upload_send_and_download(ticket, requester, agent, api_for):
    content = "Fehler: ünïcödé 错误\n".encode() * 100
    api = api_for(requester)
    response = upload(api, ticket, "error log.txt", content)
    assert response.status_code == 201, response.content
    uploaded = response.json()
    assert set(uploaded) == {"id", "filename", "content_type", "size", "url"}
    assert uploaded["filename"] == "error log.txt"
    assert uploaded["content_type"] == "text/plain"
    assert uploaded["size"] == len(content)
    assert uploaded["url"] == f"/api/v1/attachments/{uploaded['id']}"
    assert Attachment.objects.get(pk=uploaded["id"]).message is None

    response = api.post(
        f"/tickets/{ticket.pk}/messages",
        {"body_text": "Here is the log.", "attachment_ids": [uploaded["id"]]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == [uploaded]
    listed = api_for(agent).get(f"/tickets/{ticket.pk}/messages").json()["items"]
    assert listed[-1]["attachments"] == [uploaded]

    for viewer in (requester, agent):
        download = api_for(viewer).get(f"/attachments/{uploaded['id']}")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Type"].startswith("text/plain")
        assert "sandbox" in download["Content-Security-Policy"]
    # A sent file cannot be sent again.
    response = api.post(
        f"/tickets/{ticket.pk}/messages", {"body_text": "again", "attachment_ids": [uploaded["id"]]}
    )
    assert field_errors(response) == ["attachment_ids"]


def test_a_message_may_be_only_attachments(ticket, agent, api_for):
    api = api_for(agent)
    ids = [upload(api, ticket, f"shot{n}.png", PNG + bytes([n])).json()["id"] for n in range(2)]
    response = api.post(f"/tickets/{ticket.pk}/messages", {"attachment_ids": ids})
    assert response.status_code == 201, response.content
    message = response.json()
    assert message["body_text"] == ""
    assert [a["id"] for a in message["attachments"]] == ids
    assert [a["content_type"] for a in message["attachments"]] == ["image/png", "image/png"]


def test_type_comes_from_content_not_from_name(ticket, agent, api_for):
    api = api_for(agent)
    body = upload(api, ticket, "report.pdf", PNG, content_type="application/pdf").json()
    assert body["content_type"] == "image/png"
    body = upload(api, ticket, "notes.txt", b"%PDF-1.7 fake", content_type="text/plain").json()
    assert body["content_type"] == "application/pdf"


def test_image_is_shown_inline(ticket, agent, api_for):
    api = api_for(agent)
    uploaded = upload(api, ticket, "shot.png", PNG, content_type="image/png").json()
    download = api.get(f"/attachments/{uploaded['id']}")
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("inline")
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "stored_type"),
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>", "text/html"),
        ("page.htm", b"<script>alert(1)</script>", "text/html"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', None),
        ("page.xhtml", b"<html xmlns='http://www.w3.org/1999/xhtml'></html>", None),
    ],
)
def test_active_content_is_served_as_a_download(
    ticket, agent, requester, api_for, name, content, stored_type
):
    api = api_for(agent)
    uploaded = upload(api, ticket, name, content, content_type="text/html").json()
    if stored_type:
        assert uploaded["content_type"] == stored_type
    add_message(
        ticket,
        actor=agent,
        body_text="see file",
        attachments=[Attachment.objects.get(pk=uploaded["id"])],
    )
    for viewer in (agent, requester):
        download = api_for(viewer).get(f"/attachments/{uploaded['id']}")
        assert download.status_code == 200
        assert download["Content-Type"] == "application/octet-stream"
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Security-Policy"].startswith("sandbox")
        assert b"".join(download.streaming_content) == content


def test_size_limit(ticket, agent, api_for, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    api = api_for(agent)
    assert upload(api, ticket, "small.txt", b"x" * 1024).status_code == 201
    response = upload(api, ticket, "big.txt", b"x" * 1025)
    assert field_errors(response) == ["file"]
    assert Attachment.objects.count() == 1
    assert leftover_uploads(settings) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("setup.exe", b"plain text, but the name says exe", id="exe-extension"),
        pytest.param("SETUP.EXE", b"shouting", id="exe-upper-case"),
        pytest.param("run.bat", b"echo hi", id="bat"),
        pytest.param("report.pdf.js", b"alert(1)", id="double-extension-js"),
        pytest.param("tool.dat", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, id="mz-header"),
        pytest.param("invoice.pdf", b"MZ" + b"\x00" * 100, id="mz-named-pdf"),
        pytest.param("prog", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, id="elf"),
    ],
)
def test_executables_are_refused(ticket, agent, api_for, settings, name, content):
    response = upload(api_for(agent), ticket, name, content, content_type="application/pdf")
    assert field_errors(response) == ["file"]
    assert not Attachment.objects.exists()
    assert leftover_uploads(settings) == []


def test_missing_file_is_422(ticket, agent, api_for):
    response = api_for(agent).post(
        f"/tickets/{ticket.pk}/attachments", {}, content_type=MULTIPART_CONTENT
    )
    assert field_errors(response) == ["file"]


def test_an_unreadable_multipart_body_is_a_json_400(ticket, agent, api_for):
    api = api_for(agent)
    response = api.client.post(
        f"/api/v1/tickets/{ticket.pk}/attachments",
        data=b"--zz\r\ngarbage",
        content_type="multipart/form-data",  # no boundary
        headers=api.headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"
    assert "boundary" in response.json()["detail"]


def test_filename_loses_its_path(ticket, agent, api_for):
    api = api_for(agent)
    for name in ("../../etc/passwd.txt", "C:\\Users\\rita\\passwd.txt"):
        assert upload(api, ticket, name, b"root:x:0:0").json()["filename"] == "passwd.txt"


def test_someone_elses_unsent_upload_cannot_be_sent_or_downloaded(
    ticket, requester, agent, support_desk, agent_on, make_user, api_for
):
    follower = make_user("fay@example.com")
    TicketFollower.objects.create(ticket=ticket, user=follower)
    draft = upload(api_for(requester), ticket, "draft.txt", b"not sent yet").json()

    # Another person on the ticket can neither send nor fetch the requester's draft.
    response = api_for(follower).post(
        f"/tickets/{ticket.pk}/messages", {"body_text": "mine now", "attachment_ids": [draft["id"]]}
    )
    assert field_errors(response) == ["attachment_ids"]
    assert api_for(follower).get(f"/attachments/{draft['id']}").status_code == 404
    other_agent = agent_on(support_desk, Role.AGENT)
    response = api_for(other_agent).post(
        f"/tickets/{ticket.pk}/messages", {"body_text": "sending", "attachment_ids": [draft["id"]]}
    )
    assert field_errors(response) == ["attachment_ids"]
    # Nothing was sent; the draft is still the requester's and unsent.
    assert Attachment.objects.get(pk=draft["id"]).message is None
    assert Message.objects.filter(ticket=ticket).count() == 1
    assert api_for(requester).get(f"/attachments/{draft['id']}").status_code == 200

    # An agent's draft is not shown to the requester either.
    agent_draft = upload(api_for(agent), ticket, "internal.txt", b"agent draft").json()
    assert api_for(requester).get(f"/attachments/{agent_draft['id']}").status_code == 404
    assert api_for(follower).get(f"/attachments/{agent_draft['id']}").status_code == 404


def test_upload_of_another_ticket_cannot_be_sent(
    ticket, support_desk, requester, agent, make_ticket, api_for
):
    other = make_ticket(support_desk, requester, "Another problem")
    api = api_for(agent)
    uploaded = upload(api, other, "a.txt", b"for the other ticket").json()
    response = api.post(
        f"/tickets/{ticket.pk}/messages", {"body_text": "x", "attachment_ids": [uploaded["id"]]}
    )
    assert field_errors(response) == ["attachment_ids"]
    assert Attachment.objects.get(pk=uploaded["id"]).message is None
    response = api.post(
        f"/tickets/{ticket.pk}/messages", {"body_text": "x", "attachment_ids": [999999]}
    )
    assert field_errors(response) == ["attachment_ids"]
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_internal_note_attachment_is_hidden_from_requesters(
    ticket, requester, agent, make_user, api_for
):
    api = api_for(agent)
    uploaded = upload(api, ticket, "diagnosis.txt", b"internal findings").json()
    response = api.post(
        f"/tickets/{ticket.pk}/messages",
        {"body_text": "see file", "internal": True, "attachment_ids": [uploaded["id"]]},
    )
    assert response.status_code == 201
    assert api.get(f"/attachments/{uploaded['id']}").status_code == 200
    hidden = api_for(requester).get(f"/attachments/{uploaded['id']}")
    missing = api_for(requester).get("/attachments/999999")
    assert hidden.status_code == missing.status_code == 404
    stranger = api_for(make_user())
    assert stranger.get(f"/attachments/{uploaded['id']}").status_code == 404
    # Nor is it mentioned in the messages the requester reads.
    items = api_for(requester).get(f"/tickets/{ticket.pk}/messages").json()["items"]
    assert all(a["id"] != uploaded["id"] for m in items for a in m["attachments"])


def test_who_may_upload(ticket, requester, support_desk, agent_on, make_user, api_for):
    assert upload(api_for(None), ticket, "a.txt", b"x").status_code == 401
    assert upload(api_for(make_user()), ticket, "a.txt", b"x").status_code == 404
    assert upload(api_for(requester), ticket, "a.txt", b"x").status_code == 201
    assert not Attachment.objects.filter(uploaded_by__isnull=True).exists()


def test_light_agent_attaches_files_to_internal_notes_only(ticket, support_desk, agent_on, api_for):
    api = api_for(agent_on(support_desk, Role.LIGHT_AGENT, email="light@example.com"))
    first = upload(api, ticket, "trace.txt", b"stack trace")
    assert first.status_code == 201, first.content
    public = api.post(
        f"/tickets/{ticket.pk}/messages",
        {"body_text": "public", "attachment_ids": [first.json()["id"]]},
    )
    assert public.status_code == 403
    note = api.post(
        f"/tickets/{ticket.pk}/messages",
        {"body_text": "note", "internal": True, "attachment_ids": [first.json()["id"]]},
    )
    assert note.status_code == 201, note.content
    assert Attachment.objects.get(pk=first.json()["id"]).message.internal is True


def test_same_content_twice_is_two_attachments(ticket, agent, api_for):
    api = api_for(agent)
    first = upload(api, ticket, "one.txt", b"same bytes").json()
    second = upload(api, ticket, "two.txt", b"same bytes").json()
    assert first["id"] != second["id"]
    a, b = Attachment.objects.get(pk=first["id"]), Attachment.objects.get(pk=second["id"])
    assert a.sha256 == b.sha256 and a.storage_path == b.storage_path
    for uploaded in (first, second):
        download = api.get(f"/attachments/{uploaded['id']}")
        assert b"".join(download.streaming_content) == b"same bytes"
