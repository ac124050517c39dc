"""The desk addresses each process keeps in memory follow every change, from any process."""

import uuid

import pytest
from django.db import connection

from deskline.mail.models import AddressesVersion, DeskAddress
from deskline.mail.services import addresses
from deskline.mail.services.addresses import (
    desk_addresses,
    is_known_recipient,
    sending_address,
)
from deskline.mail.services.intake import ingest
from deskline.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db


def test_a_new_address_is_used_by_the_next_mail(it_address, support_desk):
    assert ingest(build_mail(to="help@desk.test"), "pipe").reason == "no-desk"
    DeskAddress.objects.create(desk=support_desk, email="help@desk.test")
    routed = ingest(build_mail(to="help@desk.test"), "pipe")
    assert routed.state == "processed" and routed.ticket.desk_id == support_desk.pk


def test_a_moved_or_deleted_address_is_seen_at_once(it_address, support_desk):
    assert desk_addresses(["it@desk.test"])["it@desk.test"].desk_id == it_address.desk_id
    it_address.desk = support_desk
    it_address.save()
    assert desk_addresses(["it@desk.test"])["it@desk.test"].desk_id == support_desk.pk
    it_address.delete()
    assert desk_addresses(["it@desk.test"]) == {} and not is_known_recipient("it@desk.test")


def test_a_change_committed_by_another_process_is_seen(it_address, support_desk):
    assert is_known_recipient("it@desk.test") and not is_known_recipient("new@desk.test")
    # Another process: its rows and its new token, written without this process's signals.
    DeskAddress.objects.filter(pk=it_address.pk).update(email="new@desk.test")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE mail_addressesversion SET token = %s", [uuid.uuid4().hex])
    assert is_known_recipient("new@desk.test") and not is_known_recipient("it@desk.test")


def test_the_desk_handed_over_is_the_current_one(it_address):
    desk = it_address.desk
    assert desk_addresses(["it@desk.test"])["it@desk.test"].desk.default_language == "en"
    desk.default_language = "ar"
    desk.save()
    found = desk_addresses(["IT+t1-x@desk.test"])["it@desk.test"]
    assert found.desk.default_language == "ar"
    # Callers get copies: changing one does not change what the next caller reads.
    found.desk.name = "changed"
    found.name = "changed"
    again = desk_addresses(["it@desk.test"])["it@desk.test"]
    assert again.desk.name == desk.name and again.name == "IT Help"


def test_sending_address_is_the_primary_then_the_first(it_desk, support_desk):
    first = DeskAddress.objects.create(desk=it_desk, email="b@desk.test")
    DeskAddress.objects.create(desk=it_desk, email="a@desk.test")
    DeskAddress.objects.create(desk=support_desk, email="s@desk.test", primary=True)
    assert sending_address(it_desk).pk == first.pk
    primary = DeskAddress.objects.create(desk=it_desk, email="c@desk.test", primary=True)
    assert sending_address(it_desk).pk == primary.pk
    DeskAddress.objects.filter(desk=it_desk).delete()
    assert sending_address(it_desk) is None


def test_without_the_token_row_nothing_is_cached(it_address):
    AddressesVersion.objects.all().delete()  # e.g. a test database flushed
    assert addresses._all_addresses() is None
    assert desk_addresses(["it@desk.test"])["it@desk.test"].pk == it_address.pk
    assert is_known_recipient("it@desk.test")
    assert sending_address(it_address.desk).pk == it_address.pk
    it_address.delete()  # the signal writes the row again
    assert AddressesVersion.objects.count() == 1
    assert desk_addresses(["it@desk.test"]) == {}


def test_default_desks_come_from_the_cache_as_they_are_now(it_address, support_desk):
    assert addresses.cached_desk(support_desk.pk).name == "Support"
    support_desk.name = "Customer support"
    support_desk.save()
    assert addresses.cached_desk(support_desk.pk).name == "Customer support"
    raw_mail = ingest(build_mail(to="nobody@elsewhere.test"), "pipe", default_desk=support_desk)
    assert raw_mail.state == "processed" and raw_mail.ticket.desk_id == support_desk.pk
    assert addresses.cached_desk(support_desk.pk + 1000) is None
