"""parse_message on real corpus mails and on small mails built here."""

import struct

import pytest

from deskline.mail.parsing import MailParseError, parse_message, rewrite_cid
from deskline.mail.parsing.tnef import SIGNATURE, extract
from deskline.mail.tests.corpus import MAIL_DIR, SKIP_REASON

needs_corpus = pytest.mark.skipif(not MAIL_DIR.is_dir(), reason=SKIP_REASON)


def corpus(name: str):
    return parse_message((MAIL_DIR / name).read_bytes())


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\x01\x02PNG\x00" * 50])
def test_not_mail_raises(raw):
    with pytest.raises(MailParseError):
        parse_message(raw)


def test_text_without_headers_is_kept_as_body():
    mail = parse_message(b"Just a note\nwith two lines\n")
    assert mail.text_body == "Just a note\nwith two lines"
    assert mail.defects and "no mail headers" in mail.defects[0]


def test_headers_addresses_ids_date():
    raw = (
        b"From: =?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <Jose@Example.COM>\r\n"
        b'To: a@example.org, "Doe, John" <john@example.org>\r\n'
        b"Cc: =?utf-8?b?w4lsaXNl?= <elise@example.org>\r\n"
        b"Reply-To: replies@example.org\r\n"
        b"Subject: =?utf-8?B?5omT5Y2w5py6?= =?utf-8?B?5pWF6Zqc?= broken\r\n"
        b"Message-ID: <abc@example.com>\r\n"
        b"In-Reply-To: <x@example.com>\r\n"
        b"References: <w@example.com>\r\n <x@example.com>\r\n"
        b"Date: Mon, 3 Jun 2024 10:00:00 +0200\r\n"
        b"Content-Language: de-DE\r\n\r\nHallo\r\n"
    )
    mail = parse_message(raw)
    assert (mail.from_name, mail.from_email) == ("José Pérez", "jose@example.com")
    assert mail.to == ["a@example.org", "john@example.org"]
    assert mail.cc == ["elise@example.org"]
    assert mail.reply_to == ["replies@example.org"]
    assert mail.subject == "打印机故障 broken"
    assert mail.message_id == "abc@example.com"
    assert mail.in_reply_to == ["x@example.com"]
    assert mail.references == ["w@example.com", "x@example.com"]
    assert mail.date is not None and mail.date.utcoffset().total_seconds() == 7200
    assert mail.language == "de-DE"
    assert mail.text_body == "Hallo"
    assert mail.html_body == ""


def test_encoded_word_split_inside_a_character():
    # "é" (C3 A9) split over two encoded words: joined as bytes before decoding.
    mail = parse_message(b"Subject: =?utf-8?q?caf=C3?= =?utf-8?q?=A9?=\n\nx\n")
    assert mail.subject == "café"


def test_mislabelled_gb2312_is_read_as_gb18030():
    body = "打印机坏了，请帮忙。𠀀".encode("gb18030")  # the last character is not in GB2312
    raw = b"Subject: x\nContent-Type: text/plain; charset=gb2312\n\n" + body
    assert parse_message(raw).text_body == "打印机坏了，请帮忙。𠀀"


def test_latin1_with_an_accent_or_two_is_not_taken_for_cut_utf8():
    # Raw 8-bit Latin-1 in a header of an iso-8859-1 mail, and a body labelled utf-8
    # that was written in Windows-1252 (a common mislabel): one accented letter among
    # many ASCII ones is no sign of UTF-8 cut short, and must not become U+FFFD.
    raw = (
        b"Subject: Die Hasen und die Fr\xf6sche\nContent-Type: text/plain; "
        b"charset=iso-8859-1\n\nDie Hasen und die Fr\xf6sche\n"
    )
    assert parse_message(raw).subject == "Die Hasen und die Frösche"
    raw = (
        b"Subject: x\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Merci pour votre r\xe9ponse, tout fonctionne.\n"
    )
    assert parse_message(raw).text_body.strip() == "Merci pour votre réponse, tout fonctionne."
    # UTF-8 cut inside its last character (a name truncated at a byte limit) stays UTF-8.
    cut = "Größe überschritten: José".encode()[:-1]
    subject = parse_message(b"Subject: " + cut + b"\n\nx\n").subject
    assert subject == "Größe überschritten: Jos\ufffd"


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("windows-1256", "الطابعة لا تعمل"),
        ("koi8-r", "Принтер не работает"),
        ("big5", "印表機故障"),
        ("shift_jis", "プリンターが壊れました"),
        ("iso-2022-jp", "プリンターが壊れました"),
        ("utf-7", "Drucker kaputt – bitte"),
    ],
)
def test_declared_charsets(label, text):
    codec = {"windows-1256": "cp1256"}.get(label, label)
    raw = f"Subject: x\nContent-Type: text/plain; charset={label}\n\n".encode() + text.encode(codec)
    assert parse_message(raw).text_body == text


def test_unknown_charset_and_bad_base64_are_worked_around():
    raw = (
        b"Subject: x\nContent-Type: text/plain; charset=x-no-such-charset\n"
        b"Content-Transfer-Encoding: base64\n\n"
        + __import__("base64").b64encode("Grüße".encode()).rstrip(b"=")
        + b"!!\n"
    )
    mail = parse_message(raw)
    assert mail.text_body.startswith("Grüße")
    assert any("x-no-such-charset" in defect for defect in mail.defects)


HTML_MAIL = b"""From: a@example.com
Subject: html
MIME-Version: 1.0
Content-Type: multipart/related; boundary="b"

--b
Content-Type: text/html; charset=utf-8

<html><head><style>p{}</style><script>alert(1)</script></head><body dir="rtl">
<p lang="ar">\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7</p><img src="cid:logo@x">
<img src="https://tracker.example/p.gif"><a href="javascript:alert(1)">x</a>
<blockquote>old text</blockquote></body></html>
--b
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--b--
"""


def test_html_only_mail_is_sanitized_and_text_is_derived():
    mail = parse_message(HTML_MAIL)
    assert "script" not in mail.html_body and "alert" not in mail.html_body
    assert "tracker.example" not in mail.html_body
    assert 'src="cid:logo@x"' in mail.html_body
    assert 'lang="ar"' in mail.html_body and 'dir="rtl"' in mail.html_body
    assert mail.text_body.startswith("مرحبا")
    assert "> old text" in mail.text_body
    [image] = mail.attachments
    assert (image.content_id, image.inline, image.content) == ("logo@x", True, b"\x89PNG\r\n\x1a\n")
    assert image.filename == "image-1.png"
    urls = {"logo@x": "/api/v1/attachments/7"}
    rewritten = rewrite_cid(mail.html_body, urls.get)
    assert 'src="/api/v1/attachments/7"' in rewritten and "cid:" not in rewritten
    assert 'src=""' in rewrite_cid('<img src="cid:unknown">', urls.get)


def test_attachment_names_decoded_path_stripped_and_defaulted():
    raw = b"""Subject: files
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

see files
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename="C:\\\\Users\\\\sam\\\\report.pdf"

%PDF-1
--b
Content-Type: application/pdf
Content-Disposition: attachment

%PDF-2
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=utf-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1.docx

doc
--b--
"""
    mail = parse_message(raw)
    assert [a.filename for a in mail.attachments] == [
        "report.pdf",
        "attachment-2.pdf",
        "تقرير.docx",
    ]
    assert mail.text_body == "see files"


def _tnef_attribute(level: int, attr_id: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", checksum)


def test_tnef_attachments_are_taken_out_of_winmail_dat():
    blob = (
        struct.pack("<IH", SIGNATURE, 1)
        + _tnef_attribute(1, 0x0002800C, b"Body text\x00")
        + _tnef_attribute(2, 0x00069002, b"\x00" * 14)
        + _tnef_attribute(2, 0x00018010, b"budget.xls\x00")
        + _tnef_attribute(2, 0x0006800F, b"XLSDATA")
    )
    files, body = extract(blob)
    assert [(f.filename, f.content) for f in files] == [("budget.xls", b"XLSDATA")]
    assert body == "Body text"
    encoded = __import__("base64").encodebytes(blob)
    raw = (
        b"Subject: tnef\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
        b"Content-Type: text/plain\n\nhi\n--b\nContent-Type: application/ms-tnef\n"
        b"Content-Disposition: attachment; filename=winmail.dat\n"
        b"Content-Transfer-Encoding: base64\n\n" + encoded + b"--b--\n"
    )
    mail = parse_message(raw)
    assert [(a.filename, a.content) for a in mail.attachments] == [("budget.xls", b"XLSDATA")]


@needs_corpus
def test_real_tnef_and_fake_winmail_dat_are_kept():
    # A real Outlook TNEF without files, and a PNG misnamed winmail.dat: both kept whole.
    mail = corpus("zbateson_mmp/m4006.txt")
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert mail.attachments[0].content.startswith(b"\x89PNG")


@needs_corpus
def test_corpus_charsets():
    assert corpus("rt_emails/new-ticket-from-gb18030").subject == "测试"
    assert corpus("rt_emails/russian-subject-no-content-type").subject == "тест тест"
    assert corpus("ruby_mail_fixtures/multi_charset/japanese_iso_2022.eml").subject == "まみむめも"
    assert "스" in corpus("ruby_mail_fixtures/multi_charset/ks_c_5601-1987.eml").text_body
    assert "Frösche" in corpus("stalwart_mailparser/legacy/005.eml").text_body  # utf-7
    [attachment] = corpus("rt_emails/rfc2231-attachment-filename-continuations").attachments
    assert attachment.filename == "新しいテキスト ドキュメント.txt"


@needs_corpus
def test_forwarded_mail():
    attached = corpus("ruby_mail_fixtures/attachment_emails/attachment_message_rfc822.eml")
    assert attached.forwarded_from == ("Test Tester", "xxxx@xxxx.com")
    assert attached.attachments[0].filename.endswith(".eml")
    assert attached.attachments[0].content_type == "message/rfc822"
    assert "Subject: Another PDF" in attached.text_body  # the forwarded text is readable
    inline = corpus("django_helpdesk_mail/tests/test_files/utf-nondecodable.eml")
    assert inline.forwarded_from == ("Nikola", "nikola@example.cz")
    outlook = parse_message(
        b"From: agent@desk.example\nSubject: FW: printer\n\nPlease help.\n\n"
        b"From: Sam Customer [mailto:sam@customer.example]\nSent: Monday\nTo: agent\n"
        b"Subject: printer\n\nIt is broken.\n"
    )
    assert outlook.forwarded_from == ("Sam Customer", "sam@customer.example")
    reply = parse_message(
        b"From: a@example.com\nSubject: Re: printer\n\nOk\n\n-----Original Message-----\n"
        b"From: Sam <sam@example.com>\nSent: Monday\n\nOld\n"
    )
    assert reply.forwarded_from is None


def _with_attached(*inner: bytes, name: str = "fwd.eml") -> bytes:
    parts = b"".join(
        b"--B\r\nContent-Type: message/rfc822\r\n"
        b'Content-Disposition: attachment; filename="' + name.encode() + b'"\r\n\r\n'
        + message + b"\r\n"
        for message in inner
    )  # fmt: skip
    return (
        b"From: ann@example.com\r\nSubject: see attached\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nHello\r\n" + parts + b"--B--\r\n"
    )


def test_attached_messages_are_written_to_bytes_when_read_and_kept_once():
    from email import message_from_bytes, policy

    from deskline.mail.parsing.bodies import message_bytes

    first = b"From: sam@example.com\r\nSubject: one\r\n\r\nFirst.\r\n"
    other = b"From: sam@example.com\r\nSubject: two\r\n\r\nSecond.\r\n"
    mail = parse_message(_with_attached(first, first, other))
    # The same name and the same bytes are one file; other bytes under that name are kept.
    assert [a.filename for a in mail.attachments] == ["fwd.eml", "fwd.eml"]
    expected = [message_from_bytes(m, policy=policy.compat32) for m in (first, other)]
    assert [a.content for a in mail.attachments] == [message_bytes(m) for m in expected]

    single = parse_message(_with_attached(first))
    assert single.attachments[0]._render is not None  # not made until read
    assert single.attachments[0].content == message_bytes(expected[0])
    assert single.attachments[0]._render is None
