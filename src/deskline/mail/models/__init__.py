from deskline.mail.models.address import AcknowledgementTemplate, AddressesVersion, DeskAddress
from deskline.mail.models.bounce import Bounce
from deskline.mail.models.mailbox import Mailbox
from deskline.mail.models.outbound import OutboundMail
from deskline.mail.models.raw import RawMail

__all__ = [
    "AcknowledgementTemplate",
    "AddressesVersion",
    "Bounce",
    "DeskAddress",
    "Mailbox",
    "OutboundMail",
    "RawMail",
]
