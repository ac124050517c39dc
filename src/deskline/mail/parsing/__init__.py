"""Raw mail bytes → ParsedMail. Pure functions: no database, no network.

`parse_message` never raises on mail that is damaged (bad charsets, broken MIME):
it works around the damage and lists it in `defects`. Only input that is not mail at
all raises MailParseError.
"""

from .message import parse_message
from .reply import strip_reply
from .rewrite import rewrite_cid
from .types import Bounce, MailParseError, ParsedAttachment, ParsedMail

__all__ = [
    "Bounce",
    "MailParseError",
    "ParsedAttachment",
    "ParsedMail",
    "parse_message",
    "rewrite_cid",
    "strip_reply",
]
