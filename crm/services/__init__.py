"""Every write of the CRM goes through here: views, the admin, seed_demo and later an API.

Split by aggregate (threads, communications, tasks, counterparties, attachments); threads,
communications and tasks are created and edited through the one path of ``_pipeline.item_write``,
and who is told is decided by ``crm.effects`` only. Functions take keyword-only arguments, check
the rules of DESIGN.md and raise ``ValidationError`` keyed by form field name, so a form can show
each message on its field. Each public function is atomic: nothing is saved half-way.
"""

from crm.services.attachments import attachment_delete, attachment_delete_many
from crm.services.catalogue import order_save, product_save
from crm.services.communications import (
    AlreadyCopied,
    communication_copy_to_task,
    communication_create,
    communication_delete,
    communication_edit,
)
from crm.services.counterparties import (
    contact_person_create,
    contact_person_delete,
    contact_person_save,
    contact_promote,
    counterparty_create,
    counterparty_create_with_contacts,
    counterparty_delete,
    counterparty_edit,
    counterparty_merge,
    counterparty_promote,
    counterparty_update,
)
from crm.services.items import item_assign, item_edit
from crm.services.mail import (
    communication_email_mark_failed,
    communication_email_retry,
    communication_email_send,
    mail_send_due,
)
from crm.services.mail_in import held_mail_discard, held_mail_release, mail_file
from crm.services.reminders import reminder_lead_set, reminder_snooze
from crm.services.tasks import task_create, task_delete, task_status_set
from crm.services.threads import (
    thread_create,
    thread_delete,
    thread_edit,
    thread_follow,
    thread_link_order,
    thread_unfollow,
)

__all__ = [
    "reminder_lead_set",
    "reminder_snooze",
    "AlreadyCopied",
    "attachment_delete",
    "attachment_delete_many",
    "communication_copy_to_task",
    "communication_create",
    "communication_delete",
    "communication_edit",
    "communication_email_mark_failed",
    "communication_email_retry",
    "communication_email_send",
    "contact_person_create",
    "contact_person_delete",
    "contact_person_save",
    "contact_promote",
    "counterparty_create",
    "counterparty_create_with_contacts",
    "counterparty_edit",
    "counterparty_merge",
    "counterparty_delete",
    "counterparty_promote",
    "counterparty_update",
    "held_mail_discard",
    "held_mail_release",
    "item_assign",
    "item_edit",
    "mail_send_due",
    "mail_file",
    "order_save",
    "product_save",
    "task_create",
    "task_delete",
    "task_status_set",
    "thread_create",
    "thread_delete",
    "thread_edit",
    "thread_follow",
    "thread_link_order",
    "thread_unfollow",
]
