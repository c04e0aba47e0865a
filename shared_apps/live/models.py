"""The live event log (public schema). Every event told to a stream is a row here first: its id is the SSE `id:`, so a
client that reconnects with `Last-Event-ID` is replayed what it missed, across a Redis restart too. Rows are kept
for LIVE_EVENT_RETENTION_DAYS (beat purges them: shared_apps.live.tasks.live_events_purge)."""

from __future__ import annotations

from django.db import models


class LiveEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    channel = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # replay: one channel's events after an id
            models.Index(fields=["channel", "id"], name="live_event_channel_id"),
            models.Index(fields=["created_at"], name="live_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.kind}"
