from deskline.core.tasks import task
from deskline.notifications import mailing


@task()
def mail_notifications(notification_ids: list[int]) -> int:
    return mailing.send_instant(notification_ids)


@task()
def send_notification_digests() -> int:
    return mailing.send_digests()
