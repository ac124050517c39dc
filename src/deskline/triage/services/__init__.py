"""Triage for desks: training, prediction on intake, agents' feedback, similar tickets."""

from deskline.triage.services.feedback import (
    accept_prediction,
    record_corrections,
    reject_prediction,
)
from deskline.triage.services.intake import triage_ticket
from deskline.triage.services.similarity import find_similar_tickets
from deskline.triage.services.training import (
    NotEnoughData,
    retrain_all,
    train_from_csv,
    train_from_tickets,
)

__all__ = [
    "NotEnoughData",
    "accept_prediction",
    "find_similar_tickets",
    "record_corrections",
    "reject_prediction",
    "retrain_all",
    "train_from_csv",
    "train_from_tickets",
    "triage_ticket",
]
