"""Automation's public entry points for other apps."""

from deskline.automation.services.firing import fire

__all__ = ["fire"]
