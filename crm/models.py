"""The CRM domain of DESIGN.md. Models hold data and constraints; rules live in crm/services.py."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.urlcache import detail_url
from crm.inputs import TEXT_MAX_LENGTH, validate_date_in_range


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class CounterpartyRole(models.TextChoices):
    CLIENT = "client", _("Client")
    SUPPLIER = "supplier", _("Supplier")
    DISTRIBUTOR = "distributor", _("Distributor")


def _exactly_one(fk: str, name: str) -> Q:
    return (Q(**{f"{fk}__isnull": False}) & Q(**{name: ""})) | (Q(**{f"{fk}__isnull": True}) & ~Q(**{name: ""}))


def _at_most_one(fk: str, name: str) -> Q:
    return Q(**{f"{fk}__isnull": True}) | Q(**{name: ""})


class Counterparty(models.Model):
    name = models.CharField(_("name"), max_length=255)
    # Any combination of CounterpartyRole values, e.g. ["client", "distributor"].
    roles = models.JSONField(_("roles"), default=list, blank=True)
    company_id = models.CharField(_("company ID (EIK/BULSTAT)"), max_length=20, blank=True, db_index=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    address = models.TextField(_("address"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    notes = models.TextField(_("notes"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="counterparty_name")]
        # Not about counterparties, but a permission needs a model: the manager charts (/reports/).
        permissions = [("view_reports", _("Can see the manager reports"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return detail_url("crm:counterparty_detail", self.pk)

    def get_roles_display(self) -> list[str]:
        labels = dict(CounterpartyRole.choices)
        return [str(labels[r]) for r in self.roles if r in labels]


class ContactPerson(models.Model):
    counterparty = models.ForeignKey(
        Counterparty, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("counterparty")
    )
    name = models.CharField(_("name"), max_length=255)
    position = models.CharField(_("position"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact people")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Stand-in for the catalogue module: enough to be mentioned."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=255)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return detail_url("crm:product_detail", self.pk)


class Order(models.Model):
    """Stand-in for the order modules (sales, purchase, production)."""

    class Kind(models.TextChoices):
        SALES = "sales", _("Sales order")
        PURCHASE = "purchase", _("Purchase order")
        PRODUCTION = "production", _("Production order")

    class OrderStatus(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=32, unique=True)
    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("counterparty"),
    )
    date = models.DateField(_("date"), validators=[validate_date_in_range])
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return detail_url("crm:order_detail", self.pk)


class NumberSequence(models.Model):
    """The last number handed out per key ("IN-2026", "T-2026", …). Never decremented."""

    key = models.CharField(max_length=40, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_value}"


class SubmitToken(models.Model):
    """A create form's one-time token, claimed in the transaction that creates (crm/submissions.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)
    # Where what the submit created is shown: a second submit of the token is sent there.
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("form token")
        verbose_name_plural = _("form tokens")
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="submittoken_user_token_unique")]

    def __str__(self) -> str:
        return self.token


class Thread(models.Model):
    """A conversation with one counterparty on one topic."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="threads",
        verbose_name=_("counterparty"),
    )
    counterparty_name = models.CharField(_("counterparty (free text)"), max_length=255, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # A closed thread is done with: marked, and left out of the thread list unless asked for.
    closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_at_most_one("counterparty", "counterparty_name"),
                name="thread_counterparty_at_most_one",
                violation_error_message=_("Choose a counterparty or type a name, not both."),
            ),
        ]
        indexes = [models.Index(fields=["-last_activity_at", "-id"], name="thread_last_activity")]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return detail_url("crm:thread_detail", self.pk)

    @property
    def counterparty_label(self) -> str:
        return self.counterparty.name if self.counterparty_id else self.counterparty_name


class Communication(models.Model):
    """One exchange: a call, an e-mail or a meeting, incoming or outgoing."""

    class Direction(models.TextChoices):
        IN = "in", _("Incoming")
        OUT = "out", _("Outgoing")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        MEETING = "meeting", _("Meeting")

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    thread = models.ForeignKey(
        Thread, on_delete=models.PROTECT, related_name="communications", verbose_name=_("thread")
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communications",
        verbose_name=_("counterparty"),
    )
    counterparty_name = models.CharField(_("counterparty (free text)"), max_length=255, blank=True)
    contact = models.ForeignKey(
        ContactPerson,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communications",
        verbose_name=_("contact person"),
    )
    contact_name = models.CharField(_("contact person (free text)"), max_length=255, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_communications",
        verbose_name=_("assignee"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, validators=[validate_date_in_range])
    # The e-mail's Message-ID with its angle brackets (RFC 5322 allows 998 characters per line):
    # set on mail we send and mail we file, so a reply finds its thread and a message is filed once.
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, editable=False)
    # Filed from the mailbox (crm.services.mail_in): the quoted history folded away in the
    # timeline, and the HTML body sanitised by nh3 when the mail had no text part. (mail_from,
    # below, is the sender's address; the loop guard counts by it.)
    mail_quoted = models.TextField(_("quoted history"), blank=True, editable=False)
    # Incoming only: when it was answered, the moment of the first outgoing communication of the
    # same thread after it (by occurred_at, then id); None while unanswered. Kept by the write path
    # (crm.services.communications.communication_answers_sync) so the reports' response time is a
    # plain median over an index, not a window over a year of rows.
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, editable=False)
    mail_html = models.TextField(_("HTML body"), blank=True, editable=False)

    class MailStatus(models.TextChoices):
        # "" (no mail): not sent by the CRM (typed in by hand, or filed from the mailbox).
        NONE = "", _("not sent")
        QUEUED = "queued", _("queued")
        # Claimed by one worker (crm.services.mail.communication_email_send): nobody else sends it.
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # The outgoing e-mail the CRM sends for this communication (DESIGN.md "E-mail in and out of
    # threads"); written by crm.services.mail only.
    mail_status = models.CharField(
        _("e-mail status"), max_length=10, choices=MailStatus.choices, blank=True, default="", editable=False
    )
    # Comma-separated addresses as checked by crm.mail.parse_addresses ("a@b.bg, c@d.bg").
    mail_to = models.TextField(_("to"), blank=True, editable=False)
    mail_cc = models.TextField(_("cc"), blank=True, editable=False)
    # An incoming e-mail's sender address (set when it is filed): where a reply goes.
    mail_from = models.CharField(_("from"), max_length=254, blank=True, editable=False)
    # The mail server's (or a bounce's) reason for the last failure, as it said it: shown escaped.
    mail_error = models.TextField(_("e-mail error"), blank=True, editable=False)
    mail_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0, editable=False)
    mail_attempted_at = models.DateTimeField(_("last send attempt"), null=True, blank=True, editable=False)
    # When a queued mail is due (now, or later after a temporary failure: the backoff).
    mail_next_attempt_at = models.DateTimeField(_("next send attempt"), null=True, blank=True, editable=False)
    mail_sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one("counterparty", "counterparty_name"),
                name="communication_counterparty_exactly_one",
                violation_error_message=_("Choose a counterparty or type a name (exactly one)."),
            ),
            models.CheckConstraint(
                condition=_at_most_one("contact", "contact_name"),
                name="communication_contact_at_most_one",
                violation_error_message=_("Choose a contact person or type a name, not both."),
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id=""),
                name="communication_message_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "occurred_at"], name="comm_thread_occurred"),
            models.Index(fields=["-created_at", "-id"], name="comm_created"),
            # The reports' response time (crm.reports): each assignee's incoming rows of the
            # period, in one range of this index, from the index alone on PostgreSQL (INCLUDE is
            # left out on SQLite by Django). By assignee first: each median sorts one person's
            # thousand rows, not the whole period's (docs/benchmarks.md, "Response time per assignee").
            models.Index(
                fields=["assignee", "occurred_at"],
                include=["answered_at"],
                condition=Q(direction="in"),
                name="comm_in_assignee_answered",
            ),
            models.Index(fields=["created_at", "direction"], name="comm_created_direction"),
            models.Index(fields=["assignee", "status"], name="comm_assignee_status"),
            models.Index(fields=["author", "-created_at"], name="comm_author_created"),
            # The loop guard: messages from one sender in the last two hours.
            models.Index(fields=["mail_from", "created_at"], name="comm_mail_from", condition=~Q(mail_from="")),
            # The due pass: only the few mails waiting to go out, whatever the table holds.
            models.Index(
                fields=["mail_next_attempt_at"],
                condition=Q(mail_status__in=["queued", "sending"]),
                name="comm_mail_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return detail_url("crm:communication_detail", self.pk)

    @property
    def counterparty_label(self) -> str:
        return self.counterparty.name if self.counterparty_id else self.counterparty_name

    @property
    def contact_label(self) -> str:
        return self.contact.name if self.contact_id else self.contact_name


class Task(models.Model):
    """Work for one employee, in a thread."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("thread"))
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    counterparty = models.ForeignKey(
        Counterparty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("counterparty"),
    )
    counterparty_name = models.CharField(_("counterparty (free text)"), max_length=255, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True, validators=[validate_date_in_range])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    source_communication = models.ForeignKey(
        Communication,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derived_tasks",
        verbose_name=_("copied from"),
    )
    # When the task last became done (None while it is not done): set and cleared by the write
    # path (crm.services.tasks._clean). The reports' "tasks done per week" counts by it.
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=_at_most_one("counterparty", "counterparty_name"),
                name="task_counterparty_at_most_one",
                violation_error_message=_("Choose a counterparty or type a name, not both."),
            ),
        ]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="task_thread_created"),
            models.Index(fields=["-created_at", "-id"], name="task_created"),
            models.Index(fields=["assignee", "status", "deadline"], name="task_assignee_status"),
            models.Index(fields=["deadline"], name="task_deadline"),
            # The reports' open tasks of a period (crm.reports.open_tasks): the few open ones,
            # from the index alone on PostgreSQL, instead of every task of the period.
            models.Index(
                fields=["created_at"],
                include=["assignee", "status", "deadline"],
                condition=Q(status__in=["new", "assigned", "in_progress"]),
                name="task_open_created",
            ),
            # The reports' tasks done per week (crm.reports.tasks_done_per_week): the done ones of
            # a period with their assignee, from the index alone on PostgreSQL.
            models.Index(
                fields=["done_at"],
                include=["assignee"],
                condition=Q(done_at__isnull=False),
                name="task_done_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return detail_url("crm:task_detail", self.pk)

    @property
    def counterparty_label(self) -> str:
        return self.counterparty.name if self.counterparty_id else self.counterparty_name

    @property
    def is_overdue(self) -> bool:
        return bool(self.deadline and self.status != Status.DONE and self.deadline < timezone.now())


class CommunicationDayCount(models.Model):
    """How many communications were recorded (``created_at``) on one day (its Europe/Sofia date:
    ``settings.TIME_ZONE``) in one direction for one assignee (None: nobody's): the reports'
    communications per week read these few rows instead of a year of communications.

    Written only by crm.services.report_counts, in the transaction of the write it counts (an
    increment by upsert, so concurrent writers add up); ``report_counts_rebuild`` recomputes it.
    A row may be left at 0."""

    day = models.DateField(_("day"))
    direction = models.CharField(_("direction"), max_length=3, choices=Communication.Direction.choices)
    # CASCADE: a user can only be deleted when no communication is theirs (PROTECT), so any row
    # of theirs left is a 0.
    # (Its index: the (assignee, day) one below.)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("communications of a day")
        verbose_name_plural = _("communications of a day")
        # Two partial unique indexes, not one: NULLs are distinct in a unique index (PostgreSQL
        # and SQLite), and each is the conflict target of its upsert.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "direction", "assignee"],
                condition=Q(assignee__isnull=False),
                name="comm_day_count_assignee",
            ),
            models.UniqueConstraint(
                fields=["day", "direction"], condition=Q(assignee__isnull=True), name="comm_day_count_nobody"
            ),
        ]
        indexes = [
            # One department: its members' rows of the period, from the index alone on PostgreSQL.
            # (Every department reads CommunicationDayTotal.)
            models.Index(fields=["assignee", "day"], include=["direction", "n"], name="comm_day_count_member"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.direction} {self.assignee_id}: {self.n}"


class TaskDoneDayTotal(models.Model):
    """How many tasks done now were (last) done on one day (the Europe/Sofia date of
    ``Task.done_at``), every assignee: a report of every department reads a row per day instead
    of a range count of the period's done tasks (~130,000 a year on the bench set).

    Written only by crm.services.report_counts, in the transaction of the write that sets or
    clears ``done_at`` or deletes a done task; ``report_counts_rebuild`` recomputes it."""

    day = models.DateField(_("day"), unique=True)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("tasks done on a day")
        verbose_name_plural = _("tasks done on a day")

    def __str__(self) -> str:
        return f"{self.day}: {self.n}"


class CommunicationDayTotal(models.Model):
    """Every assignee's communications of one day in one direction (``CommunicationDayCount``
    summed over the assignees, nobody's included): a report of every department reads a row per
    day, 730 for a year, instead of a row per day and person (~140,000 for 200 busy people).

    Written only by crm.services.report_counts, by the same upsert as the day counts, in the
    same transaction; ``report_counts_rebuild`` recomputes it. A row may be left at 0."""

    day = models.DateField(_("day"))
    direction = models.CharField(_("direction"), max_length=3, choices=Communication.Direction.choices)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("communications of a day, every assignee")
        verbose_name_plural = _("communications of a day, every assignee")
        constraints = [models.UniqueConstraint(fields=["day", "direction"], name="comm_day_total")]

    def __str__(self) -> str:
        return f"{self.day} {self.direction}: {self.n}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name is random (set by the service); the user's name is kept in original_name.
    return f"attachments/{timezone.now():%Y/%m}/{filename}"


class Attachment(models.Model):
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=255)
    thumbnail = models.FileField(_("thumbnail"), upload_to="thumbnails/%Y/%m/", max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # Always set, also for files of a communication or task: one list per conversation.
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("thread"))
    communication = models.ForeignKey(
        Communication,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("communication"),
    )
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments", verbose_name=_("task")
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(communication__isnull=True) | Q(task__isnull=True),
                name="attachment_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return detail_url("crm:attachment_download", self.pk)

    @property
    def is_image(self) -> bool:
        return bool(self.thumbnail)


class ThreadOrder(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="order_links", verbose_name=_("thread"))
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="thread_links", verbose_name=_("order"))
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("linked by")
    )
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("linked order")
        verbose_name_plural = _("linked orders")
        constraints = [models.UniqueConstraint(fields=["thread", "order"], name="thread_order_unique")]

    def __str__(self) -> str:
        return f"{self.thread.number} ↔ {self.order.number}"


class ThreadFollower(models.Model):
    """A person's own choice about one thread: they pressed Follow (``muted`` False), or they
    stopped hearing it (``muted`` True: Unfollow, or Mute when they follow by taking part).

    Who takes part — the author, everyone assigned or mentioned in the thread or its items — is
    not stored here but read when needed (crm.selectors.thread_follower_ids), so it never goes
    stale; a row only adds someone or silences them."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follower_rows", verbose_name=_("thread"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("employee")
    )
    muted = models.BooleanField(_("muted"), default=False)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("thread follower")
        verbose_name_plural = _("thread followers")
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_follower_unique")]

    def __str__(self) -> str:
        return f"{self.thread_id} {self.user_id}{' muted' if self.muted else ''}"


class ThreadEvent(models.Model):
    """A system event in a thread's timeline: who changed what, when."""

    class Kind(models.TextChoices):
        STATUS_CHANGED = "status_changed", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        DEADLINE_CHANGED = "deadline_changed", _("Deadline changed")
        ORDER_LINKED = "order_linked", _("Order linked")
        TASK_COPIED = "task_copied", _("Task copied from a communication")
        COUNTERPARTY_PROMOTED = "counterparty_promoted", _("Counterparty promoted")
        COUNTERPARTY_MERGED = "counterparty_merged", _("Counterparty merged")
        THREAD_CLOSED = "thread_closed", _("Thread closed")
        THREAD_REOPENED = "thread_reopened", _("Thread reopened")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="events", verbose_name=_("thread"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("actor")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # Old and new values as display-ready strings or ids, e.g. {"old": "new", "new": "assigned"}.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("thread event")
        verbose_name_plural = _("thread events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="event_thread_created"),
            # /reports/: tasks done per week reads the status changes of a period (crm/reports.py).
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id} {self.kind}"

    @property
    def item_number(self) -> str:
        """The number of the task or communication the event is about."""
        if self.task_id:
            return self.task.number
        if self.communication_id:
            return self.communication.number
        return ""


class Reminder(models.Model):
    """Something the CRM tells one person at a time of its own (crm/services/reminders.py).

    ``reminder`` and ``overdue`` belong to a task (its assignee, before and at the deadline),
    ``follow_up`` to an outgoing e-mail (its author, if the client has not answered). A row is
    *armed* while ``due_at`` is set; the due pass claims it, tells, and clears ``due_at``.
    ``armed_for`` is the deadline (or the e-mail's time) it was armed for: the same value never
    tells twice, a new one arms it again."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        OVERDUE = "overdue", _("Overdue")
        FOLLOW_UP = "follow_up", _("Follow-up")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders")
    communication = models.ForeignKey(
        Communication, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    armed_for = models.DateTimeField(_("armed for"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind"], condition=Q(task__isnull=False), name="reminder_task_kind"
            ),
            models.UniqueConstraint(
                fields=["communication", "kind"], condition=Q(communication__isnull=False), name="reminder_comm_kind"
            ),
        ]
        # The due pass: only armed rows are in it (a partial index on PostgreSQL and SQLite).
        indexes = [models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="reminder_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.task_id or self.communication_id} {self.due_at}"


class ReminderSettings(models.Model):
    """How long before a deadline a user's task reminders come (no row: 24 hours; NULL: never)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_settings")
    lead_minutes = models.PositiveIntegerField(_("remind me"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.lead_minutes}"


class Mailbox(models.Model):
    """The IMAP mailbox fetched (settings.IMAP_URL, without its password): where the last pass
    stopped and how it went. A changed UIDVALIDITY means the UIDs were renumbered: re-scan."""

    key = models.CharField(_("mailbox"), max_length=255, unique=True)  # user@host:port/folder
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID seen"), default=0)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # Set by the worker whose due pass is fetching (compare-and-set): one pass at a time, and a
    # worker that died mid-pass is taken over once this time has passed.
    claimed_until = models.DateTimeField(_("fetching until"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.key


def held_mail_upload_to(instance: "HeldMail", filename: str) -> str:
    return f"mail_held/{timezone.now():%Y/%m}/{filename}"


class HeldMail(models.Model):
    """A received message the loop guard held back (too many from one sender): an admin files
    (releases) or discards it. The raw message is kept as a file, not in the database."""

    raw = models.FileField(_("message"), upload_to=held_mail_upload_to, max_length=255)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("held e-mail")
        verbose_name_plural = _("held e-mails")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["sender", "received_at"], name="heldmail_sender_received")]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"


class MailBounce(models.Model):
    """A delivery failure report about an e-mail we sent: it marks that communication failed
    (crm.services.communication_email_mark_failed). Kept so a bounce is counted once and one
    about mail we cannot find is still visible to an admin."""

    communication = models.ForeignKey(
        Communication,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bounces",
        verbose_name=_("communication"),
    )
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    original_message_id = models.CharField(_("bounced Message-ID"), max_length=998, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("bounce")
        verbose_name_plural = _("bounces")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_message_id}: {self.reason[:60]}"


class CalendarFeed(models.Model):
    """A user's secret iCalendar feed (``/calendar/<token>.ics``). The token is an HMAC of the
    user and this random ``nonce`` under the SECRET_KEY (crm/board_selectors.py): the page can
    show the address again at any time, the table alone (a backup, the admin) gives none away,
    and regenerating (a new nonce) makes the old address stop working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user")
    )
    nonce = models.CharField(_("nonce"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
