"""Vendors: outside companies a desk escalates tickets to at L4."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from deskline.accounts.models import User
from deskline.accounts.services import clean_email, record_audit
from deskline.core.errors import lazy_message
from deskline.desks.models import Desk
from deskline.routing.models import Vendor


def create_vendor(
    desk: Desk,
    *,
    name: str,
    contact_email: str,
    organization_id: int | None = None,
    actor: User | None = None,
) -> Vendor:
    """A new vendor of `desk`; its contact address is checked and stored as every
    other address is (so the contact opened for it on escalation is the same user)."""
    if Vendor.objects.filter(desk=desk, name=name).exists():
        raise ValidationError(
            {
                "name": lazy_message(
                    _("desk %(desk)s has a vendor %(name)r"), desk=desk.slug, name=name
                )
            }
        )
    vendor = Vendor(
        desk=desk,
        name=name,
        contact_email=clean_email(contact_email, field="contact_email"),
        organization_id=organization_id,
    )
    vendor.full_clean()  # refusals name their fields (the API answers 422 with them)
    with transaction.atomic():
        vendor.save()
        record_audit(
            actor,
            "vendor.created",
            vendor,
            data={"desk": desk.slug, "name": name, "contact_email": vendor.contact_email},
        )
    return vendor
