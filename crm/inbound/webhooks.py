"""Inbound e-mail from a mail provider's webhook (django-anymail), for deployments that receive
mail through SendGrid, Mailgun, Postmark, Amazon SES, … instead of an IMAP mailbox.

Only the providers' *inbound* endpoints are served, under /mail/inbound/<provider>/inbound/, and
only when MAIL_INBOUND_WEBHOOK_SECRET is set (anymail checks it as HTTP basic auth:
"user:password" in the provider's webhook URL). anymail parses the provider's POST into a message;
its raw bytes go through the same filing as IMAP mail (crm.services.mail_in.mail_file).
"""

from __future__ import annotations

import logging

from anymail import urls as anymail_urls
from anymail.signals import inbound
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern

logger = logging.getLogger(__name__)


def inbound_urlpatterns() -> list[URLPattern]:
    if not settings.MAIL_INBOUND_WEBHOOK_SECRET:
        return []
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        if pattern.name and pattern.name.endswith("_inbound_webhook"):
            # The provider cannot log in: anymail's basic-auth secret is the check.
            pattern.callback = login_not_required(pattern.callback)
            patterns.append(pattern)
    return patterns


def file_inbound(sender, event, esp_name, **kwargs) -> None:
    """anymail's inbound signal: the message filed like one fetched by IMAP."""
    from crm.services.mail_in import mail_file

    filing = mail_file(raw=event.message.as_bytes())
    logger.info("inbound e-mail from %s: %s", esp_name, filing)


def connect() -> None:
    inbound.connect(file_inbound, dispatch_uid="crm.inbound.webhooks.file_inbound")
