"""What reels tell the floors above: the operators' review queue (marketplace/reel_review) follows these.

Both are sent inside the writing transaction, in the merchant's schema: kwargs `schema`, `reel_id`.
`reel_review_requested` also carries `caption`, `poster_url`, `duration_s`, `check_failures`.
"""

from django.dispatch import Signal

reel_review_requested = Signal()  # a reel waits for an operator now
reel_review_closed = Signal()  # it no longer does: deleted, or sent back to draft by its merchant
