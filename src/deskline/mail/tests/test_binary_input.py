"""Binary data where text was expected (a WAV file piped in, or sent as a text part)
must become a kept message or a recorded failure, never an unexpected exception."""

import io
import math
import random
import struct
import wave

import pytest

from deskline.mail.models import RawMail
from deskline.mail.parsing import MailParseError, parse_message
from deskline.mail.parsing.charsets import codec_for, decode_text, guess_decode
from deskline.mail.services.intake import ingest, process, store_raw
from deskline.mail.tests.corpus import MAIL_DIR

CORPUS_WAV = MAIL_DIR / "flanker_fixtures" / "attachments" / "mailgun-rocks.wav"


def wav_bytes(seconds: float = 0.2, rate: int = 22050) -> bytes:
    """A mono 16-bit WAV: the byte mix (cp1251's undefined 0x98 among many high
    bytes) that made the Cyrillic guess raise UnicodeDecodeError."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        samples = (int(30000 * math.sin(i * 0.37) * math.sin(i * 0.0011)) for i in range(frames))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


def wav_samples() -> list[bytes]:
    found = [wav_bytes()]
    if CORPUS_WAV.is_file():
        found.append(CORPUS_WAV.read_bytes())
    return found


def as_text_part(data: bytes, charset: str | None) -> bytes:
    content_type = "text/plain" + (f"; charset={charset}" if charset else "")
    head = (
        "From: Sam <sam@example.com>\r\nTo: it@desk.test\r\nSubject: recording\r\n"
        f"Message-ID: <wav-{charset}-{len(data)}@example.com>\r\n"
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + data


@pytest.mark.parametrize("data", wav_samples(), ids=lambda d: f"wav{len(d)}")
def test_guessing_the_charset_of_audio_bytes_returns_text(data):
    assert 0x98 in data  # the byte cp1251 cannot decode
    text = guess_decode(data)
    assert isinstance(text, str) and text.startswith("RIFF")
    # koi8-r is left out: it maps all 256 bytes, so any bytes "fit" it.
    for label in (None, "utf-8", "windows-1251", "gb2312", "utf-7"):
        decoded, note = decode_text(data, label)
        assert decoded.startswith("RIFF")
        assert note  # the damage is reported, not hidden


@pytest.mark.parametrize("data", wav_samples(), ids=lambda d: f"wav{len(d)}")
def test_raw_audio_file_is_refused_as_not_mail(data):
    with pytest.raises(MailParseError):
        parse_message(data)


@pytest.mark.parametrize("charset", [None, "windows-1251", "utf-8"])
def test_audio_sent_as_a_text_part_parses_into_a_message(charset):
    mail = parse_message(as_text_part(wav_bytes(), charset))
    assert mail.subject == "recording"
    assert mail.from_email == "sam@example.com"
    assert mail.text_body.startswith("RIFF")
    assert any("guess" in defect for defect in mail.defects)
    # PostgreSQL text cannot hold NUL: the parser takes it out and says so.
    assert "\x00" not in mail.text_body
    assert any("NUL characters removed" in defect for defect in mail.defects)


@pytest.mark.parametrize("label", ["base64", "zlib", "rot13", "hex", "undefined", "bz2"])
def test_labels_of_non_text_codecs_count_as_unknown(label):
    assert codec_for(label) is None
    raw = (
        f"From: a@example.com\r\nSubject: =?{label}?B?w6k=?=\r\n"
        f"Content-Type: text/plain; charset={label}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n"
    ).encode("latin-1")
    mail = parse_message(raw)
    assert mail.text_body == "café"
    assert mail.subject == "é"


def test_random_bytes_never_raise_from_the_guesser():
    chance = random.Random(20261123)  # fixed seed: a failure can be replayed
    labels = [None, "utf-8", "gb2312", "koi8-r", "windows-1251", "utf-7", "iso-2022-jp"]
    for _ in range(1500):
        data = bytes(chance.randrange(256) for _ in range(chance.randrange(1, 400)))
        assert isinstance(guess_decode(data), str)
        assert isinstance(decode_text(data, chance.choice(labels))[0], str)


@pytest.mark.django_db
def test_ingesting_audio_keeps_a_message_or_records_a_failure(it_address):
    piped = ingest(wav_bytes(), "pipe")
    assert piped.state == "failed"
    assert piped.reason == "MailParseError" and "not a mail message" in piped.error

    as_text = ingest(as_text_part(wav_bytes(), "windows-1251"), "pipe")
    assert as_text.state == "processed", as_text.error
    assert as_text.ticket is not None
    assert as_text.ticket_message.body_text.startswith("RIFF")
    assert RawMail.objects.count() == 2


# NUL bytes in the headers of the mail and of its parts: PostgreSQL text refuses them.
NUL_HEADERS = (
    b'From: "Na\x00me" <sam\x00@example.com>\r\nTo: it@desk.test, <o\x00ther@example.com>\r\n'
    b"Cc: c\x00c@example.com\r\nSubject: nul \x00 subject\r\n"
    b"Message-ID: <nul\x00id@example.com>\r\nIn-Reply-To: <ir\x00t@example.com>\r\n"
    b"References: <re\x00f@example.com>\r\nContent-Language: e\x00n\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
    b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody \x00 text\r\n"
    b'--B\r\nContent-Type: application/octet-stream; name="fi\x00le.bin"\r\n'
    b'Content-ID: <c\x00id@x>\r\nContent-Disposition: attachment; filename="fi\x00le.bin"\r\n'
    b"\r\nabc\r\n--B--\r\n"
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for pair in value.items() for s in _strings(pair)]
    return []


def test_nul_bytes_in_headers_leave_no_nul_in_what_is_parsed():
    mail = parse_message(NUL_HEADERS)
    fields = [getattr(mail, name) for name in vars(mail) if name != "attachments"]
    fields += [(a.filename, a.content_type, a.content_id) for a in mail.attachments]
    assert [s for s in _strings(fields) if "\x00" in s] == []
    assert mail.message_id == "nulid@example.com" and mail.from_email == "sam@example.com"
    assert mail.in_reply_to == ["irt@example.com"] and mail.references == ["ref@example.com"]


@pytest.mark.django_db
def test_mail_with_nul_bytes_in_headers_is_stored_and_becomes_a_ticket(it_address):
    # Stored, or a mail server would be told to retry a mail that can never be stored.
    raw_mail, created = store_raw(NUL_HEADERS, "pipe")
    assert created and raw_mail.message_id == "nulid@example.com"
    done = process(raw_mail.pk)
    assert done.state == "processed", done.error
    assert done.ticket.requester.email == "sam@example.com"
    assert [a.filename for a in done.ticket.attachments.all()] == ["fi_le.bin"]
