"""Periodic jobs that every install has. Apps add theirs here as they grow."""

DEFAULT_SCHEDULES: list[tuple[str, str, str]] = [
    # name, task path, cron (UTC)
    ("prune-task-results", "deskline.scheduler.tasks.prune_task_results", "17 3 * * *"),
    ("sla-check", "deskline.sla.tasks.check_sla", "* * * * *"),
    ("routing-assign-waiting", "deskline.routing.tasks.assign_waiting_tickets", "* * * * *"),
    ("routing-reassign-absent", "deskline.routing.tasks.reassign_absent", "*/5 * * * *"),
    ("automation-scheduled-rules", "deskline.automation.tasks.run_scheduled_rules", "*/5 * * * *"),
    (
        "automation-webhook-retries",
        "deskline.automation.tasks.retry_webhook_deliveries",
        "* * * * *",
    ),
    ("notification-digests", "deskline.notifications.tasks.send_notification_digests", "7 * * * *"),
    ("triage-retrain", "deskline.triage.tasks.retrain_models", "41 2 * * *"),
    ("triage-prune-vectors", "deskline.triage.tasks.prune_ticket_vectors", "53 3 * * *"),
    ("mail-poll-mailboxes", "deskline.mail.tasks.poll_mailboxes", "* * * * *"),
    ("mail-process-pending", "deskline.mail.tasks.process_pending_mail", "*/5 * * * *"),
    ("mail-retry-outbound", "deskline.mail.tasks.retry_outbound_mail", "* * * * *"),
]
