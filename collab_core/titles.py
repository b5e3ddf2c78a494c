"""Title search for one data set: forgiving lookups (case, year, article, part of a title, typos)."""

from __future__ import annotations

import difflib
import re
import unicodedata

import numpy as np
import pandas as pd

from .errors import UnknownItemError

# Articles that MovieLens moves to the end of a title: "Godfather, The", "Postino, Il".
_ARTICLES = (
    "the",
    "a",
    "an",
    "les",
    "la",
    "le",
    "l'",
    "il",
    "el",
    "das",
    "der",
    "die",
    "los",
    "las",
    "lo",
    "den",
    "det",
    "een",
    "het",
    "de",
)
_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
_BARE_YEAR = re.compile(r"^(.*\S)\s+((?:18|19|20)\d\d)$")
_TRAILING_ARTICLE = re.compile(
    r"^(.*),\s*(" + "|".join(re.escape(a) for a in _ARTICLES) + r")$", re.IGNORECASE
)
_LEADING_ARTICLE = re.compile(
    r"^(?:" + "|".join(re.escape(a) for a in _ARTICLES if a != "l'") + r")\s+"
)
# A single title wins among equally good matches when it has this many times the runner-up's ratings.
DOMINANCE = 3.0


def _fold(text: str) -> str:
    """Lower case, accents stripped, punctuation to spaces: 'Cité, La' -> 'cite la'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w']+|_", " ", text).replace("'", "").split())


def _front_article(part: str) -> str:
    m = _TRAILING_ARTICLE.match(part.strip())
    return f"{m.group(2)} {m.group(1)}" if m else part.strip()


def title_key(title: str) -> tuple[str, str, int | None]:
    """(bare key, searchable text, year) of a title or a query.

    The bare key is the main title with its article moved to the front and then dropped, folded:
    'Godfather, The (1972)', 'The Godfather' and 'godfather' all give 'godfather'. The searchable
    text adds the alternative title in parentheses: 'Seven (Se7en) (1995)' -> 'seven se7en'.
    """
    year = None
    m = _YEAR.search(title)
    if m:
        year, title = int(m.group(1)), title[: m.start()]
    main, _, aka = title.partition(" (")
    aka = aka.rstrip(") ")
    bare = _LEADING_ARTICLE.sub("", _fold(_front_article(main)))
    text = bare + (" " + _LEADING_ARTICLE.sub("", _fold(_front_article(aka))) if aka else "")
    return bare, text, year


class TitleIndex:
    """Title lookups for one data set: exact, forgiving (case, year, article, part) and fuzzy."""

    def __init__(self, items: pd.DataFrame, name: str = "this data set") -> None:
        titles = items["title"].astype(str).to_numpy()
        self.name = name
        self.item_ids = pd.Index(items["item_id"].to_numpy())
        keys = [title_key(t) for t in titles]
        self.titles = titles
        self.n_ratings = items["n_ratings"].to_numpy(np.int64)
        self.bare = pd.Series([k[0] for k in keys], dtype=object)
        # Padded with spaces so that ' word ' finds whole words with a plain substring test.
        self.text = pd.Series([f" {k[1]} " for k in keys], dtype=object)
        self.year = np.array([k[2] if k[2] is not None else -1 for k in keys], dtype=np.int64)
        self._exact: dict[str, list[int]] = {}
        self._by_bare: dict[str, list[int]] = {}
        for i, t in enumerate(titles):
            self._exact.setdefault(" ".join(t.casefold().split()), []).append(i)
            self._by_bare.setdefault(keys[i][0], []).append(i)

    def _most_rated(self, idx) -> list[int]:
        idx = list(idx)
        return sorted(idx, key=lambda i: (-self.n_ratings[i], i))

    def search(self, query: str, limit: int = 10) -> pd.DataFrame:
        """Titles matching `query`, best first: exact, same title, starts with, contains, fuzzy.

        Within a tier, the most-rated first. An empty query lists the most-rated titles.
        """
        rows: list[tuple[int, str]] = []
        seen: set[int] = set()

        def add(idx, match: str) -> None:
            for i in self._most_rated(idx):
                if i not in seen:
                    seen.add(i)
                    rows.append((i, match))

        query = str(query).strip()
        bare, text, year = title_key(query)
        if not bare:
            add(np.argsort(-self.n_ratings, kind="stable")[:limit], "popular")
        else:
            add(self._exact.get(" ".join(query.casefold().split()), []), "exact")
            add(self._year_ok(self._by_bare.get(bare, []), year), "title")
            if len(rows) < limit:
                starts = np.flatnonzero(
                    self.text.str.startswith(f" {text} ").to_numpy()
                    | self.bare.str.startswith(bare).to_numpy()
                )
                add(self._year_ok(starts, year), "starts with")
            if len(rows) < limit:
                words = np.flatnonzero(self.text.str.contains(f" {text} ", regex=False).to_numpy())
                add(self._year_ok(words, year), "contains")
            if len(rows) < limit:
                part = np.flatnonzero(self.text.str.contains(text, regex=False).to_numpy())
                add(self._year_ok(part, year), "contains")
            if len(rows) < limit:
                for key in self._close_keys(bare, limit):
                    add(self._year_ok(self._by_bare[key], year), "similar")
        rows = rows[:limit]
        idx = np.array([i for i, _ in rows], dtype=np.int64)
        return pd.DataFrame(
            {
                "item_index": idx,
                "title": self.titles[idx],
                "year": pd.array([y if y >= 0 else pd.NA for y in self.year[idx]], dtype="Int64"),
                "n_ratings": self.n_ratings[idx],
                "match": [m for _, m in rows],
            }
        )

    def _close_keys(self, bare: str, n: int) -> list[str]:
        """Titles spelled nearly like `bare` (difflib), whole or in their first words.

        Comparing with the title's start as well lets 'shawshenk' find 'shawshank redemption'.
        """
        keys = list(self._by_bare)
        width = len(bare.split())
        heads: dict[str, str] = {}
        for key in keys:
            heads.setdefault(" ".join(key.split()[:width]), key)
        close = difflib.get_close_matches(bare, keys, n=n, cutoff=0.6)
        close += [heads[h] for h in difflib.get_close_matches(bare, list(heads), n=n, cutoff=0.75)]
        return list(dict.fromkeys(close))[:n]

    def _year_ok(self, idx, year: int | None) -> list[int]:
        idx = list(idx)
        return idx if year is None else [i for i in idx if self.year[i] == year]

    def resolve(self, query: str | int) -> int:
        """The item index `query` (a title, or an int item id) names, or `UnknownItemError`
        listing the closest titles.

        Policy: an exact title (any case) wins; else the titles equal to the query once year,
        article and punctuation are set aside (the year, if given, must agree); else the titles
        that start with it; else those containing it. At the first tier with matches, a single
        distinct title wins (copies of one title: the most-rated copy), as does a title with
        `DOMINANCE` times the ratings of the runner-up; several comparable ones are ambiguous.
        """
        if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
            i = int(self.item_ids.get_indexer(pd.Index(np.asarray([query])))[0])
            if i < 0:
                raise UnknownItemError(f"No movie has item id {query} in {self.name}.")
            return i
        query = str(query).strip()
        exact = self._exact.get(" ".join(query.casefold().split()))
        if exact:
            return self._most_rated(exact)[0]
        bare, text, year = title_key(query)
        if not bare:
            raise UnknownItemError("Give a movie title (part of one is enough, e.g. 'godfather').")
        tiers = [
            lambda: self._by_bare.get(bare, []),
            lambda: np.flatnonzero(self.bare.str.startswith(bare).to_numpy()),
            lambda: np.flatnonzero(self.text.str.contains(f" {text} ", regex=False).to_numpy()),
            lambda: np.flatnonzero(self.text.str.contains(text, regex=False).to_numpy()),
        ]
        for tier in tiers:
            idx = self._most_rated(self._year_ok(tier(), year))
            if not idx:
                continue
            distinct = list(dict.fromkeys(self.titles[i] for i in idx))
            first, rest = idx[0], [i for i in idx if self.titles[i] != self.titles[idx[0]]]
            if len(distinct) == 1 or self.n_ratings[first] >= DOMINANCE * max(
                1, self.n_ratings[rest[0]]
            ):
                return first
            shown = ", ".join(repr(t) for t in distinct[:8])
            more = f" and {len(distinct) - 8} more" if len(distinct) > 8 else ""
            raise UnknownItemError(
                f"{query!r} matches {len(distinct)} movies: {shown}{more}. Give the full title "
                "(with the year if needed)."
            )
        bare_year = _BARE_YEAR.match(query)  # 'raiders of the lost ark 1981'
        if bare_year:
            return self.resolve(f"{bare_year.group(1)} ({bare_year.group(2)})")
        close = self.search(query, limit=5)
        if len(close):
            shown = ", ".join(repr(t) for t in close["title"])
            raise UnknownItemError(f"No movie matches {query!r}. Closest titles: {shown}.")
        raise UnknownItemError(f"No movie matches {query!r}; try a part of its title.")


def distinct_titles(items: pd.DataFrame) -> np.ndarray:
    """The titles to show, one per item, with copies of a shared title told apart by id and
    number of ratings: 'Body Snatchers (1993) · id 573, 33 ratings' (MovieLens lists a few movies
    twice under two ids). Titles that no other item has are left as they are."""
    titles = items["title"].astype(str).to_numpy(dtype=object)
    shared = pd.Series(titles).duplicated(keep=False).to_numpy()
    if not shared.any():
        return titles
    out = titles.copy()
    ids, n = items["item_id"].to_numpy(), items["n_ratings"].to_numpy()
    for i in np.flatnonzero(shared):
        out[i] = f"{titles[i]} · id {ids[i]}, {int(n[i]):,} ratings"
    return out
