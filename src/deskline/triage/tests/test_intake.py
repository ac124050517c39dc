"""A ticket opened on a desk with a trained model gets its language and category,
applied or suggested; agents' corrections are kept; similar tickets are linked."""

from deskline.desks.models import Category
from deskline.desks.services import create_team
from deskline.routing.models import CategoryRoute, DeskRouting, Mode
from deskline.tickets.choices import LinkKind
from deskline.tickets.models import Ticket, TicketEvent, TicketLink
from deskline.tickets.services import open_ticket, update_ticket
from deskline.triage.models import DeskTriage, IncidentCluster, Outcome, Prediction
from deskline.triage.services import triage_ticket
from deskline.triage.services.training import retrain_all, tickets_dataset


def _open(desk, requester, text, capture, subject=None, **extra) -> Ticket:
    with capture(execute=True):
        ticket = open_ticket(
            desk=desk, subject=subject or text[:80], body_text=text, requester=requester, **extra
        )
    ticket.refresh_from_db()
    return ticket


def test_new_tickets_get_a_category_applied_or_suggested(
    history, make_user, django_capture_on_commit_callbacks
):
    requester = make_user()
    right = 0
    for text, expected in history.held_out:
        ticket = _open(history.desk, requester, text, django_capture_on_commit_callbacks)
        language = Prediction.objects.get(ticket=ticket, field="language")
        assert language.label == "en" or len(text.split()) < 6
        prediction = Prediction.objects.get(ticket=ticket, field="category")
        assert prediction.model == history.model
        assert 0 < prediction.confidence <= 1
        right += prediction.label == expected
        if prediction.outcome == Outcome.APPLIED:
            assert ticket.category.path == prediction.label
            event = TicketEvent.objects.get(ticket=ticket, field="category")
            assert event.actor is None and event.after["path"] == prediction.label
        else:
            assert prediction.outcome in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
            assert ticket.category is None
    assert right >= 0.75 * len(history.held_out)
    outcomes = set(Prediction.objects.filter(field="category").values_list("outcome", flat=True))
    assert Outcome.APPLIED in outcomes


def test_arabic_and_chinese_tickets_are_detected(
    it_desk, make_user, django_capture_on_commit_callbacks
):
    requester = make_user()
    arabic = _open(
        it_desk,
        requester,
        "لا أستطيع الاتصال بالشبكة الافتراضية",
        django_capture_on_commit_callbacks,
    )
    chinese = _open(
        it_desk, requester, "打印机无法连接，请帮忙", django_capture_on_commit_callbacks
    )
    assert Prediction.objects.get(ticket=arabic, field="language").label == "ar"
    assert Prediction.objects.get(ticket=chinese, field="language").label == "zh"
    # No model on this desk: nothing else is predicted, and nothing fails.
    assert not Prediction.objects.exclude(field="language").exists()
    # A task that runs again predicts nothing twice.
    assert triage_ticket(arabic.pk) == [Prediction.objects.get(ticket=arabic)]
    assert Prediction.objects.filter(ticket=arabic).count() == 1


def test_an_agents_change_of_a_predicted_field_is_a_correction_that_feeds_training(
    history, make_user, django_capture_on_commit_callbacks
):
    text, expected = history.held_out[0]
    ticket = _open(history.desk, make_user(), text, django_capture_on_commit_callbacks)
    prediction = Prediction.objects.get(ticket=ticket, field="category")
    other = next(p for _, p in history.held_out if p != prediction.label)
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(ticket, actor=history.agent, changes={"category": other})
    prediction.refresh_from_db()
    assert prediction.outcome == Outcome.CORRECTED
    assert prediction.corrected_to == other and prediction.decided_by == history.agent
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(ticket, actor=history.agent, changes={"status": "solved"})
    texts, labels = tickets_dataset(history.desk, "category")
    assert labels[texts.index(f"{ticket.subject}\n{text}")] == other


def test_a_correction_is_kept_with_the_change_not_when_the_worker_gets_to_it(
    history, make_user, settings, django_capture_on_commit_callbacks
):
    """The agent's ticket page, shown right after their change, said triage's label was
    'Applied automatically' until a worker ran the hook; and a worker that was down
    lost nothing but delayed it. The correction now commits with the change."""
    text, _ = history.held_out[0]
    ticket = _open(history.desk, make_user(), text, django_capture_on_commit_callbacks)
    prediction = Prediction.objects.get(ticket=ticket, field="category")
    other = next(p for _, p in history.held_out if p != prediction.label)
    # Deferred hooks go to a queue nobody works off, as with a busy or stopped worker.
    settings.TICKET_HOOKS_INLINE = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        update_ticket(ticket, actor=history.agent, changes={"category": other})
    prediction.refresh_from_db()
    assert prediction.outcome == Outcome.CORRECTED and prediction.corrected_to == other


def test_a_suggestion_is_made_when_the_field_was_already_chosen(
    history, make_user, django_capture_on_commit_callbacks
):
    text, expected = history.held_out[0]
    chosen = next(p for _, p in history.held_out if p != expected)
    ticket = _open(
        history.desk, make_user(), text, django_capture_on_commit_callbacks, category=None
    )
    ticket2 = _open(
        history.desk,
        make_user(),
        text,
        django_capture_on_commit_callbacks,
        category=history.desk.categories.get(path=chosen),
    )
    assert ticket.pk != ticket2.pk
    prediction = Prediction.objects.get(ticket=ticket2, field="category")
    assert prediction.outcome in (Outcome.SUGGESTED, Outcome.OUT_OF_SCOPE)
    assert ticket2.category.path == chosen  # the requester's choice stands


def test_the_same_request_again_is_linked_as_a_duplicate_where_merging_is_off(
    it_desk, make_user, organization, django_capture_on_commit_callbacks
):
    """(With merging on, the default, it joins the first ticket: test_merging.py.)"""
    DeskTriage.objects.create(desk=it_desk, auto_merge_duplicates=False)
    capture = django_capture_on_commit_callbacks
    sam = make_user(organization=organization)
    colleague = make_user(organization=organization)
    stranger = make_user()
    first = _open(
        it_desk,
        sam,
        "Since Monday the VPN disconnects every hour.",
        capture,
        subject="VPN drops every hour",
    )
    again = _open(
        it_desk,
        sam,
        "The VPN still disconnects every hour since Monday, help!",
        capture,
        subject="VPN keeps dropping every hour",
    )
    other_topic = _open(
        it_desk,
        sam,
        "Please order a new keyboard for the meeting room.",
        capture,
        subject="New keyboard",
    )
    colleague_ticket = _open(
        it_desk, colleague, "VPN disconnects every hour since Monday", capture, subject="VPN drops"
    )
    stranger_ticket = _open(
        it_desk,
        stranger,
        "VPN disconnects every hour since Monday",
        capture,
        subject="VPN drops every hour",
    )
    assert TicketLink.objects.filter(source=again, target=first, kind=LinkKind.DUPLICATE).exists()
    assert not TicketLink.objects.filter(source=other_topic).exists()
    kinds = set(TicketLink.objects.filter(source=colleague_ticket).values_list("kind", flat=True))
    assert kinds == {LinkKind.RELATED}
    assert not TicketLink.objects.filter(source=stranger_ticket).exists()
    event = TicketEvent.objects.get(ticket=again, kind="linked", field=LinkKind.DUPLICATE)
    assert event.actor is None and event.after == first.number


def test_a_burst_of_similar_tickets_from_many_requesters_is_a_possible_major_incident(
    it_desk, make_user, django_capture_on_commit_callbacks
):
    phrasings = [
        "Outlook cannot connect to the mail server",
        "outlook can't connect to mail server since 9am",
        "Mail server unreachable from Outlook",
        "Outlook says it cannot connect to the server",
        "outlook not connecting to the mail server!",
        "Cannot connect Outlook to mail server",
    ]
    tickets = [
        _open(it_desk, make_user(), text, django_capture_on_commit_callbacks) for text in phrasings
    ]
    _open(it_desk, make_user(), "Request a new laptop bag", django_capture_on_commit_callbacks)
    cluster = IncidentCluster.objects.get()
    assert cluster.requester_count >= 5
    members = set(cluster.tickets.values_list("pk", flat=True))
    assert members <= {t.pk for t in tickets} and len(members) >= 5
    flagged = TicketEvent.objects.filter(kind="possible_major_incident")
    assert set(flagged.values_list("ticket_id", flat=True)) == members


def test_scheduled_retraining_skips_desks_with_nothing_new(history, make_user):
    results = retrain_all()
    assert results[f"{history.desk.slug}/category"] == "unchanged"
    assert results[f"{history.desk.slug}/team"].startswith("skipped")
    ticket = Ticket.objects.filter(desk=history.desk).first()
    update_ticket(ticket, actor=history.agent, changes={"status": "open"})
    update_ticket(ticket, actor=history.agent, changes={"status": "solved"})
    assert retrain_all()[f"{history.desk.slug}/category"] == "v2"
    history.model.refresh_from_db()
    assert not history.model.active


def test_routing_waits_for_the_category_triage_applies(
    history, make_user, django_capture_on_commit_callbacks
):
    """Routing picks the team from the category; on a desk with models that category
    is triage's, so routing must not decide before triage has predicted."""
    desk = history.desk
    general = create_team(desk, name="General", slug="general")
    DeskRouting.objects.create(desk=desk, mode=Mode.MANUAL, default_team=general)
    specialists = {}
    for category in Category.objects.filter(desk=desk):
        specialists[category.path] = create_team(desk, name=category.name, slug=f"t-{category.pk}")
        CategoryRoute.objects.create(desk=desk, category=category, team=specialists[category.path])
    applied = 0
    for text, _ in history.held_out:
        # Each of another requester: one person's similar requests would join one ticket.
        ticket = _open(desk, make_user(), text, django_capture_on_commit_callbacks)
        prediction = Prediction.objects.get(ticket=ticket, field="category")
        if prediction.outcome == Outcome.APPLIED:
            applied += 1
            assert ticket.team == specialists[prediction.label], text
        else:
            assert ticket.team == general
        # Triage ran once, for routing, and its own task found nothing left to do.
        assert Prediction.objects.filter(ticket=ticket, field="category").count() == 1
    assert applied


def test_a_chinese_follow_up_is_linked_as_a_duplicate_where_merging_is_off(
    it_desk, make_user, django_capture_on_commit_callbacks
):
    """Chinese has no spaces between words: the same request again, reworded, must still
    score as the same request. (Linked where merging is off; merged by default.)"""
    DeskTriage.objects.create(desk=it_desk, auto_merge_duplicates=False)
    capture = django_capture_on_commit_callbacks
    li = make_user()
    printer = _open(it_desk, li, "我的打印机无法连接网络", capture, subject="打印机无法连接网络")
    card = _open(it_desk, li, "我的卡遗失了需要冻结", capture, subject="我的卡遗失了需要冻结")
    printer_again = _open(
        it_desk, li, "打印机还是无法连接网络，请尽快处理", capture, subject="打印机还是无法连接"
    )
    card_again = _open(it_desk, li, "我的卡遗失了，请尽快冻结", capture, subject="卡遗失")
    other = _open(it_desk, li, "请问今天的汇率是多少", capture, subject="汇率")
    duplicates = set(
        TicketLink.objects.filter(kind=LinkKind.DUPLICATE).values_list("source", "target")
    )
    assert duplicates == {(printer_again.pk, printer.pk), (card_again.pk, card.pk)}
    assert not TicketLink.objects.filter(source=other).exists()
