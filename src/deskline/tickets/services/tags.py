from deskline.tickets.models import Tag, Ticket, TicketTag


def tag_ids(names: list[str]) -> dict[str, int]:
    existing = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    return existing


def ticket_tag_names(ticket: Ticket) -> list[str]:
    return sorted(TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True))


def set_ticket_tags(ticket: Ticket, names: list[str]) -> None:
    wanted = tag_ids(names) if names else {}
    TicketTag.objects.filter(ticket=ticket).exclude(tag_id__in=wanted.values()).delete()
    have = set(TicketTag.objects.filter(ticket=ticket).values_list("tag_id", flat=True))
    TicketTag.objects.bulk_create(
        [
            TicketTag(ticket=ticket, tag_id=tag_id)
            for tag_id in wanted.values()
            if tag_id not in have
        ]
    )
