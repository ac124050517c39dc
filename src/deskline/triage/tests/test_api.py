"""/api/v1/triage: who sees models and predictions, accepting and rejecting, training."""

from deskline.desks.models import Role
from deskline.tickets.services import open_ticket
from deskline.triage.models import Outcome, Prediction, TriageModel


def _suggested(history, make_user, capture) -> Prediction:
    """A ticket whose category was chosen already, so triage can only suggest."""
    text, expected = history.held_out[0]
    chosen = next(p for _, p in history.held_out if p != expected)
    with capture(execute=True):
        ticket = open_ticket(
            desk=history.desk,
            subject=text[:80],
            body_text=text,
            requester=make_user(),
            category=history.desk.categories.get(path=chosen),
        )
    return Prediction.objects.get(ticket=ticket, field="category")


def test_models_list_shows_cross_validated_measures(history, api_for, agent_on, make_user):
    response = api_for(history.agent).get("/triage/models", {"desk": history.desk.slug})
    assert response.status_code == 200
    (model,) = response.json()
    assert model["target"] == "category" and model["version"] == 1 and model["active"]
    assert model["accuracy"] == history.model.metrics["metrics"]["accuracy"]
    assert 0 < model["macro_f1"] <= 1 and model["cv_folds"] == 3
    assert set(model["per_label"]) == set(model["labels"])
    assert model["acceptance_rate"] is None
    # Requesters and agents of other desks see no models.
    assert api_for(make_user()).get("/triage/models").json() == []


def test_agents_accept_and_reject_suggestions(
    history, api_for, make_user, django_capture_on_commit_callbacks
):
    prediction = _suggested(history, make_user, django_capture_on_commit_callbacks)
    api = api_for(history.agent)
    listed = api.get(f"/triage/tickets/{prediction.ticket.number}/predictions").json()
    assert {p["field"] for p in listed} == {"language", "category"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/triage/predictions/{prediction.pk}/accept")
    assert response.status_code == 200, response.json()
    assert response.json()["outcome"] == Outcome.ACCEPTED
    prediction.ticket.refresh_from_db()
    assert prediction.ticket.category.path == prediction.label
    event = prediction.ticket.events.get(field="category")
    assert event.actor == history.agent
    # Decided once: a second decision conflicts.
    assert api.post(f"/triage/predictions/{prediction.pk}/reject").status_code == 409

    other = _suggested(history, make_user, django_capture_on_commit_callbacks)
    assert api.post(f"/triage/predictions/{other.pk}/reject").json()["outcome"] == "rejected"
    listed = api.get("/triage/models").json()[0]
    assert listed["counts"]["accepted"] == 1 and listed["counts"]["rejected"] == 1
    assert listed["acceptance_rate"] == 0.5


def test_predictions_are_for_agents_only(
    history, api_for, agent_on, make_user, django_capture_on_commit_callbacks
):
    prediction = _suggested(history, make_user, django_capture_on_commit_callbacks)
    number = prediction.ticket.number
    requester = api_for(prediction.ticket.requester)
    assert requester.get(f"/triage/tickets/{number}/predictions").status_code == 404
    assert requester.post(f"/triage/predictions/{prediction.pk}/accept").status_code == 404
    viewer = api_for(agent_on(history.desk, Role.LIGHT_AGENT))
    assert viewer.get(f"/triage/tickets/{number}/predictions").status_code == 200
    assert viewer.post(f"/triage/predictions/{prediction.pk}/accept").status_code == 403
    assert api_for(history.agent).post("/triage/predictions/999999/accept").status_code == 404
    prediction.refresh_from_db()
    assert prediction.outcome in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)


def test_admins_train_now(history, api_for, admin_user):
    response = api_for(history.agent).post(
        "/triage/train", {"desk": history.desk.slug, "target": "category"}
    )
    assert response.status_code == 403
    bad = api_for(admin_user).post("/triage/train", {"desk": history.desk.slug, "target": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "target"
    response = api_for(admin_user).post(
        "/triage/train", {"desk": history.desk.slug, "target": "category"}
    )
    assert response.status_code == 202
    active = TriageModel.objects.get(desk=history.desk, target="category", active=True)
    assert active.version == 2


def test_admin_page_shows_each_models_measures(history, client, admin_user):
    client.force_login(history.agent)
    assert client.get("/triage/").status_code == 404
    assert 'href="/triage/"' not in client.get("/").content.decode()
    client.force_login(admin_user)
    assert 'href="/triage/"' in client.get("/").content.decode()  # the menu leads there
    page = client.get("/triage/").content.decode()
    metrics = history.model.metrics["metrics"]
    assert f"{history.desk.slug} · Category · v1" in page
    assert str(metrics["accuracy"]) in page and str(metrics["macro_f1"]) in page
    assert metrics["top_confusions"] == [] or metrics["top_confusions"][0]["true"] in page


def test_desk_admins_turn_automatic_merging_off_and_on(it_desk, api_for, agent_on, make_user):
    path = f"/desks/{it_desk.slug}/triage"
    admin_api = api_for(agent_on(it_desk, role=Role.SUPERVISOR))
    assert admin_api.get(path).json() == {"desk": "it", "auto_merge_duplicates": True}
    response = admin_api.put(path, {"auto_merge_duplicates": False})
    assert response.status_code == 200, response.json()
    assert response.json()["auto_merge_duplicates"] is False
    assert admin_api.get(path).json()["auto_merge_duplicates"] is False
    # Bad input is refused by name; agents may read nothing here, outsiders see no desk.
    assert admin_api.put(path, {"auto_merge_duplicates": "maybe"}).status_code == 422
    assert admin_api.put(path, {}).status_code == 422
    agent_api = api_for(agent_on(it_desk))
    assert agent_api.put(path, {"auto_merge_duplicates": True}).status_code == 403
    assert api_for(make_user()).get(path).status_code == 404
    assert admin_api.get(path).json()["auto_merge_duplicates"] is False
    assert admin_api.put(path, {"auto_merge_duplicates": True}).json()["auto_merge_duplicates"]


def test_admin_page_shows_training_time_in_the_admins_language(
    history, client, admin_user, api_for
):
    """The page says how long each model took to train, and says it, the field, the
    source and the agents' decisions in the admin's language."""
    seconds = history.model.metrics["training_seconds"]
    assert seconds > 0
    (listed,) = api_for(admin_user).get("/triage/models").json()
    assert listed["training_seconds"] == seconds
    client.force_login(admin_user)
    page = client.get("/triage/").content.decode()
    assert f"<dt>Training time</dt><dd>{seconds:.1f} s</dd>" in page
    admin_user.language = "ar"
    admin_user.save(update_fields=["language"])
    page = client.get("/triage/").content.decode()
    # In Arabic, with the Arabic decimal comma and "s" (ثانية).
    whole, tenth = f"{seconds:.1f}".split(".")
    assert f"<dt>مدة التدريب</dt><dd>{whole},{tenth} ث</dd>" in page
    assert f"{history.desk.slug} · الفئة · v1" in page
    assert "المصدر: التذاكر المحلولة" in page
    assert "قُبل الاقتراح: 0" in page and "accepted 0" not in page
    admin_user.language = "zh-hans"
    admin_user.save(update_fields=["language"])
    page = client.get("/triage/").content.decode()
    assert "训练用时" in page and "已解决的工单" in page and "建议已接受: 0" in page


def test_training_a_desk_without_enough_history_says_so(it_desk, api_for, admin_user, make_user):
    """The training runs in the background, where 'not enough data' reached nobody: the
    admin got 202 and never a model. Asked now, the answer says why not."""
    api = api_for(admin_user)
    response = api.post("/triage/train", {"desk": it_desk.slug, "target": "team"})
    assert response.status_code == 422, response.json()
    error = response.json()["errors"][0]
    assert error["field"] == "target"
    assert "0 resolved tickets" in error["message"] and "20" in error["message"]
    assert not TriageModel.objects.exists()
