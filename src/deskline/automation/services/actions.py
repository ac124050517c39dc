"""Doing what triggers and scheduled rules decided, through the ticket services."""

import uuid
from typing import Any

from deskline.automation import actions as action_specs
from deskline.automation.chain import Chain, call_in_chain
from deskline.automation.placeholders import render, values_for
from deskline.tickets import services as ticket_services
from deskline.tickets.choices import Channel
from deskline.tickets.models import Ticket

AUTOMATION_NAME = "Deskline automation"


def _queue_mail(ticket: Ticket, action: dict, values: dict[str, str], batch: str) -> list[str]:
    """Hand the mail to the mail app's outbound service: its rows commit with this
    change (tracked Message-IDs, the desk's From, bounce and loop rules, retries).
    `batch` is shared by the mails of one firing, counted once by the per-ticket cap."""
    from deskline.mail.services.outbound import schedule_automatic_mail

    recipients = action_specs.mail_recipients(action, ticket)
    if recipients:
        subject, body, language = action_specs.mail_text_and_language(action, ticket)
        subject, body = render(subject, values), render(body, values)
        schedule_automatic_mail(ticket, recipients, subject, body, language, batch)
    return recipients


def _notify(ticket: Ticket, action: dict, values: dict[str, str]) -> list[str]:
    from deskline.notifications.kinds import AUTOMATION
    from deskline.notifications.services import notify

    people = action_specs.people_for(action["to"], ticket, action)
    notify([u.pk for u in people], AUTOMATION, render(action["text"], values), ticket_id=ticket.pk)
    return sorted(u.email for u in people)


def apply_actions(ticket: Ticket, actions: list[dict], chain: Chain) -> list[dict[str, Any]]:
    """Apply cleaned actions to the ticket as the system; return what was done.

    Field changes go in one update_ticket call (one change, one set of events); notes,
    mail, notifications and webhooks follow. Ticket changes continue `chain`.
    """
    done: list[dict[str, Any]] = []
    changes = action_specs.ticket_changes(actions, ticket)
    if changes:
        events = call_in_chain(
            chain,
            ticket.pk,
            lambda: ticket_services.update_ticket(ticket, actor=None, changes=changes),
            emitted=bool,
        )
        done.append({"type": "update", "fields": sorted({e.field for e in events})})
    values = values_for(ticket)
    mail_batch = uuid.uuid4().hex
    for action in actions:
        kind = action["type"]
        if kind == "add_note":
            message = call_in_chain(
                chain,
                ticket.pk,
                lambda action=action: ticket_services.add_message(
                    ticket,
                    actor=None,
                    body_text=render(action["body"], values),
                    internal=True,
                    channel=Channel.API,
                    sender_name=AUTOMATION_NAME,
                ),
                emitted=lambda _: True,
            )
            done.append({"type": "add_note", "message": message.pk})
        elif kind == "send_mail":
            done.append(
                {"type": "send_mail", "to": _queue_mail(ticket, action, values, mail_batch)}
            )
        elif kind == "notify":
            done.append({"type": "notify", "to": _notify(ticket, action, values)})
        elif kind == "webhook":
            from deskline.automation.services.webhooks import queue_for_action

            delivery = queue_for_action(action["webhook"], ticket)
            done.append({"type": "webhook", "delivery": delivery.pk if delivery else None})
    return done
