"""`deskline mail ...` in-process: failed list, reprocess, pending, redelivery on the pipe."""

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from deskline.mail.models import RawMail
from deskline.mail.services.intake import store_raw
from deskline.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db


def _ingest(monkeypatch, raw: bytes, *args: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("mail", "ingest", *args, stdout=out)
    return out.getvalue()


def test_ingest_redelivery_failed_list_reprocess_and_pending(monkeypatch, it_address, it_desk):
    mail = build_mail(message_id="<cmd@example.com>")
    assert "\tprocessed\tIT-1" in _ingest(monkeypatch, mail)
    assert "already received" in _ingest(monkeypatch, mail)
    assert "failed" in _ingest(monkeypatch, b"\x00\x01\x02" * 40, "--desk", "it")
    out = io.StringIO()
    call_command("mail", "failed", stdout=out)
    (line,) = out.getvalue().splitlines()
    failed_id = int(line.split("\t")[0])
    assert "MailParseError" in line
    with pytest.raises(SystemExit):  # still unreadable: reported, exit 1
        call_command("mail", "reprocess", str(failed_id), stdout=io.StringIO())
    assert RawMail.objects.get(pk=failed_id).attempts == 2
    with pytest.raises(CommandError, match="already became"):
        call_command("mail", "reprocess", str(RawMail.objects.get(state="processed").pk))
    with pytest.raises(CommandError, match="no mail"):
        call_command("mail", "reprocess", "999999")
    store_raw(build_mail(subject="left behind"), "smtp", default_desk=it_desk)
    out = io.StringIO()
    call_command("mail", "pending", stdout=out)
    assert out.getvalue().strip() == "processed 1 pending mail"
