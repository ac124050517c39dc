"""Support tiers: a desk's tier path is its teams by tier (L1, L2, L3), then L4 vendors.

Escalating or de-escalating moves the ticket to the path's team for the new tier, clears
the assignee so that team's rule picks one, and writes the reason in the timeline.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.accounts.services import get_or_create_requester
from deskline.core.errors import Conflict, lazy_message
from deskline.desks.models import Desk, Team
from deskline.routing.models import Vendor, VendorCase
from deskline.tickets.choices import Status, Tier
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_follower, update_ticket
from deskline.tickets.services.events import event, save_events

MAX_REASON = 2000


def tier_path(desk: Desk) -> dict[int, Team]:
    """tier → the team that works it (the first by name when a tier has several)."""
    path: dict[int, Team] = {}
    for team in Team.objects.filter(desk=desk, tier__gte=Tier.L1).order_by("tier", "name"):
        path.setdefault(team.tier, team)
    return path


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("a reason is required")})
    if len(text) > MAX_REASON:
        raise ValidationError(
            {"reason": lazy_message(_("at most %(max)s characters"), max=MAX_REASON)}
        )
    return text


def _move(
    ticket: Ticket,
    *,
    actor: User | None,
    reason: str,
    tier: int,
    kind: str,
    vendor: Vendor | None = None,
    reference: str = "",
) -> Ticket:
    from deskline.routing.services.assignment import assign_ticket, enqueue

    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",)).select_related("desk").get(pk=ticket.pk)
        )
        if locked.status == Status.CLOSED:
            raise Conflict(lazy_message(_("%(ticket)s is closed"), ticket=locked.number))
        before = {"tier": locked.tier, "team": locked.team.slug if locked.team_id else None}
        changes: dict = {"tier": tier}
        team = None
        if tier < Tier.L4:
            team = tier_path(locked.desk).get(tier)
            if team is None:
                raise ValidationError(
                    {
                        "tier": lazy_message(
                            _("desk %(desk)s has no L%(tier)s team"),
                            desk=locked.desk.slug,
                            tier=tier,
                        )
                    }
                )
            changes.update({"team": team.pk, "assignee": None})
        update_ticket(locked, actor=actor, changes=changes)
        after = {"tier": tier, "team": team.slug if team else before["team"], "reason": reason}
        if vendor is not None:
            VendorCase.objects.create(ticket=locked, vendor=vendor, reference=reference)
            after.update({"vendor": vendor.name, "vendor_reference": reference})
            # The vendor's contact follows the ticket, so mail with them stays on its thread.
            contact = get_or_create_requester(vendor.contact_email, vendor.name, field="vendor")
            add_follower(locked, contact, actor=actor)
        elif tier < Tier.L4:
            VendorCase.objects.filter(ticket=locked, closed_at__isnull=True).update(
                closed_at=timezone.now()
            )
        save_events([event(locked, actor, kind, field="tier", before=before, after=after)])
        if team is not None:
            transaction.on_commit(lambda: assign_ticket(locked.pk) or enqueue(locked.pk))
    ticket.refresh_from_db()
    return ticket


def escalate(
    ticket: Ticket,
    *,
    actor: User | None,
    reason: str,
    tier: int | None = None,
    vendor: Vendor | None = None,
    reference: str = "",
) -> Ticket:
    """Up the tier path (by default one step; to L4 with a vendor)."""
    reason = _clean_reason(reason)
    target = tier if tier is not None else ticket.tier + 1
    if not ticket.tier < target <= Tier.L4:
        raise ValidationError(
            {"tier": lazy_message(_("escalating goes above L%(tier)s, up to L4"), tier=ticket.tier)}
        )
    if target == Tier.L4 and vendor is None:
        raise ValidationError({"vendor": _("escalating to L4 needs a vendor")})
    if vendor is not None and (target != Tier.L4 or vendor.desk_id != ticket.desk_id):
        raise ValidationError({"vendor": _("a vendor of this desk takes tickets at L4 only")})
    return _move(
        ticket,
        actor=actor,
        reason=reason,
        tier=target,
        kind="escalated",
        vendor=vendor,
        reference=reference.strip()[:100],
    )


def deescalate(
    ticket: Ticket, *, actor: User | None, reason: str, tier: int | None = None
) -> Ticket:
    """Down the tier path (by default to the next lower tier that has a team)."""
    reason = _clean_reason(reason)
    if tier is None:
        lower = [t for t in tier_path(ticket.desk) if t < ticket.tier]
        if not lower:
            raise ValidationError(
                {"tier": lazy_message(_("there is no tier below L%(tier)s"), tier=ticket.tier)}
            )
        tier = max(lower)
    if not Tier.L1 <= tier < ticket.tier:
        raise ValidationError(
            {
                "tier": lazy_message(
                    _("de-escalating goes below L%(tier)s, down to L1"), tier=ticket.tier
                )
            }
        )
    return _move(ticket, actor=actor, reason=reason, tier=tier, kind="deescalated")


def set_vendor_reference(ticket: Ticket, *, actor: User | None, reference: str) -> VendorCase:
    case = VendorCase.objects.filter(ticket=ticket, closed_at__isnull=True).first()
    if case is None:
        raise Conflict(lazy_message(_("%(ticket)s is not with a vendor"), ticket=ticket.number))
    reference = reference.strip()
    if not reference or len(reference) > 100:
        raise ValidationError({"reference": _("1 to 100 characters")})
    with transaction.atomic():
        before = case.reference
        case.reference = reference
        case.save(update_fields=["reference"])
        save_events(
            [
                event(
                    ticket,
                    actor,
                    "field_changed",
                    field="vendor_reference",
                    before=before or None,
                    after=reference,
                )
            ]
        )
    return case
