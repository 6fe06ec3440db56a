"""Notices through Apprise to 钉钉, 企业微信, 飞书, mail or any Apprise URL, with `<home>/outbox/` as the fallback.

`models.py` the recipient and delivery tables; `urls.py` checking, building (mail from the SMTP settings)
and masking URLs; `recipients.py` who gets what, per role (office, leader, unit); `delivery.py` sending
with retries, recording and the outbox; `messages.py` the notices' text; `events.py` the Prefect events.
"""
from __future__ import annotations

from .delivery import last_failures, send_notice
from .events import emit
from .messages import DEADLINE_NOTICE_DAYS, deadline_reminder, draft_waiting, run_failed, unit_reminders
from .models import Delivery, Recipient
from .recipients import ROLES, Target, add_recipient, list_recipients, names_of, recipients, remove_recipient, targets

__all__ = ["DEADLINE_NOTICE_DAYS", "ROLES", "Delivery", "Recipient", "Target", "add_recipient", "deadline_reminder",
           "draft_waiting", "emit", "last_failures", "list_recipients", "names_of", "recipients", "remove_recipient",
           "run_failed", "send_notice", "targets", "unit_reminders"]
