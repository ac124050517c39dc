"""What the mail intake makes of the corpus, dumped for a before/after comparison.

    .venv/bin/python bench/mail_compare.py OUT.json [--smtp-url smtp://...]
    PYTHONPATH=/copy/of/src .venv/bin/python bench/mail_compare.py BEFORE.json
    diff BEFORE.json OUT.json

Ingests the corpus twice on a fresh SQLite database: once as it is (its own
Message-IDs, so mail of the corpus that answers other mail of it threads), then every
file again with a Message-ID of its own (new mail that answers, by In-Reply-To,
References or subject, what the first pass opened). Two desks: the bench desk (the
default desk of every mail) and a second one reached by addresses the corpus writes to.
Then dumps every row the intake wrote (mail states, reasons, errors, tickets, messages,
users, events, attachments, bounces, outbound mail, queued tasks, live updates), with
the columns that differ from run to run left out: times, random ids and file paths.
With --smtp-url the acknowledgement path runs too (nothing is sent: no worker runs).
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mail_ingest import corpus, setup_django, unique_copy  # noqa: E402

# Addresses the corpus often writes to (and from), made the second desk's.
SECOND_DESK = ["mueller@example.com", "blow@example.com", "larry@example.com", "rt@example.com"]
VOLATILE = {"storage_path", "password", "last_login", "api_key", "token"}
# Message-IDs of the mail we send (compose.new_message_id): time, pid and a random part.
GENERATED_ID = re.compile(r"^\d+\.\d+\.\d+@")
SKIP_APPS = {"contenttypes", "auth", "sessions", "admin", "migrations"}
SKIP_MODELS = {"mail.AddressesVersion"}  # the desk-address cache's change token, not data


def _clean(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date | uuid.UUID):
        return "<volatile>"
    if isinstance(value, bytes | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, str) and GENERATED_ID.match(value):
        return GENERATED_ID.sub("<generated>@", value)
    if isinstance(value, str) and len(value) > 200:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return value


def dump() -> dict:
    from django.apps import apps
    from django.db import models

    tables = {}
    for model in apps.get_models():
        if model._meta.app_label in SKIP_APPS or model._meta.label in SKIP_MODELS:
            continue
        if model._meta.proxy:
            continue
        skip = {
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.DateTimeField | models.DateField | models.UUIDField)
            or f.name in VOLATILE
        }
        rows = [
            {k: _clean(v) for k, v in row.items() if k not in skip}
            for row in model.objects.order_by("pk").values()
        ]
        if isinstance(model._meta.pk, models.UUIDField):  # random ids: order by content
            rows.sort(key=lambda row: json.dumps(row, sort_keys=True, default=str))
        if rows:
            tables[model._meta.label] = rows
    return tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--smtp-url", default="")
    args = parser.parse_args()
    if args.smtp_url:
        os.environ["DESKLINE_SMTP_URL"] = args.smtp_url
    else:
        os.environ.pop("DESKLINE_SMTP_URL", None)
    setup_django(tempfile.mkdtemp(prefix="deskline-mail-compare-"))
    import deskline
    from deskline.desks.services import create_desk
    from deskline.mail.models import DeskAddress
    from deskline.mail.services.intake import ingest

    print("code:", deskline.__file__, file=sys.stderr)
    desk = create_desk(name="Bench", slug="bench", prefix="BN", visibility="external")
    DeskAddress.objects.create(desk=desk, email="help@bench.test", primary=True)
    other = create_desk(name="Other", slug="other", prefix="OT", visibility="external")
    for n, email in enumerate(SECOND_DESK):
        DeskAddress.objects.create(desk=other, email=email, primary=n == 0)
    base = corpus()
    for raw in base:
        ingest(raw, "pipe", default_desk=desk)
    for n, raw in enumerate(base):
        ingest(unique_copy(raw, f"again-{n}"), "pipe", default_desk=desk)
    tables = dump()
    Path(args.out).write_text(json.dumps(tables, indent=1, sort_keys=True, default=str))
    print({label: len(rows) for label, rows in tables.items()}, file=sys.stderr)


if __name__ == "__main__":
    main()
