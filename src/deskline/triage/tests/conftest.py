"""Triage fixtures: tasks run at once, model files in a temporary folder, and a desk
whose history (real BANKING77 requests) trained a category model."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from deskline.accounts.models import User
from deskline.desks.models import Desk
from deskline.desks.services import create_category
from deskline.tickets.services import open_ticket, update_ticket
from deskline.triage.ml import ClassifierConfig
from deskline.triage.models import TriageModel
from deskline.triage.services import train_from_tickets
from deskline.triage.tests import shared_data


@pytest.fixture(autouse=True)
def triage_settings(settings, tmp_path):
    settings.TRIAGE_MODEL_DIR = tmp_path / "models"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class History:
    desk: Desk
    model: TriageModel
    agent: User
    held_out: list[tuple[str, str]]  # (text, category path) not used in training


def slug(intent: str) -> str:
    return intent.lower().replace("_", "-")[:50]


@pytest.fixture
def history(
    it_desk: Desk, agent_on: Callable[..., User], make_user: Callable[..., User]
) -> History:
    rows = shared_data.banking77(labels=4, per_label=16)
    agent = agent_on(it_desk)
    for intent in sorted({y for _, y in rows}):
        create_category(it_desk, name=intent, slug=slug(intent))
    requester = make_user()
    train, held_out = shared_data.split(rows, held_out=0.2)
    for text, intent in train:
        ticket = open_ticket(desk=it_desk, subject=text[:80], body_text=text, requester=requester)
        update_ticket(ticket, actor=agent, changes={"category": slug(intent), "status": "solved"})
    model = train_from_tickets(it_desk, "category", ClassifierConfig(cv_folds=3))
    return History(it_desk, model, agent, [(t, slug(y)) for t, y in held_out])
