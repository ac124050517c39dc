"""Failed mail and mailboxes through the API: admins only, secrets never shown back."""

import pytest

from deskline.mail.models import Mailbox
from deskline.mail.services.intake import ingest

pytestmark = pytest.mark.django_db


def test_failed_list_and_reprocess_are_for_admins(api_for, admin_user, it_desk, agent_on):
    failed = ingest(b"\x00\x01 not mail \x00" * 10, "pipe")
    agent = agent_on(it_desk)
    assert api_for(agent).get("/mail/failed").status_code == 403
    assert api_for(agent).post(f"/mail/failed/{failed.pk}/reprocess").status_code == 403
    admin = api_for(admin_user)
    listed = admin.get("/mail/failed").json()
    assert [m["id"] for m in listed] == [failed.pk]
    assert "MailParseError" in listed[0]["error"] and listed[0]["state"] == "failed"
    again = admin.post(f"/mail/failed/{failed.pk}/reprocess")
    assert again.status_code == 200 and again.json()["attempts"] == 2
    assert admin.post("/mail/failed/999999/reprocess").status_code == 404
    assert admin.get("/mail/failed", {"state": "bogus"}).status_code == 422


def test_reprocessing_processed_mail_is_a_conflict(api_for, admin_user, it_desk):
    from deskline.mail.models import DeskAddress
    from deskline.mail.tests.conftest import build_mail

    DeskAddress.objects.create(desk=it_desk, email="it@desk.test")
    done = ingest(build_mail(), "pipe")
    response = api_for(admin_user).post(f"/mail/failed/{done.pk}/reprocess")
    assert response.status_code == 409


def test_mailbox_crud_keeps_the_secret_write_only(api_for, admin_user, it_desk):
    admin = api_for(admin_user)
    body = {
        "name": "Support inbox",
        "desk": "it",
        "host": "imap.example.com",
        "username": "support",
        "secret": "hunter2-very-secret",
    }
    created = admin.post("/mail/mailboxes", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["has_secret"] is True and "hunter2" not in created.content.decode()
    mailbox_id = data["id"]
    listed = admin.get("/mail/mailboxes")
    assert "hunter2" not in listed.content.decode()
    body.pop("secret")
    body["folder"] = "Support"
    updated = admin.put(f"/mail/mailboxes/{mailbox_id}", body)
    assert updated.status_code == 200 and updated.json()["folder"] == "Support"
    assert Mailbox.objects.get(pk=mailbox_id).secret == "hunter2-very-secret"
    bad = admin.post("/mail/mailboxes", {**body, "desk": "nope", "extra": 1})
    assert bad.status_code == 422
    assert (
        admin.post("/mail/mailboxes", {**body, "desk": "nope"}).json()["errors"][0]["field"]
        == "desk"
    )
    assert admin.delete(f"/mail/mailboxes/{mailbox_id}").status_code == 204
    assert admin.get(f"/mail/mailboxes/{mailbox_id}").status_code == 404


def test_admin_page_never_renders_the_secret(admin_user, it_desk, client):
    mailbox = Mailbox.objects.create(
        name="x", desk=it_desk, host="h", username="u", secret="topsecret-value"
    )
    client.force_login(admin_user)
    page = client.get(f"/admin/mail/mailbox/{mailbox.pk}/change/")
    assert page.status_code == 200 and b"topsecret-value" not in page.content
    failed_page = client.get("/admin/mail/rawmail/")
    assert failed_page.status_code == 200


def test_mailbox_changes_are_audited_without_the_secret(api_for, admin_user, it_desk):
    """Who pointed a desk at which mailbox, and when its password changed, is in the
    audit log; the password itself never is."""
    from deskline.accounts.models import AuditEntry

    admin = api_for(admin_user)
    body = {"name": "Inbox", "desk": "it", "host": "imap.example.com", "username": "it"}
    created = admin.post("/mail/mailboxes", {**body, "secret": "s3cret-one"}).json()
    admin.put(f"/mail/mailboxes/{created['id']}", {**body, "secret": "s3cret-two"})
    admin.put(f"/mail/mailboxes/{created['id']}", {**body, "folder": "Archive"})
    assert admin.delete(f"/mail/mailboxes/{created['id']}").status_code == 204

    entries = AuditEntry.objects.filter(object_type="mailbox").order_by("id")
    assert [(e.action, e.actor_id, e.object_id) for e in entries] == [
        ("mailbox.created", admin_user.pk, str(created["id"])),
        ("mailbox.updated", admin_user.pk, str(created["id"])),
        ("mailbox.updated", admin_user.pk, str(created["id"])),
        ("mailbox.deleted", admin_user.pk, str(created["id"])),
    ]
    assert [e.data.get("secret_changed") for e in entries[:3]] == [True, True, False]
    assert all("s3cret" not in str(e.data) for e in entries)
