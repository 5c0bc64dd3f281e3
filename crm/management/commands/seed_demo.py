"""Realistic Bulgarian demo data. Idempotent: running it again adds nothing twice.

With DEBUG off it refuses unless --force (a demo or staging site), and then no demo user gets the
known demo password nor superuser rights: each gets a random password, printed once.
"""

import datetime
import io
import secrets

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import Department, User
from crm import services
from crm.models import Communication, ContactPerson, Counterparty, Order, Product, Status, Thread
from notifications.models import Channel
from notifications.preferences import preferences_set

DEMO_PASSWORD = "demo1234"  # noqa: S105 - demo data, printed for the user

EMPLOYEES = [
    # username, first name, last name, departments, is_staff
    ("ivan", "Иван", "Петров", ["Продажби"], False),
    ("maria", "Мария", "Иванова", ["Продажби"], False),
    ("petar", "Петър", "Георгиев", ["Доставки"], False),
    ("elena", "Елена", "Николова", ["Производство"], False),
    ("georgi", "Георги", "Димитров", ["Доставки", "Производство"], False),
    ("stoyan", "Стоян", "Колев", ["Управление"], True),
]

COUNTERPARTIES = [
    # name, roles, EIK, VAT, e-mail, phone, address, contacts
    (
        "Алфа Трейд ООД",
        ["client"],
        "131234568",
        "BG131234568",
        "office@alfatrade.bg",
        "+359 2 981 1234",
        "гр. София, бул. Витоша 12",
        [
            ("Николай Стоянов", "Управител", "n.stoyanov@alfatrade.bg", "+359 888 123 456"),
            ("Радост Маринова", "Снабдител", "r.marinova@alfatrade.bg", "+359 887 222 333"),
        ],
    ),
    (
        "Метал Комерс АД",
        ["supplier"],
        "201987657",
        "BG201987657",
        "sales@metalcommerce.bg",
        "+359 32 600 700",
        "гр. Пловдив, ул. Индустриална 5",
        [("Даниела Христова", "Търговски представител", "d.hristova@metalcommerce.bg", "+359 878 555 010")],
    ),
    (
        "Дистрибуция Изток ЕООД",
        ["distributor", "client"],
        "103456782",
        "BG103456782",
        "info@iztok-distribution.bg",
        "+359 52 611 222",
        "гр. Варна, ул. Преслав 40",
        [
            ("Калин Василев", "Регионален мениджър", "k.vasilev@iztok-distribution.bg", "+359 899 100 200"),
            ("Бистра Петкова", "Логистика", "b.petkova@iztok-distribution.bg", "+359 899 300 400"),
        ],
    ),
    (
        "Пакет Плюс ООД",
        ["supplier"],
        "175555127",
        "BG175555127",
        "orders@paketplus.bg",
        "+359 2 444 5566",
        "гр. София, ж.к. Люлин, ул. 8-ма 3",
        [("Цветелина Иванова", "Продажби", "c.ivanova@paketplus.bg", "+359 876 111 222")],
    ),
]

PRODUCTS = [
    ("PR-1001", "Стоманен профил 40×40"),
    ("PR-1002", "Поцинкована ламарина 1,5 мм"),
    ("PR-2001", "Стелаж складов СК-200"),
    ("PR-2002", "Работна маса РМ-120"),
    ("PK-0010", "Кашон петслоен 60×40×40"),
]


class Command(BaseCommand):
    help = "Seed realistic Bulgarian demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--print-logins", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off: demo users then get random passwords (printed once) and no superuser.",
        )

    def handle(self, *args, print_logins=False, force=False, **options):
        production = not settings.DEBUG
        if production and not force:
            raise CommandError(
                "DEBUG is off: this looks like a production database. seed_demo adds demo users and data; "
                "pass --force to seed anyway (random passwords, no superuser)."
            )
        new_passwords = {}
        if not print_logins:
            with transaction.atomic():
                new_passwords = self.seed(production=production)
        if production:
            self.stdout.write("Demo logins (random passwords, shown only when set):")
        else:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, departments, is_staff in EMPLOYEES:
            role = " — manager and admin (/admin/)" if is_staff and not production else ""
            line = f"  {username:8} {first} {last} ({', '.join(departments)}){role}"
            if production:
                line += f"  password: {new_passwords.get(username, 'unchanged')}"
            self.stdout.write(line)

    def seed(self, *, production: bool) -> dict[str, str]:
        """Seed everything; returns the passwords set now (production only), by username."""
        users, new_passwords = self.seed_people(production=production)
        counterparties = self.seed_counterparties()
        for code, name in PRODUCTS:
            if not Product.objects.filter(code=code).exists():
                services.product_save(product=Product(code=code, name=name))
        orders = self.seed_orders(counterparties)
        if not Thread.objects.filter(subject="Оферта за стелажи СК-200").exists():
            self.seed_threads(users, counterparties, orders)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
        return new_passwords

    def seed_people(self, *, production: bool) -> tuple[dict[str, User], dict[str, str]]:
        """The demo employees. In production (DEBUG off, --force) nobody is made staff or
        superuser, and a password anyone could read here (DEMO_PASSWORD) is never left in place:
        new users, and users still carrying it from a development seed, get a random one."""
        from django.contrib.auth.models import Permission

        users, new_passwords = {}, {}
        for username, first, last, departments, is_staff in EMPLOYEES:
            admin = is_staff and not production
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@firma.bg",
                    "is_staff": admin,
                    "is_superuser": admin,
                },
            )
            if production and (created or user.check_password(DEMO_PASSWORD)):
                new_passwords[username] = secrets.token_urlsafe(12)
                user.set_password(new_passwords[username])
                user.save(update_fields=["password"])
            elif created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            for name in departments:
                Department.objects.get_or_create(name=name)[0].members.add(user)
            users[username] = user
        Department.objects.get_or_create(name="Счетоводство")
        # A manager edits every communication and task, keeps counterparties and sees the reports
        # (also with DEBUG off, where the demo manager is no superuser).
        users["stoyan"].user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="crm",
                codename__in=[
                    "change_communication",
                    "change_task",
                    "add_counterparty",
                    "change_counterparty",
                    "view_reports",
                ],
            )
        )
        return users, new_passwords

    def seed_counterparties(self) -> dict[str, Counterparty]:
        result = {}
        for name, roles, eik, vat, email, phone, address, contacts in COUNTERPARTIES:
            counterparty = Counterparty.objects.filter(name=name).first()
            if counterparty is None:
                counterparty = services.counterparty_create(
                    name=name, roles=roles, company_id=eik, vat_number=vat, email=email, phone=phone, address=address
                )
                for contact_name, position, contact_email, contact_phone in contacts:
                    services.contact_person_create(
                        counterparty=counterparty,
                        name=contact_name,
                        position=position,
                        email=contact_email,
                        phone=contact_phone,
                    )
            result[name] = counterparty
        return result

    def seed_orders(self, counterparties) -> dict[str, Order]:
        today = timezone.localdate()
        specs = [
            (
                "SO-2026-00012",
                Order.Kind.SALES,
                "Алфа Трейд ООД",
                -20,
                Order.OrderStatus.CONFIRMED,
                "20 бр. стелаж СК-200, доставка до склад София",
            ),
            (
                "SO-2026-00015",
                Order.Kind.SALES,
                "Дистрибуция Изток ЕООД",
                -5,
                Order.OrderStatus.DRAFT,
                "Работни маси РМ-120 — пробна партида",
            ),
            (
                "PO-2026-00031",
                Order.Kind.PURCHASE,
                "Метал Комерс АД",
                -18,
                Order.OrderStatus.IN_PROGRESS,
                "Стоманен профил 40×40, 2 тона",
            ),
            (
                "PO-2026-00034",
                Order.Kind.PURCHASE,
                "Пакет Плюс ООД",
                -3,
                Order.OrderStatus.CONFIRMED,
                "Кашони 60×40×40, 500 бр.",
            ),
            (
                "PR-2026-00007",
                Order.Kind.PRODUCTION,
                None,
                -15,
                Order.OrderStatus.IN_PROGRESS,
                "Производство на 20 стелажа СК-200 за SO-2026-00012",
            ),
        ]
        orders = {}
        for number, kind, counterparty, days, status, description in specs:
            order = Order.objects.filter(number=number).first()
            if order is None:
                order = services.order_save(
                    order=Order(
                        number=number,
                        kind=kind,
                        counterparty=counterparties.get(counterparty),
                        status=status,
                        date=today + datetime.timedelta(days=days),
                        description=description,
                    )
                )
            orders[number] = order
        return orders

    def seed_threads(self, users, counterparties, orders):
        now = timezone.now()
        alfa = counterparties["Алфа Трейд ООД"]
        alfa_contact = ContactPerson.objects.get(name="Николай Стоянов")
        call = services.communication_create(
            author=users["ivan"],
            direction=Communication.Direction.IN,
            channel=Communication.Channel.PHONE,
            subject="Оферта за стелажи СК-200",
            counterparty=alfa,
            contact=alfa_contact,
            description="Клиентът иска оферта за 20 стелажа СК-200 с доставка до края на месеца.\n"
            "Да се провери наличността на профил 40×40.",
            assignee=users["maria"],
            occurred_at=now - datetime.timedelta(days=21, hours=3),
        )
        thread = call.thread
        services.communication_create(
            author=users["maria"],
            thread=thread,
            direction=Communication.Direction.OUT,
            channel=Communication.Channel.EMAIL,
            subject="Re: Оферта за стелажи СК-200",
            counterparty=alfa,
            contact=alfa_contact,
            description="Изпращаме оферта № 118/2026 с цени и срок на доставка 14 дни.",
            occurred_at=now - datetime.timedelta(days=20, hours=5),
            files=[
                SimpleUploadedFile("Оферта 118-2026.pdf", _demo_pdf("Oferta 118/2026"), "application/pdf"),
                SimpleUploadedFile("стелаж СК-200.png", _demo_png(), "image/png"),
            ],
        )
        services.thread_link_order(thread=thread, order=orders["SO-2026-00012"], actor=users["maria"])
        services.thread_link_order(thread=thread, order=orders["PR-2026-00007"], actor=users["elena"])
        production = Department.objects.get(name="Производство")
        profile = Product.objects.get(code="PR-1001")
        task = services.task_create(
            author=users["maria"],
            thread=thread,
            subject="Да се пусне производство на 20 бр. СК-200",
            counterparty=alfa,
            assignee=users["elena"],
            deadline=now + datetime.timedelta(days=3),
            description=(
                f"{_token('@', users['elena'].get_full_name(), 'user', users['elena'].pk)}, моля пусни "
                f"{_token('#', orders['PR-2026-00007'].number, 'order', orders['PR-2026-00007'].pk)} за "
                f"{_token('#', orders['SO-2026-00012'].number, 'order', orders['SO-2026-00012'].pk)}.\n"
                f"Материал: {_token('#', f'{profile.code} {profile.name}', 'product', profile.pk)} — "
                f"{_token('@', production.name, 'department', production.pk)} да потвърди наличността."
            ),
        )
        services.task_status_set(task=task, actor=users["elena"], status=Status.IN_PROGRESS)
        services.task_create(
            author=users["ivan"],
            thread=thread,
            subject="Потвърждение на срока за доставка към клиента",
            counterparty=alfa,
            assignee=users["ivan"],
            deadline=now - datetime.timedelta(days=1),
        )

        metal = counterparties["Метал Комерс АД"]
        supply = services.communication_create(
            author=users["petar"],
            direction=Communication.Direction.OUT,
            channel=Communication.Channel.EMAIL,
            subject="Доставка на стоманен профил 40×40",
            counterparty=metal,
            description="Молим за потвърждение на доставката на 2 тона профил по поръчка PO-2026-00031.",
            assignee=users["petar"],
            occurred_at=now - datetime.timedelta(days=17),
        )
        services.thread_link_order(thread=supply.thread, order=orders["PO-2026-00031"], actor=users["petar"])
        reply = services.communication_create(
            author=users["petar"],
            thread=supply.thread,
            direction=Communication.Direction.IN,
            channel=Communication.Channel.PHONE,
            subject="Закъснение на доставката",
            counterparty=metal,
            description="Доставчикът съобщи за закъснение от 3 дни заради транспорт.",
            assignee=users["georgi"],
            occurred_at=now - datetime.timedelta(days=2),
        )
        services.communication_copy_to_task(communication=reply, actor=users["georgi"])
        # Followers, besides those who take part: the manager follows both big threads, Петър the
        # first one; Иван opened the first thread (so he follows it) and muted it.
        services.thread_follow(thread=thread, user=users["stoyan"])
        services.thread_follow(thread=thread, user=users["petar"])
        services.thread_follow(thread=supply.thread, user=users["stoyan"])
        services.thread_unfollow(thread=thread, user=users["ivan"])

        services.communication_create(
            author=users["maria"],
            direction=Communication.Direction.IN,
            channel=Communication.Channel.MEETING,
            subject="Среща за дистрибуция в Североизточна България",
            counterparty_name="Бета Логистик ООД",
            contact_name="Светлана Янева",
            occurred_at=now - datetime.timedelta(days=1, hours=2),
            description="Интерес към дистрибуция на работни маси. Да се изпрати каталог.",
            assignee=users["maria"],
        )
        services.task_create(
            author=users["stoyan"],
            subject="Месечен отчет за продажбите",
            assignee=users["ivan"],
            deadline=now + datetime.timedelta(days=6),
            description="Вътрешна задача: отчет за продажбите по клиенти за ноември.",
        )
        # An offer nobody answered for a week: its author gets a follow-up on the worker's first
        # round; Maria hears of reminders and follow-ups by e-mail too (.eml files in var/outbox/).
        services.communication_create(
            author=users["maria"],
            direction=Communication.Direction.OUT,
            channel=Communication.Channel.EMAIL,
            subject="Оферта за работни маси РМ-120",
            counterparty_name="Бета Логистик ООД",
            description="Изпращаме оферта за 15 работни маси РМ-120 с доставка до Варна.",
            occurred_at=now - datetime.timedelta(days=7),
        )
        preferences_set(
            user=users["maria"],
            channels={"reminder": Channel.EMAIL, "overdue": Channel.EMAIL, "follow_up": Channel.EMAIL},
            digest_time=datetime.time(8, 0),
        )
        self.seed_board_and_calendar(users, counterparties, thread)

    def seed_board_and_calendar(self, users, counterparties, thread) -> None:
        """Enough tasks in every status, with deadlines over this and the next weeks, and a few
        meetings ahead, for the task board and the calendar to show what they are for."""
        now = timezone.now()
        alfa, metal = counterparties["Алфа Трейд ООД"], counterparties["Метал Комерс АД"]
        specs = [
            # subject, counterparty, author, assignee, deadline in days (hour), status
            ("Обаждане за обратна връзка по офертата", alfa, "maria", "ivan", (1, 10), Status.ASSIGNED),
            ("Подготовка на мостри от профил 40×40", metal, "petar", "georgi", (2, 15), Status.IN_PROGRESS),
            ("Проверка на качеството на партида СК-200", None, "elena", "elena", (4, 11), Status.ASSIGNED),
            ("Актуализиране на ценовата листа", None, "stoyan", None, (8, 12), Status.NEW),
            (
                "Рекламация за повредени кашони",
                counterparties["Пакет Плюс ООД"],
                "petar",
                "petar",
                (-3, 9),
                Status.IN_PROGRESS,
            ),
            ("Изпращане на каталог на Бета Логистик", None, "maria", "maria", (-6, 16), Status.DONE),
            ("Инвентаризация на склада", None, "stoyan", None, (12, 9), Status.NEW),
        ]
        for subject, counterparty, author, assignee, (days, hour), status in specs:
            day = timezone.localtime(now + datetime.timedelta(days=days))
            task = services.task_create(
                author=users[author],
                thread=thread if counterparty is alfa else None,
                subject=subject,
                counterparty=counterparty,
                assignee=users[assignee] if assignee else None,
                deadline=day.replace(hour=hour, minute=0, second=0, microsecond=0),
            )
            if status != task.status:
                services.task_status_set(task=task, actor=users[assignee or author], status=status)
        for subject, counterparty, author, days, hour in (
            ("Среща в Метал Комерс за годишния договор", metal, "petar", 3, 10),
            ("Представяне на СК-200 при Алфа Трейд", alfa, "ivan", 9, 14),
        ):
            day = timezone.localtime(now + datetime.timedelta(days=days))
            services.communication_create(
                author=users[author],
                thread=thread if counterparty is alfa else None,
                direction=Communication.Direction.OUT,
                channel=Communication.Channel.MEETING,
                subject=subject,
                counterparty=counterparty,
                assignee=users[author],
                occurred_at=day.replace(hour=hour, minute=0, second=0, microsecond=0),
            )


def _token(trigger: str, label: str, kind: str, pk: int) -> str:
    from mentions.parsing import token_for

    return token_for(trigger=trigger, label=label, key=kind, pk=pk)


def _demo_png() -> bytes:
    image = Image.new("RGB", (480, 320), "#e9ecef")
    draw = ImageDraw.Draw(image)
    for x in range(60, 420, 90):
        draw.rectangle([x, 40, x + 12, 290], fill="#495057")
    for y in range(60, 300, 70):
        draw.rectangle([50, y, 430, y + 10], fill="#0d6efd")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _demo_pdf(title: str) -> bytes:
    stream = f"BT /F1 24 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
