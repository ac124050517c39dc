"""The acceptance rate counts only suggestions that would change the ticket: one equal
to the value the ticket already has is recorded as such, not as accepted."""

from django.test import Client

from deskline.desks.services import create_team
from deskline.tickets.models import TicketEvent
from deskline.tickets.services import open_ticket, update_ticket
from deskline.triage.models import Outcome, Prediction, TriageModel
from deskline.triage.services.loading import classifier_for


def test_a_prediction_of_the_category_already_chosen_is_no_suggestion(
    history, api_for, make_user, django_capture_on_commit_callbacks
):
    classifier = classifier_for(history.model)
    text = next(t for t, _ in history.held_out if not classifier.predict([t])[0].out_of_scope)
    predicted = classifier.predict([text])[0].best_label
    # The requester chose the very category the model predicts.
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(
            desk=history.desk,
            subject=text[:80],
            body_text=text,
            requester=make_user(),
            category=history.desk.categories.get(path=predicted),
        )
    prediction = Prediction.objects.get(ticket=ticket, field="category")
    assert prediction.label == predicted and prediction.outcome == Outcome.MATCHED
    api = api_for(history.agent)
    assert api.post(f"/triage/predictions/{prediction.pk}/accept").status_code == 409
    (listed,) = api.get("/triage/models").json()
    assert listed["counts"]["accepted"] == 0 and listed["counts"]["matched"] == 1
    assert listed["acceptance_rate"] is None


def test_accepting_a_team_routing_set_meanwhile_counts_no_acceptance(
    history, api_for, make_user, django_capture_on_commit_callbacks
):
    """Triage suggested a team; routing (no agent) set that same team before the agent
    clicked Accept. The click changes nothing, and is not counted as accepted."""
    desk = history.desk
    network = create_team(desk, name="Network", slug="network")
    team_model = TriageModel.objects.create(desk=desk, target="team", version=1, path="unused")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_ticket(desk=desk, subject="VPN", body_text="VPN down", requester=make_user())
    suggestion = Prediction.objects.create(
        ticket=ticket, model=team_model, field="team", label="network", confidence=0.6,
        outcome=Outcome.SUGGESTED,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(ticket, actor=None, changes={"team": network.slug})
    agent = Client()
    agent.force_login(history.agent)
    action = f"/triage/tickets/{ticket.number}/predictions/{suggestion.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert agent.post(action, {"decision": "accept"}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.outcome == Outcome.MATCHED and suggestion.decided_by == history.agent
    assert not TicketEvent.objects.filter(ticket=ticket, field="team", actor=history.agent)
    page = agent.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'action="{action}"' not in page and "Already the ticket&#x27;s value" in page
    team_row = next(m for m in api_for(history.agent).get("/triage/models").json()
                    if m["target"] == "team")  # fmt: skip
    assert team_row["counts"]["accepted"] == 0 and team_row["acceptance_rate"] is None
