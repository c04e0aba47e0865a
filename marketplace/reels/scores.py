"""Beat's refresh of what the feed ranks by (ranking.py's docstring has the formula): each card's quality from the
behaviour totals, each placement's stock (the `Listing` index) and opening state (`BranchListing`'s hours), then
the placements' stored scores — every statement writes only the rows whose value changed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from marketplace.listings.models import BranchListing
from marketplace.reels import ranking
from marketplace.reels.models import ReelPlacement
from tenant_apps.stores.hours import opening_state

_QUALITY_SOURCE = """
    SELECT c.id, coalesce(t.watch_fraction, 0), coalesce(t.watches, 0),
           coalesce(t.product_taps + t.add_to_carts + t.shares, 0) + c.likes + c.saves, coalesce(t.views, 0),
           c.quality
    FROM reels_feed_reelcard c
    LEFT JOIN behaviour_behaviourtotal t
      ON t.subject = 'reel' AND t.merchant_id = c.merchant_id AND t.subject_id = c.reel_id
    WHERE {scope}
"""
_QUALITY_WRITE = """
    UPDATE reels_feed_reelcard c SET quality = v.quality
    FROM unnest(%s::bigint[], %s::float8[]) AS v(id, quality) WHERE c.id = v.id
"""
# Some tagged product of the reel is in stock at the placement's branch (the index's stock flag).
_STOCK_WRITE = """
    UPDATE reels_feed_reelplacement p SET in_stock = s.in_stock
    FROM (
        SELECT p2.id, EXISTS (
            SELECT 1 FROM listings_listing l
            WHERE l.merchant_id = p2.merchant_id AND l.product_id = ANY(c.product_ids)
              AND l.branch_id = p2.branch_id AND l.in_stock
        ) AS in_stock
        FROM reels_feed_reelplacement p2 JOIN reels_feed_reelcard c ON c.id = p2.card_id
        WHERE {scope}
    ) s
    WHERE p.id = s.id AND p.in_stock IS DISTINCT FROM s.in_stock
"""
_OPEN_WRITE = """
    UPDATE reels_feed_reelplacement p SET open_now = v.open_now
    FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[]) AS v(merchant_id, branch_id, open_now)
    WHERE p.merchant_id = v.merchant_id AND p.branch_id = v.branch_id AND p.open_now IS DISTINCT FROM v.open_now
"""
_SCORE_WRITE = f"""
    UPDATE reels_feed_reelplacement p SET score = {ranking.PLACEMENT_SCORE_SQL}
    FROM reels_feed_reelcard c
    WHERE c.id = p.card_id AND {{scope}} AND p.score IS DISTINCT FROM {ranking.PLACEMENT_SCORE_SQL}
"""


@dataclass
class RefreshReport:
    qualities: int = 0
    stock: int = 0
    opening: int = 0
    scores: int = 0


def _qualities(scope: str, params: list) -> int:
    prior_completion, prior_engagement = ranking.priors()
    with connection.cursor() as cursor:
        cursor.execute(_QUALITY_SOURCE.format(scope=scope), params)
        rows = cursor.fetchall()
    changed_ids, changed = [], []
    for card_id, fraction, watches, actions, views, current in rows:
        value = ranking.quality(
            watch_fraction=fraction,
            watches=watches,
            actions=actions,
            views=views,
            prior_completion=prior_completion,
            prior_engagement=prior_engagement,
        )
        if abs(value - current) > 1e-9:
            changed_ids.append(card_id)
            changed.append(value)
    if changed_ids:
        with connection.cursor() as cursor:
            cursor.execute(_QUALITY_WRITE, [changed_ids, changed])
    return len(changed_ids)


def _opening(card_ids: list[int] | None) -> int:
    """Open now, per branch (of these cards' placements, or every branch), from the branch index's hours."""
    merchants, branches, opened = [], [], []
    rows = BranchListing.objects.all()
    if card_ids is not None:
        placed = ReelPlacement.objects.filter(card_id__in=card_ids)
        rows = rows.filter(merchant_id__in=placed.values("merchant_id"), branch_id__in=placed.values("branch_id"))
    for row in rows.values("merchant_id", "branch_id", "opening_hours", "hours_exceptions"):
        merchants.append(row["merchant_id"])
        branches.append(row["branch_id"])
        opened.append(opening_state(row["opening_hours"], row["hours_exceptions"]).open)
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_WRITE, [merchants, branches, opened])
        return cursor.rowcount


def placements_refresh(*, card_ids: list[int] | None = None) -> RefreshReport:
    """Recompute quality, stock, opening state and scores: of the given cards (a reel just published), or of every
    card (beat). Idempotent; one transaction."""
    report = RefreshReport()
    if card_ids is None:
        card_scope, placement_scope, params = "TRUE", "TRUE", []
    else:
        card_scope, placement_scope, params = "c.id = ANY(%s)", "c.id = ANY(%s)", [card_ids]
    with transaction.atomic():
        report.qualities = _qualities(card_scope, params)
        with connection.cursor() as cursor:
            cursor.execute(_STOCK_WRITE.format(scope=placement_scope), params)
            report.stock = cursor.rowcount
        report.opening = _opening(card_ids)
        with connection.cursor() as cursor:
            cursor.execute(_SCORE_WRITE.format(scope=placement_scope), params)
            report.scores = cursor.rowcount
    return report
