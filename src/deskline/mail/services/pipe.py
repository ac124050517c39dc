"""One mail handed over by a mail server's pipe: what `deskline mail ingest` does.

Shared by the command run in-process and by the worker's pipe socket
(`mail/pipe_server.py`), so a mail gets the same treatment, output and exit code
whichever of the two takes it.
"""

from dataclasses import dataclass

from deskline.mail.services import intake

# sysexits.h: the MTA keeps the message and retries later.
EX_TEMPFAIL = 75
PREFIX = "deskline mail ingest: "


@dataclass(frozen=True)
class PipeOutcome:
    exit_code: int
    stdout: str = ""
    stderr: str = ""


def ingest_piped(raw: bytes, desk_slug: str | None = None) -> PipeOutcome:
    """Store the bytes, then process them; exit 0 once stored, 75 when they could not be."""
    try:
        desk = None
        if desk_slug:
            from deskline.desks.models import Desk

            desk = Desk.objects.filter(slug=desk_slug).first()
            if desk is None:
                # A typo in the MTA's configuration: keep the mail queued there.
                return PipeOutcome(
                    EX_TEMPFAIL, stderr=f"deskline mail ingest: no desk {desk_slug!r}"
                )
        raw_mail, created = intake.store_raw(raw, "pipe", default_desk=desk)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the MTA must retry
        return PipeOutcome(
            EX_TEMPFAIL, stderr=f"deskline mail ingest: could not store the mail: {exc}"
        )
    intake._crash_point("after-store")
    if created or raw_mail.state == "received":
        try:
            # A new row holds exactly these bytes: parse them, do not read them back.
            fresh = {"raw": raw, "stored": raw_mail} if created else {}
            raw_mail = intake.process(raw_mail.pk, **fresh)
        except Exception as exc:  # noqa: BLE001 - stored: process_pending_mail retries
            return PipeOutcome(0, stderr=f"stored as {raw_mail.pk}; processing deferred: {exc}")
    ticket = raw_mail.ticket.number if raw_mail.ticket_id else "-"
    note = "" if created else " (already received)"
    return PipeOutcome(0, stdout=f"{raw_mail.pk}\t{raw_mail.state}\t{ticket}{note}")
