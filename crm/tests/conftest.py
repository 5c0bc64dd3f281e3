import pytest

from crm.tests.factories import (
    CommunicationFactory,
    ContactPersonFactory,
    CounterpartyFactory,
    OrderFactory,
    TaskFactory,
    ThreadFactory,
)
from crm.tests.smtp import smtp_server  # noqa: F401 - a real SMTP server for the mail tests


@pytest.fixture
def world(user):
    """One of each object a form or filter can point at, on one thread (modules may override)."""
    counterparty = CounterpartyFactory(name="Алфа")
    thread = ThreadFactory(counterparty=counterparty, author=user)
    return {
        "counterparty": counterparty,
        "contact": ContactPersonFactory(counterparty=counterparty, name="Петя"),
        "thread": thread,
        "communication": CommunicationFactory(thread=thread, author=user, counterparty=counterparty),
        "task": TaskFactory(thread=thread, author=user, counterparty=counterparty),
        "order": OrderFactory(counterparty=counterparty),
    }
