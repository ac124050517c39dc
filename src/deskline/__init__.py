"""Deskline: an open-source help desk and IT service desk."""

__version__ = "0.1.0"
