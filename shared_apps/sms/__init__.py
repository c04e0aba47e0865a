"""Text messages to phones, through a Twilio-compatible REST API.

Services call `shared_apps.sms.tasks.sms_send_on_commit` (an outbox row in the caller's transaction, delivered by a
Celery worker after commit or by beat's sweep, retried while the provider is unavailable);
`shared_apps.sms.client.sms_send` is the single synchronous HTTP call.
"""
