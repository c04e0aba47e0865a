"""The text half of search: the customer's words → a PostgreSQL tsquery, with typo correction.

Every word matches as a prefix of a stemmed lexeme ("tomat" finds "tomatoes"). A word with no lexeme of the index
starting with it is a probable typo: it also matches the most similar lexeme of the index's vocabulary
(`SearchTerm`), found with pg_trgm where the server has the extension, else with difflib over the vocabulary's
words that share its first two letters (the embedded PostgreSQL has no pg_trgm). Corrections are cached per process
for five minutes: the vocabulary changes slowly and most searches repeat.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_WORDS = 8
_CACHE_SECONDS = 300


@dataclass(frozen=True)
class TextQuery:
    """`sql` is a tsquery expression over the %(tq_*)s params in `params`; `corrections` maps each typed word
    that was corrected to the word shown to the customer ("Showing results for ...")."""

    sql: str
    params: dict[str, str]
    corrections: dict[str, str] = field(default_factory=dict)
    # Per word that counts (stop words do not): its stem and its correction's lexeme, if any. None when a word's
    # tsquery is not simply 'stem':* (the parser split it, say): then no term-per-cell query is built from them.
    stems: tuple[tuple[str, str | None], ...] | None = None
    # Listings holding the rarest word's stem, by the vocabulary (SearchTerm, refreshed on beat): an estimate.
    listings: int = 0

    def geo_queries(self, cells: tuple[int, ...], *, per_query: int = 4) -> list[str] | None:
        """The same words as tsqueries over the index `listing_search_geo` (each lexeme prefixed by a listing's H3
        cell), one per `per_query` cells: a row matches iff its words match and its cell is one of `cells`. ORed as
        separate conditions, each is its own small index scan: GIN tests every candidate row against the whole
        tsquery, so one tsquery ORing a wide circle's every cell costs several times what a few small ones do."""
        if not self.stems:
            return None
        queries = []
        for start in range(0, len(cells), per_query):
            prefixes = [f"{cell:x}." for cell in cells[start : start + per_query]]
            words = []
            for stem, fix in self.stems:
                options = [f"'{p}{stem}':*" for p in prefixes] + ([f"'{p}{fix}'" for p in prefixes] if fix else [])
                words.append("(" + " | ".join(options) + ")")
            queries.append(" & ".join(words))
        return queries


def query_words(q: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(q)][:MAX_WORDS]


@lru_cache(maxsize=1)
def _has_trigram(_database: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        return cursor.fetchone() is not None


def has_trigram() -> bool:
    return _has_trigram(connection.settings_dict["NAME"])


_UNKNOWN = """
    SELECT w.word, w.stem FROM (
        SELECT word, coalesce((ts_lexize('english_stem', word))[1], '') AS stem FROM unnest(%s::text[]) AS word
    ) w
    WHERE w.stem <> '' AND length(w.stem) >= 3
      AND NOT EXISTS (SELECT 1 FROM public.listings_searchterm t WHERE t.lexeme LIKE w.stem || '%%')
"""
_TRIGRAM_BEST = """
    SELECT t.lexeme FROM public.listings_searchterm t
    WHERE t.lexeme %% %s
    ORDER BY similarity(t.lexeme, %s) DESC, t.listings DESC, t.lexeme
    LIMIT 1
"""
_SAME_START = """
    SELECT lexeme FROM public.listings_searchterm WHERE lexeme LIKE %s ORDER BY listings DESC, lexeme LIMIT 5000
"""


def _best_match(stem: str) -> str | None:
    with connection.cursor() as cursor:
        if has_trigram():
            cursor.execute(_TRIGRAM_BEST, [stem, stem])
            row = cursor.fetchone()
            return row[0] if row else None
        cursor.execute(_SAME_START, [stem[:2] + "%"])
        candidates = [row[0] for row in cursor.fetchall()]
    close = difflib.get_close_matches(stem, candidates, n=1, cutoff=0.7)
    return close[0] if close else None


# The lexeme is a stem ("chocol"): show the customer the word of the titles it comes from ("chocolate").
_SURFACE_WORD = """
    SELECT w FROM (SELECT title FROM public.listings_listing WHERE search @@ to_tsquery('simple', %(lexeme)s)
                   LIMIT 50) l,
         regexp_split_to_table(lower(l.title), '[^[:alnum:]]+') AS w
    WHERE (ts_lexize('english_stem', w))[1] = %(lexeme)s
    GROUP BY w ORDER BY count(*) DESC, w LIMIT 1
"""


@dataclass(frozen=True)
class Correction:
    lexeme: str  # what the query matches
    word: str  # what the customer is shown


def _surface_word(lexeme: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_SURFACE_WORD, {"lexeme": lexeme})
        row = cursor.fetchone()
    return row[0] if row else lexeme


@lru_cache(maxsize=4096)
def _corrections(words: tuple[str, ...], _bucket: int, _database: str) -> tuple[tuple[str, Correction], ...]:
    with connection.cursor() as cursor:
        cursor.execute(_UNKNOWN, [list(words)])
        unknown = cursor.fetchall()
    found = []
    for word, stem in unknown:
        best = _best_match(stem)
        if best and best != stem:
            found.append((word, Correction(lexeme=best, word=_surface_word(best))))
    return tuple(found)


def corrections_for(words: list[str]) -> dict[str, Correction]:
    """Typed word → its correction, for the words of `words` that no lexeme of the index starts with."""
    if not words:
        return {}
    bucket = int(time.time() // _CACHE_SECONDS)
    return dict(_corrections(tuple(words), bucket, connection.settings_dict["NAME"]))


def text_query(q: str) -> TextQuery | None:
    """None when `q` holds no word. Words are AND-ed; a corrected word is OR-ed with its correction."""
    words = query_words(q)
    if not words:
        return None
    corrections = corrections_for(words)
    parts, params = [], {}
    for i, word in enumerate(words):
        params[f"tq_{i}"] = f"{word}:*"  # only letters and digits reach here: no tsquery syntax to inject
        part = f"to_tsquery('english', %(tq_{i})s)"
        if word in corrections:
            params[f"tq_{i}_fix"] = corrections[word].lexeme
            part = f"({part} || to_tsquery('simple', %(tq_{i}_fix)s))"
        parts.append(part)
    shown = {word: correction.word for word, correction in corrections.items()}
    found = _stems(tuple(words), bucket=int(time.time() // _CACHE_SECONDS), _database=connection.settings_dict["NAME"])
    stems, listings = None, 0
    if found is not None:
        stems = tuple((stem, corrections[word].lexeme if word in corrections else None) for word, stem, _ in found)
        listings = min(n for _, _, n in found)
    return TextQuery(
        sql="(" + " && ".join(parts) + ")", params=params, corrections=shown, stems=stems, listings=listings
    )


_STEMS = """
    SELECT w.word, w.stem, w.tsquery, coalesce(t.listings, 0)
    FROM (SELECT word, (ts_lexize('english_stem', word))[1] AS stem,
                 to_tsquery('english', word || ':*')::text AS tsquery
          FROM unnest(%s::text[]) AS word) w
    LEFT JOIN public.listings_searchterm t ON t.lexeme = w.stem
"""


@lru_cache(maxsize=4096)
def _stems(words: tuple[str, ...], *, bucket: int, _database: str) -> tuple[tuple[str, str, int], ...] | None:
    """(word, stem, listings with the stem) for the words that count, if each one's tsquery is exactly 'stem':*
    (else None)."""
    with connection.cursor() as cursor:
        cursor.execute(_STEMS, [list(words)])
        rows = cursor.fetchall()
    out = []
    for word, stem, tsquery, listings in rows:
        if not tsquery:
            continue  # a stop word: the plain query ignores it too
        if stem is None or tsquery != f"'{stem}':*" or not stem.isalnum():
            return None
        out.append((word, stem, listings))
    return tuple(out) or None


_REFRESH = """
    WITH stats AS (
        SELECT word, ndoc FROM ts_stat('SELECT search FROM public.listings_listing WHERE search IS NOT NULL')
        WHERE length(word) BETWEEN 3 AND 100 AND word !~ '^[0-9]+$'
    ), upserted AS (
        INSERT INTO public.listings_searchterm (lexeme, listings)
        SELECT word, ndoc FROM stats
        ON CONFLICT (lexeme) DO UPDATE SET listings = EXCLUDED.listings
        WHERE public.listings_searchterm.listings IS DISTINCT FROM EXCLUDED.listings
    )
    DELETE FROM public.listings_searchterm t WHERE NOT EXISTS (SELECT 1 FROM stats s WHERE s.word = t.lexeme)
"""


def search_terms_refresh() -> int:
    """Recompute the vocabulary from the whole index (idempotent; seconds at a million listings, so it runs on
    beat, not per change). Returns the vocabulary's size."""
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH)
        cursor.execute("SELECT count(*) FROM public.listings_searchterm")
        return cursor.fetchone()[0]
