"""Stored mail's keys move from "mid:" (the Message-ID alone) to "mc:" (the Message-ID
with the content that tells two mails apart: services.intake.identity), so that mail
still in a mailbox (POP3 keeps it; IMAP mail marked unread again) is recognised when
it is fetched again after the upgrade. Reads each such mail's bytes once, in batches
of bounded size."""

import hashlib
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.db import migrations

BATCH_BYTES = 64 * 1024 * 1024


def _key(message_id: str, raw: bytes) -> str | None:
    # A frozen copy of services.intake.identity and dedupe_key (migrations must not
    # change with the code); tests/test_message_id_reuse.py checks they agree.
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n", 0, crlf if crlf >= 0 else len(raw))
    if lf >= 0:
        head_end, start = lf, lf + 2
    elif crlf >= 0:
        head_end, start = crlf, crlf + 4
    else:
        head_end = start = len(raw)
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:head_end])
        values = [str(headers.get(name, "")) for name in ("from", "date", "subject")]
    except Exception:
        return None  # unreadable now as then: the old key stays
    content = hashlib.sha256()
    for value in values:
        content.update(b" ".join(value.encode("utf-8", "surrogateescape").split()) + b"\n")
    end = len(raw)
    while end > start and raw[end - 1] in b" \t\r\n":
        end -= 1
    if raw.find(b"\r", start, end) < 0:
        content.update(raw[start:end].replace(b"\n", b"\r\n"))
    else:
        content.update(memoryview(raw)[start:end])
    both = f"{message_id}\n{content.hexdigest()}".encode("utf-8", "surrogateescape")
    return "mc:" + hashlib.sha256(both).hexdigest()


def forward(apps, schema_editor):
    rows = apps.get_model("mail", "RawMail").objects
    old = list(rows.filter(dedupe_key__startswith="mid:").order_by("pk").values_list("pk", "size"))
    batch: list[int] = []
    size = 0
    for index, (pk, length) in enumerate(old):
        batch.append(pk)
        size += length
        if size < BATCH_BYTES and index < len(old) - 1:
            continue
        for row_pk, message_id, raw in rows.filter(pk__in=batch).values_list(
            "pk", "message_id", "raw"
        ):
            key = _key(message_id, bytes(raw))
            if key is not None:
                rows.filter(pk=row_pk).update(dedupe_key=key)
        batch, size = [], 0


class Migration(migrations.Migration):
    dependencies = [("mail", "0004_idn_emails_in_unicode")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
