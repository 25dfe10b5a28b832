"""Turning text into search lexemes that find every substring of a Chinese name.

The index holds every character (unigram) and every pair of adjacent characters (bigram) of
each run of letters/digits, lower-cased. A query of two or more characters matches when the
document holds all of the query's bigrams; a single character matches its unigram. Bigrams
can match out of order, so the caller rechecks `name ILIKE %query%` on the few candidates.
(Measured in ../shared/PITFALLS.md: recall 1.0, 2-10 ms at 100,000 names.)
"""

from __future__ import annotations

import re
import unicodedata

_SEGMENT = re.compile(r"[^\W_]+", re.UNICODE)  # runs of letters and digits, any script


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def segments(text: str) -> list[str]:
    return _SEGMENT.findall(normalize(text))


def document_lexemes(text: str) -> list[str]:
    """Unigrams and bigrams of every segment of `text`, deduplicated, in a stable order."""
    seen: dict[str, None] = {}
    for seg in segments(text):
        for i, char in enumerate(seg):
            seen.setdefault(char, None)
            if i + 1 < len(seg):
                seen.setdefault(seg[i : i + 2], None)
    return list(seen)


def query_lexemes(query: str) -> list[str]:
    """What every matching document must contain: each segment's bigrams, or the single char."""
    needed: dict[str, None] = {}
    for seg in segments(query):
        if len(seg) == 1:
            needed.setdefault(seg, None)
        for i in range(len(seg) - 1):
            needed.setdefault(seg[i : i + 2], None)
    return list(needed)


def tsquery_literal(lexemes: list[str]) -> str:
    """A tsquery in its input syntax, every lexeme quoted: no parser or dictionary touches it."""
    return " & ".join("'" + lex.replace("\\", "\\\\").replace("'", "''") + "'" for lex in lexemes)
