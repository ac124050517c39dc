"""Kinds of notification; preferences mute them by these names."""

MENTION = "mention"
AUTOMATION = "automation"
KINDS = (MENTION, AUTOMATION)
