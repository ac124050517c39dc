"""Bounces and automated mail, against sisimai's classification of real bounces."""

import pytest

from deskline.mail.parsing import parse_message
from deskline.mail.tests.corpus import MAIL_DIR, SISIMAI, SKIP_REASON, bounce_scores, parsed_corpus

needs_corpus = pytest.mark.skipif(not MAIL_DIR.is_dir(), reason=SKIP_REASON)


@needs_corpus
def test_sisimai_agreement():
    scores = bounce_scores(parsed_corpus())
    # Measured on the staged files: detected 0.96, hard/soft 0.84, reason 0.59,
    # DSN status 0.94, every bsd/ mail automated 0.97.
    assert scores["bounces"] > 300
    assert scores["detected"] >= 0.93, scores
    assert scores["hard_soft"] >= 0.8, scores
    assert scores["reason"] >= 0.55, scores
    assert scores["status"] >= 0.9, scores
    assert scores["bsd_automated"] >= 0.95, scores


@needs_corpus
def test_plain_mail_in_not_folder_is_neither_bounce_nor_automated():
    mail = parsed_corpus()[SISIMAI / "maildir" / "not" / "is-not-bounce-01.eml"]
    assert mail.bounce is None
    assert mail.automated == ""


@needs_corpus
def test_flanker_bounces_and_complaints():
    parsed = parsed_corpus()
    bounce_dir = MAIL_DIR / "flanker_fixtures" / "bounce"
    for path in sorted(bounce_dir.glob("*.eml")):
        assert parsed[path].automated == "bounce", path.name
    full = parsed[bounce_dir / "mailbox-full.eml"].bounce
    assert full is not None and full.reason == "mailboxfull" and not full.hard
    for path in sorted((MAIL_DIR / "flanker_fixtures" / "complaints").glob("*.eml")):
        assert parsed[path].automated == "feedback-report", path.name
        assert parsed[path].bounce is None


@needs_corpus
def test_rfc3464_report_fields():
    mail = parsed_corpus()[SISIMAI / "maildir" / "bsd" / "lhost-postfix-01.eml"]
    assert mail.bounce is not None
    assert mail.bounce.recipient and "@" in mail.bounce.recipient
    assert mail.bounce.status == "5.1.1"
    assert mail.bounce.hard
    # The returned original is kept as a file, not shown as a forward.
    assert mail.forwarded_from is None


def _mail(headers: str, body: str = "Hello") -> bytes:
    return (headers.strip() + "\n\n" + body + "\n").encode()


BASE = "From: Sam <sam@example.com>\nTo: help@example.org\nSubject: Printer\n"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", ""),
        ("Auto-Submitted: no", ""),
        ("Auto-Submitted: auto-replied", "auto-reply"),
        ("Auto-Submitted: auto-generated", "auto-generated"),
        ("X-Autoreply: yes", "auto-reply"),
        ("X-Autorespond: yes", "auto-reply"),
        ("X-Auto-Response-Suppress: All", "auto-generated"),
        ("Precedence: bulk", "bulk"),
        ("Precedence: junk", "bulk"),
        ("Precedence: list", "list"),
        ("List-Id: <news.example.com>", "list"),
        ("List-Unsubscribe: <mailto:leave@example.com>", "list"),
        ("Return-Path: <>", "null-sender"),
    ],
)
def test_automated_headers(extra, expected):
    assert parse_message(_mail(BASE + extra)).automated == expected


def test_daemon_sender_and_empty_from():
    daemon = parse_message(_mail("From: postmaster@example.com\nSubject: Hi there"))
    assert daemon.automated == "mailer-daemon"
    nobody = parse_message(_mail("To: help@example.org\nSubject: Printer"))
    assert nobody.automated == "null-sender"


def test_bounce_without_delivery_report():
    raw = _mail(
        "From: MAILER-DAEMON@mx.example.net\nTo: help@example.org\n"
        "Subject: Undelivered Mail Returned to Sender",
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        "<gone@example.com>: host mx.example.com said: 550 5.1.1 <gone@example.com>:\n"
        "    Recipient address rejected: User unknown in virtual mailbox table\n",
    )
    bounce = parse_message(raw).bounce
    assert bounce is not None
    assert (bounce.recipient, bounce.status, bounce.reason, bounce.hard) == (
        "gone@example.com",
        "5.1.1",
        "userunknown",
        True,
    )


@pytest.mark.parametrize(
    ("diagnostic", "reason", "hard"),
    [
        ("552 5.2.2 Mailbox full", "mailboxfull", False),
        ("550 Host unknown: no such domain", "hostunknown", True),
        ("554 Relay access denied", "norelaying", False),
        ("552 Message size exceeds fixed maximum message size", "mesgtoobig", False),
        ("550 Message rejected as spam", "spamdetected", False),
        ("550 Your IP is listed on Spamhaus", "blocked", False),
        ("550 This account has been suspended", "suspend", False),
    ],
)
def test_reason_words(diagnostic, reason, hard):
    raw = _mail(
        "From: Mail Delivery System <mailer-daemon@mx.example.net>\nTo: help@example.org\n"
        "Subject: Mail delivery failed",
        f"The following address failed:\n\n  user@example.com\n    {diagnostic}\n",
    )
    bounce = parse_message(raw).bounce
    assert bounce is not None
    assert (bounce.reason, bounce.hard) == (reason, hard)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Automatic reply: Printer", "auto-reply"),
        ("Out of Office: back Monday", "auto-reply"),
        ("自动回复: 打印机", "auto-reply"),
        ("Vacation request for June", ""),
        ("Re: out of office laptop setup", ""),
    ],
)
def test_auto_reply_subjects(subject, expected):
    raw = _mail(BASE.replace("Subject: Printer", f"Subject: {subject}"))
    assert parse_message(raw).automated == expected
