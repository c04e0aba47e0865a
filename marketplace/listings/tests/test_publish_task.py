"""The publish task a commit kicks waits out a database that does not answer: it is the merchant's only news until
the beat sweep, so a failed try is tried again (on a fresh connection) rather than dropped."""

from unittest import mock

from django.db import OperationalError

from marketplace.listings import tasks
from marketplace.listings.sync import PublishReport


def test_a_publish_that_meets_a_database_restart_is_tried_again_until_it_publishes():
    answers = [OperationalError("server closed the connection unexpectedly"), PublishReport(events=3)]
    with (
        mock.patch.object(tasks.sync, "listings_publish", side_effect=answers) as publish,
        mock.patch.object(tasks, "outbox_kick_taken"),
        mock.patch.object(tasks.connection, "set_schema_to_public"),
    ):
        result = tasks.listings_publish.apply(kwargs={"schema": "shop_x"})
    assert result.successful() and result.get() == 3
    assert publish.call_count == 2
