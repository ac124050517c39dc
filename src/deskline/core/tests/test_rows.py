"""deskline.core.rows writes and reads what the ORM would, to the stored text."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from deskline.core import rows
from deskline.tickets.models import Message, Ticket, TicketEvent


def _stored(model, pk):
    """The row as the database holds it (no converters): text dates, JSON text, 0/1."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {quote(model._meta.pk.column)} = %s",
            [pk],
        )
        columns = [c[0] for c in cursor.description]
        return {k: v for k, v in zip(columns, cursor.fetchone(), strict=True) if k != "id"}


def _message_values(ticket, author, **extra):
    values = {
        "ticket": ticket,
        "author": author,
        "sender_name": "Ann",
        "sender_email": "ann@example.com",
        "subject": "Printer",
        "body_text": "Ça brûle",
        "body_html": "<p>Ça brûle</p>",
        "internal": True,
        "channel": "email",
        "source_headers": {"to": ["a@b.example"], "n": 3, "x": None},
        "created_at": timezone.now(),
    }
    return {**values, **extra}


@pytest.fixture
def ticket(it_desk, make_user, make_ticket):
    return make_ticket(it_desk, make_user())


def test_insert_writes_what_create_writes(ticket):
    when = datetime.datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=datetime.UTC)
    orm = Message.objects.create(**_message_values(ticket, ticket.requester, created_at=when))
    plain = Message(**_message_values(ticket, ticket.requester, created_at=when))
    rows.insert(plain)
    assert plain.pk == orm.pk + 1
    assert not plain._state.adding and plain._state.db == orm._state.db
    assert _stored(Message, plain.pk) == _stored(Message, orm.pk)
    assert Message.objects.get(pk=plain.pk).source_headers == orm.source_headers


def test_insert_many_writes_what_bulk_create_writes(ticket):
    def events():
        return [
            TicketEvent(ticket=ticket, actor=None, kind="field_changed", field="status",
                        before="new", after={"status": ["open", 1]}),
            TicketEvent(ticket=ticket, actor=ticket.requester, kind="note_added"),
        ]  # fmt: skip

    orm = TicketEvent.objects.bulk_create(events())
    plain = rows.insert_many(TicketEvent, events())
    assert [e.pk for e in plain] == [orm[-1].pk + 1, orm[-1].pk + 2]
    for a, b in zip(orm, plain, strict=True):
        stored_a, stored_b = _stored(TicketEvent, a.pk), _stored(TicketEvent, b.pk)
        stored_a.pop("created_at"), stored_b.pop("created_at")
        assert stored_a == stored_b
        assert not b._state.adding


def test_update_writes_what_save_update_fields_writes(ticket):
    twin = Ticket.objects.get(pk=ticket.pk)
    when = timezone.now()
    fields = ["status", "updated_at", "solved_at", "custom_status"]
    for obj in (ticket, twin):
        obj.status, obj.updated_at, obj.solved_at, obj.custom_status = "open", when, None, None
        obj.subject = "not saved"
    ticket.save(update_fields=fields)
    by_orm = _stored(Ticket, ticket.pk)
    earlier = when - datetime.timedelta(days=1)
    Ticket.objects.filter(pk=ticket.pk).update(
        status="solved", updated_at=earlier, solved_at=earlier
    )
    rows.update(twin, fields)
    assert _stored(Ticket, ticket.pk) == by_orm
    assert Ticket.objects.get(pk=ticket.pk).subject != "not saved"


def test_update_of_a_missing_row_fails_as_save_does(ticket):
    gone = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        rows.update(gone, ["status"])


def test_get_for_update_reads_what_the_orm_reads(ticket):
    ticket.custom_fields = {"serial": "X-1", "nested": {"a": [1, 2]}}
    ticket.first_response_at = timezone.now()
    ticket.save()
    with transaction.atomic():
        plain = rows.get_for_update(Ticket, ticket.pk)
        orm = Ticket.objects.select_for_update().get(pk=ticket.pk)
    assert {f.attname: getattr(plain, f.attname) for f in Ticket._meta.concrete_fields} == {
        f.attname: getattr(orm, f.attname) for f in Ticket._meta.concrete_fields
    }
    assert not plain._state.adding and plain._state.db == orm._state.db
    with pytest.raises(Ticket.DoesNotExist), transaction.atomic():
        rows.get_for_update(Ticket, ticket.pk + 1000)


@pytest.mark.skipif(
    not connection.features.has_select_for_update, reason="SQLite locks the whole database"
)
@pytest.mark.django_db(transaction=True)
def test_get_for_update_needs_a_transaction_where_rows_are_locked(ticket):
    with pytest.raises(TransactionManagementError):
        Ticket.objects.select_for_update().get(pk=ticket.pk)
    with pytest.raises(TransactionManagementError):
        rows.get_for_update(Ticket, ticket.pk)


def test_save_signal_receivers_still_hear_the_writes(ticket):
    heard = []

    def receiver(sender, instance, created, update_fields, **kwargs):
        heard.append((created, update_fields and sorted(update_fields)))

    post_save.connect(receiver, sender=Message)
    post_save.connect(receiver, sender=Ticket)
    try:
        rows.insert(Message(**_message_values(ticket, None)))
        rows.update(ticket, ["status"])
    finally:
        post_save.disconnect(receiver, sender=Message)
        post_save.disconnect(receiver, sender=Ticket)
    assert heard == [(True, None), (False, ["status"])]


def test_first_reads_what_the_orm_reads(ticket):
    from deskline.accounts.models import User

    requester = ticket.requester
    for model, name, value in ((Ticket, "pk", ticket.pk), (Ticket, "number", ticket.number),
                               (User, "email", requester.email)):  # fmt: skip
        plain = rows.first(model, name, value)
        orm = model.objects.filter(**{name: value}).order_by()[:1].get()
        fields = model._meta.concrete_fields
        assert [getattr(plain, f.attname) for f in fields] == [
            getattr(orm, f.attname) for f in fields
        ]
        assert not plain._state.adding and plain._state.db == orm._state.db
    assert rows.first(Ticket, "number", "NONE-1") is None
    assert rows.first(User, "email", "nobody@example.com") is None


def test_where_reads_every_row_the_orm_reads(ticket, make_user):
    from deskline.tickets.services import add_message

    agent = make_user(is_superuser=True)
    add_message(ticket, actor=agent, body_text="first note", internal=True)
    add_message(ticket, actor=agent, body_text="second note", internal=True)
    fields = Message._meta.concrete_fields

    def values(found):
        return sorted([getattr(m, f.attname) for f in fields] for m in found)

    plain = rows.where(Message, "ticket_id", ticket.pk)
    assert len(plain) == 3  # the opening message and both notes
    assert values(plain) == values(Message.objects.filter(ticket_id=ticket.pk))
    assert all(not m._state.adding for m in plain)
    assert rows.where(Message, "ticket_id", -1) == []


def test_first_with_reads_the_row_and_its_relation_as_select_related(ticket):
    plain = rows.first_with(Message, "ticket_id", ticket.pk, "ticket")
    orm = Message.objects.select_related("ticket").filter(ticket_id=ticket.pk).order_by()[:1].get()
    for model, a, b in ((Message, plain, orm), (Ticket, plain.ticket, orm.ticket)):
        fields = model._meta.concrete_fields
        assert [getattr(a, f.attname) for f in fields] == [getattr(b, f.attname) for f in fields]
    assert Message.ticket.is_cached(plain)
    assert rows.first_with(Message, "ticket_id", -1, "ticket") is None


def test_an_insert_sends_pre_save_before_writing_and_post_save_after(ticket):
    from django.db.models.signals import pre_save

    heard = []

    def before(sender, instance, raw, update_fields, **kwargs):
        heard.append(("pre", instance.pk, raw, update_fields))
        instance.subject = "set by a receiver"  # what the row must then hold

    def after(sender, instance, created, **kwargs):
        heard.append(("post", instance.pk is not None, created))

    pre_save.connect(before, sender=Message)
    post_save.connect(after, sender=Message)
    try:
        message = Message(**_message_values(ticket, None))
        rows.insert(message)
    finally:
        pre_save.disconnect(before, sender=Message)
        post_save.disconnect(after, sender=Message)
    assert heard == [("pre", None, False, None), ("post", True, True)]
    assert Message.objects.get(pk=message.pk).subject == "set by a receiver"


def test_the_shortcuts_prepare_values_as_the_fields_do():
    """rows writes some values without the field's whole get_db_prep_save() chain (a str
    in a text column, None, an aware datetime): what it writes must be what that chain
    returns, on this database."""
    import warnings

    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    from deskline.accounts.models import User
    from deskline.web.models import LiveChange

    db = connections["default"]
    aware = timezone.now()
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5, 6)
    samples = [None, "", "Ça brûle", True, False, 0, 7, aware, naive, {"a": [1]}]
    used = set()
    for model in (Ticket, Message, TicketEvent, DBTaskResult, LiveChange, User):
        for field, _, _, unchanged, shortcuts in rows._writers(
            list(model._meta.local_concrete_fields), db
        ):
            for value in samples:
                if type(value) in unchanged:
                    used.add("unchanged")
                    expected = field.get_db_prep_save(value, connection=db)
                    assert expected is value, (model, field.name, value)
                elif type(value) in shortcuts:
                    used.add(type(value).__name__)
                    with warnings.catch_warnings(record=True) as theirs:
                        warnings.simplefilter("always")
                        expected = field.get_db_prep_save(value, connection=db)
                    with warnings.catch_warnings(record=True) as ours:
                        warnings.simplefilter("always")
                        got = shortcuts[type(value)](value)
                    assert got == expected and type(got) is type(expected), (field.name, value)
                    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert used == {"unchanged", "NoneType", "datetime"}
