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
)
from crm.services.counterparties import (
    contact_person_create,
    contact_person_delete,
    contact_person_save,
    contact_promote,
    counterparty_create,
    counterparty_delete,
    counterparty_promote,
    counterparty_update,
)
from crm.services.items import item_assign, item_edit
from crm.services.tasks import task_create, task_delete, task_status_set
from crm.services.threads import thread_create, thread_delete, thread_edit, thread_link_order

__all__ = [
    "AlreadyCopied",
    "attachment_delete",
    "attachment_delete_many",
    "communication_copy_to_task",
    "communication_create",
    "communication_delete",
    "contact_person_create",
    "contact_person_delete",
    "contact_person_save",
    "contact_promote",
    "counterparty_create",
    "counterparty_delete",
    "counterparty_promote",
    "counterparty_update",
    "item_assign",
    "item_edit",
    "order_save",
    "product_save",
    "task_create",
    "task_delete",
    "task_status_set",
    "thread_create",
    "thread_delete",
    "thread_edit",
    "thread_link_order",
]
