from deskline.mail.models.address import AcknowledgementTemplate, DeskAddress
from deskline.mail.models.bounce import Bounce
from deskline.mail.models.mailbox import Mailbox
from deskline.mail.models.outbound import OutboundMail
from deskline.mail.models.raw import RawMail

__all__ = [
    "AcknowledgementTemplate",
    "Bounce",
    "DeskAddress",
    "Mailbox",
    "OutboundMail",
    "RawMail",
]
