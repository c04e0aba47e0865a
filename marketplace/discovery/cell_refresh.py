"""Beat's count of every frequent word's branch cells, ahead of the searches (run by tasks.word_cells_refresh).

A search for a frequent word reads each branch's counts from its process, else from Redis, else counts them from the
rows (cell_cache.py). Counting them here first, for every word of the vocabulary frequent enough to be answered per
branch, leaves searches only the branches that changed since the last run. Entries are named by the word's stem, so
every word whose English tsquery is `'stem':*` ("potatoes", "potato") shares them.
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection

from marketplace.discovery.cell_counts import WORD_CELLS_MIN_LISTINGS, BranchVersion, Words, word_cells_count
from marketplace.discovery.cell_store import branch_field, word_cells_forget_others, word_cells_get, word_cells_put

_REFRESH_BRANCHES = 200  # branches per count statement


class Refreshed(NamedTuple):
    words: int  # frequent words of the vocabulary
    counted: int  # (word, branch) pairs counted: those whose current version Redis did not hold


def word_cells_refresh(*, min_listings: int | None = None) -> Refreshed:
    """Count, for every frequent word of the vocabulary (`SearchTerm.listings` >= WORD_CELLS_MIN_LISTINGS, or
    `min_listings`), the branches whose current version Redis does not hold yet, and drop the fields of branches
    gone. Idempotent; run by beat, so that a search rarely counts."""
    threshold = WORD_CELLS_MIN_LISTINGS if min_listings is None else min_listings
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme FROM public.listings_searchterm WHERE listings >= %s ORDER BY listings DESC, lexeme",
            [threshold],
        )
        stems = [stem for (stem,) in cursor.fetchall() if stem.isalnum()]
        cursor.execute("SELECT merchant_id, branch_id, version, h3_r6 FROM public.listings_branchsummary ORDER BY 1, 2")
        branches = [BranchVersion._make(row) for row in cursor.fetchall()]
        fields = {branch_field(b.merchant_id, b.branch_id) for b in branches}
        counted = 0
        for stem in stems:
            words = Words.of_stem(stem)
            shared = word_cells_get(words, [(b.merchant_id, b.branch_id) for b in branches])
            stale = [
                b
                for b in branches
                if (held := shared.get((b.merchant_id, b.branch_id))) is None or held.version != b.version
            ]
            for start in range(0, len(stale), _REFRESH_BRANCHES):
                word_cells_put(words, word_cells_count(cursor, stale[start : start + _REFRESH_BRANCHES], words))
            counted += len(stale)
            word_cells_forget_others(words, fields)
    return Refreshed(words=len(stems), counted=counted)
