"""Factories build rows directly (fast fixtures); tests of rules call crm.services instead."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from crm.models import Communication, ContactPerson, Counterparty, Order, Product, Status, Task, Thread


class CounterpartyFactory(DjangoModelFactory):
    class Meta:
        model = Counterparty

    name = factory.Sequence(lambda n: f"Фирма {n} ООД")
    roles = factory.LazyFunction(lambda: ["client"])
    company_id = factory.Sequence(lambda n: f"{200000000 + n}")


class ContactPersonFactory(DjangoModelFactory):
    class Meta:
        model = ContactPerson

    counterparty = factory.SubFactory(CounterpartyFactory)
    name = factory.Sequence(lambda n: f"Контакт {n}")
    position = "Управител"


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"Продукт {n}")


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    kind = Order.Kind.SALES
    number = factory.Sequence(lambda n: f"SO-2026-{n:05d}")
    counterparty = factory.SubFactory(CounterpartyFactory)
    date = factory.LazyFunction(lambda: timezone.localdate())


class ThreadFactory(DjangoModelFactory):
    class Meta:
        model = Thread

    number = factory.Sequence(lambda n: f"TH-F-{n:05d}")
    subject = factory.Sequence(lambda n: f"Запитване {n}")
    counterparty = factory.SubFactory(CounterpartyFactory)
    author = factory.SubFactory(UserFactory)


class CommunicationFactory(DjangoModelFactory):
    class Meta:
        model = Communication

    number = factory.Sequence(lambda n: f"IN-F-{n:05d}")
    thread = factory.SubFactory(ThreadFactory)
    direction = Communication.Direction.IN
    channel = Communication.Channel.PHONE
    subject = factory.Sequence(lambda n: f"Обаждане {n}")
    counterparty = factory.SelfAttribute("thread.counterparty")
    author = factory.SubFactory(UserFactory)
    status = Status.NEW


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    number = factory.Sequence(lambda n: f"T-F-{n:05d}")
    thread = factory.SubFactory(ThreadFactory)
    subject = factory.Sequence(lambda n: f"Задача {n}")
    counterparty = factory.SelfAttribute("thread.counterparty")
    author = factory.SubFactory(UserFactory)
    deadline = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
    status = Status.NEW
