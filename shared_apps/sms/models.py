"""The SMS outbox (public schema): a message is a row written in the transaction that decided to send it, so a
broker that is down when it commits delays the message instead of losing it (ADR 0012). A worker claims the row
before it calls the provider and marks it afterwards; beat sweeps what no kick delivered."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class SmsStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    REFUSED = "refused", "Refused by the provider"
    FAILED = "failed", "Given up"


class SmsMessage(models.Model):
    to = models.CharField(max_length=20)  # E.164
    body = models.TextField()  # erased once the message is sent or given up: it may carry a sign-in code
    status = models.CharField(max_length=10, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)  # a worker is talking to the provider until then
    provider_sid = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_try_at"], condition=Q(status="pending"), name="sms_pending_due"),
        ]

    def __str__(self) -> str:
        return f"SMS #{self.pk} {self.status}"
