"""Title search for one data set: forgiving lookups (case, year, article, part of a title, typos)."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

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
# Fuzzy matching (rapidfuzz's `fuzz.ratio`, 0-100, difflib's ratio computed exactly): a whole title
# must score this much to count as spelled alike, the first words of a longer title more.
SIMILAR, SIMILAR_START = 60.0, 75.0
# `lookup(typos=True)` takes a misspelling's best match when it scores this much and beats every
# other title by at least this margin.
TYPO_ACCEPT, TYPO_MARGIN = 80.0, 8.0
# Fuzzy matches are scored among the title keys sharing most letter pairs with the query: this
# many (so 60k titles cost what a few hundred do).
CANDIDATES = 300


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


@dataclass(frozen=True)
class Found:
    """What `TitleIndex.lookup` found: the item index, its title, and whether it is a guess at a
    misspelling (which a caller should say it took)."""

    index: int
    title: str
    guessed: bool = False


class _Blob:
    """Some titles' strings joined in most-rated-first order, for substring scans in C.

    Rows are '\n'-separated (a query never holds one), so a hit's row is found by bisecting the
    row starts, and the first hits of a scan are the most-rated titles: a search can stop early.
    """

    def __init__(self, rows: list[str], order: list[int]) -> None:
        self.text = "\n" + "\n".join(rows[i] for i in order) + "\n"
        starts, pos = [], 0
        for i in order:
            starts.append(pos)
            pos += len(rows[i]) + 1
        self.starts = starts + [pos]  # the newline before each row, then the last one
        self.order = order

    def scan(self, needle: str, need: int | None) -> list[int]:
        """Item indices of the rows holding `needle`, most-rated first (the first `need`)."""
        out: list[int] = []
        pos = self.text.find(needle)
        while pos >= 0 and (need is None or len(out) < need):
            r = bisect_right(self.starts, pos) - 1
            if r >= len(self.order):
                break
            out.append(self.order[r])
            pos = self.text.find(needle, self.starts[r + 1])
        return out


class _Prefixes:
    """One string per title, sorted, so that the titles starting with a prefix are one bisection
    away; then the most-rated of them."""

    def __init__(self, rows: list[str], rank: np.ndarray, year: np.ndarray) -> None:
        by = sorted(range(len(rows)), key=rows.__getitem__)
        self.sorted = [rows[i] for i in by]
        self.items = np.asarray(by, dtype=np.int64)
        self.rank = rank
        self.year = year

    def scan(self, prefix: str, year: int | None, need: int | None) -> list[int]:
        """Item indices of the rows starting with `prefix` (of `year`, if given), most-rated first."""
        lo = bisect_left(self.sorted, prefix)
        hi = bisect_left(self.sorted, prefix + "\U0010ffff", lo)
        idx = self.items[lo:hi]
        if year is not None:
            idx = idx[self.year[idx] == year]
        rank = self.rank[idx]
        if need is not None and len(idx) > need:
            top = np.argpartition(rank, need)[:need]
            idx, rank = idx[top], rank[top]
        return idx[np.argsort(rank)].tolist()


class _Pairs:
    """Which title keys share most letter pairs with a query: the candidates for fuzzy scoring.

    An inverted index, letter pair -> keys holding it, in two arrays (`postings`, cut by
    `bounds`); a query's shared-pair counts over all keys are one `np.bincount`.
    """

    def __init__(self, keys: list[str]) -> None:
        ids: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for k, key in enumerate(keys):
            pairs = _pairs(key)
            rows += [k] * len(pairs)
            cols += [ids.setdefault(p, len(ids)) for p in pairs]
        col = np.asarray(cols, dtype=np.int64)
        by_pair = np.argsort(col, kind="stable")
        self.ids = ids
        self.postings = np.asarray(rows, dtype=np.int64)[by_pair]
        self.bounds = np.searchsorted(col[by_pair], np.arange(len(ids) + 1))
        self.size = np.bincount(np.asarray(rows, dtype=np.int64), minlength=len(keys))
        # Where each key's words end: its first w words are key[: ends[w - 1]].
        self.ends = [[m.end() for m in re.finditer(r"\S+", key)] for key in keys]

    def candidates(self, text: str, n: int) -> np.ndarray:
        """Positions of the `n` keys sharing the largest share of `text`'s letter pairs, in key
        order.

        The share is Dice's (shared pairs / the mean count of both), except that a key longer
        than `text` counts as long as `text`: a misspelled start of a long title stays a candidate.
        """
        own = _pairs(text)
        pairs = [self.ids[p] for p in own if p in self.ids]
        if not pairs:
            return np.zeros(0, dtype=np.int64)
        hits = np.concatenate([self.postings[self.bounds[p] : self.bounds[p + 1]] for p in pairs])
        shared = np.bincount(hits, minlength=len(self.size))
        share = shared / (len(own) + np.minimum(self.size, len(own)))
        picked = np.sort(_top(share, n))
        return picked[shared[picked] > 0]


def _pairs(text: str) -> set[str]:
    """The letter pairs of a key, with its ends marked: 'fargo' -> {' f', 'fa', ..., 'o '}."""
    text = f" {text} "
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _top(values: np.ndarray, n: int) -> np.ndarray:
    return np.arange(len(values)) if len(values) <= n else np.argpartition(-values, n)[:n]


class TitleIndex:
    """Title lookups for one data set: exact, forgiving (case, year, article, part) and fuzzy."""

    def __init__(self, items: pd.DataFrame, name: str = "this data set") -> None:
        titles = items["title"].astype(str).to_numpy()
        self.name = name
        self.item_ids = pd.Index(items["item_id"].to_numpy())
        keys = [title_key(t) for t in titles]
        self.titles = titles
        self.n_ratings = items["n_ratings"].to_numpy(np.int64)
        self.bare = [k[0] for k in keys]
        self.year = np.array([k[2] if k[2] is not None else -1 for k in keys], dtype=np.int64)
        # Most-rated first, ties by position: the order every list of matches is given in.
        self.order = np.lexsort((np.arange(len(titles)), -self.n_ratings))
        # Padded with spaces so that ' word ' finds whole words with a plain substring test.
        rank = np.empty(len(titles), dtype=np.int64)
        rank[self.order] = np.arange(len(titles))
        self._rows = [f" {k[1]} " for k in keys]
        self._texts: dict[int | None, _Blob] = {None: _Blob(self._rows, self.order.tolist())}
        # Whole words: 'godfather ' starts 'godfather part ii ' (and 'godfather ' itself).
        self._text_starts = _Prefixes([f"{k[1]} " for k in keys], rank, self.year)
        self._bare_starts = _Prefixes(self.bare, rank, self.year)
        self._exact: dict[str, list[int]] = {}
        self._by_bare: dict[str, list[int]] = {}
        for i in self.order.tolist():
            self._exact.setdefault(" ".join(titles[i].casefold().split()), []).append(i)
            self._by_bare.setdefault(keys[i][0], []).append(i)
        self._keys = list(self._by_bare)  # distinct bare keys, most-rated first
        self._pairs = _Pairs(self._keys)

    def search(self, query: str, limit: int = 10) -> pd.DataFrame:
        """Titles matching `query`, best first: exact, same title, starts with, contains, fuzzy.

        Within a tier, the most-rated first; fuzzy matches by how alike they are spelled. A year
        after the words ('alien 1979') narrows them. An empty query lists the most-rated titles.
        """
        rows: list[tuple[int, str]] = []
        seen: set[int] = set()

        def add(idx, match: str) -> None:
            for i in idx:
                if i not in seen:
                    seen.add(i)
                    rows.append((i, match))

        query = str(query).strip()
        forms = _forms(query)
        if not forms[0][0]:
            add(self.order[:limit].tolist(), "popular")
        else:
            add(self._exact.get(" ".join(query.casefold().split()), []), "exact")
            for bare, text, year in forms:
                keep = self._keep(year)
                add([i for i in self._by_bare.get(bare, []) if keep(i)], "title")
                tiers = [
                    ("starts with", self._text_starts, f"{text} "),
                    ("starts with", self._bare_starts, bare),
                ]
                for match, rows_of, needle in tiers:
                    if len(rows) < limit:
                        add(rows_of.scan(needle, year, limit), match)
                if len(rows) < limit:
                    # Whole words first, then anywhere; none anywhere (a typo) is one scan.
                    part = self._texts_of(year).scan(text, limit)
                    if part:
                        add(self._texts_of(year).scan(f" {text} ", limit), "contains")
                        add(part, "contains")
            # 'silense of the lambs 1991': that title of 1991; all the words only if none is.
            for bare, _, year in forms[::-1]:
                if len(rows) < limit:
                    before = len(rows)
                    keep = self._keep(year)
                    for key, _, _ in self._close(bare, limit):
                        add([i for i in self._by_bare[key] if keep(i)], "similar")
                    if len(rows) > before:
                        break
        return self._table(rows[:limit])

    def closest(self, query: str, limit: int = 5) -> pd.DataFrame:
        """The titles spelled most like `query` however unlike they are (for 'no match' messages)."""
        bare = title_key(str(query))[0]
        cand = self._pairs.candidates(bare, 2 * CANDIDATES).tolist()
        hits = process.extract(bare, [self._keys[k] for k in cand], scorer=fuzz.WRatio, limit=limit)
        rows = [(self._by_bare[key][0], "closest") for key, _, _ in hits]
        return self._table(rows)

    def _table(self, rows: list[tuple[int, str]]) -> pd.DataFrame:
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

    def _close(self, bare: str, n: int) -> list[tuple[str, float, float]]:
        """Up to `n` distinct title keys spelled nearly like `bare`, whole or in their first
        words: (key, score, score of the whole key), scores 0-100, best first.

        Comparing with the title's start as well lets 'shawshenk' find 'shawshank redemption'.
        Only the `CANDIDATES` keys sharing most letter pairs with `bare` are scored.
        """
        cand = self._pairs.candidates(bare, CANDIDATES)
        if not len(cand):
            return []
        width = len(bare.split())
        keys, heads = [], []
        for k in cand.tolist():
            key, ends = self._keys[k], self._pairs.ends[k]
            keys.append(key)
            heads.append(key[: ends[width - 1]] if len(ends) > width else key)
        whole = process.cdist([bare], keys, scorer=fuzz.ratio, dtype=np.float32)[0]
        head = process.cdist([bare], heads, scorer=fuzz.ratio, dtype=np.float32)[0]
        score = np.maximum(
            np.where(whole >= SIMILAR, whole, 0), np.where(head >= SIMILAR_START, head, 0)
        )
        # Best score first, then the best whole-title score; then most-rated first (key order).
        best = [j for j in np.lexsort((cand, -whole, -score)) if score[j] > 0][:n]
        return [(keys[j], float(score[j]), float(whole[j])) for j in best]

    def _texts_of(self, year: int | None) -> _Blob:
        """The searchable texts of every title, or of one year's (a small scan, made once)."""
        if year not in self._texts:
            order = [i for i in self._texts[None].order if self.year[i] == year]
            self._texts[year] = _Blob(self._rows, order)
        return self._texts[year]

    def _keep(self, year: int | None):
        return (lambda i: True) if year is None else (lambda i: self.year[i] == year)

    def resolve(self, query: str | int) -> int:
        """The item index `query` (a title, or an int item id) names, or `UnknownItemError`
        listing the closest titles.

        Policy: an exact title (any case) wins; else the titles equal to the query once year,
        article and punctuation are set aside (the year, if given, must agree); else the titles
        that start with it; else those containing it. At the first tier with matches, a single
        distinct title wins (copies of one title: the most-rated copy), as does a title with
        `DOMINANCE` times the ratings of the runner-up; several comparable ones are ambiguous.
        A misspelling is not guessed at here: see `lookup(typos=True)`.
        """
        return self.lookup(query).index

    def lookup(self, query: str | int, *, typos: bool = False) -> Found:
        """`resolve`, saying what was found; with `typos`, a title that matches nothing is taken
        for its best fuzzy match when that one is clearly the best (`TYPO_ACCEPT`, `TYPO_MARGIN`)
        and the result says it was `guessed`. Several close matches stay an error listing them."""
        if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
            i = int(self.item_ids.get_indexer(pd.Index(np.asarray([query])))[0])
            if i < 0:
                raise UnknownItemError(f"No movie has item id {query} in {self.name}.")
            return self._found(i)
        query = str(query).strip()
        exact = self._exact.get(" ".join(query.casefold().split()))
        if exact:
            return self._found(exact[0])
        forms = _forms(query)
        bare, text, year = forms[0]
        if not bare:
            raise UnknownItemError("Give a movie title (part of one is enough, e.g. 'godfather').")
        for bare, text, year in forms:  # 'raiders of the lost ark 1981': then with the year apart
            keep = self._keep(year)
            tiers = [
                lambda: [i for i in self._by_bare.get(bare, []) if keep(i)],  # noqa: B023
                lambda: self._bare_starts.scan(bare, year, None),  # noqa: B023
                lambda: self._texts_of(year).scan(f" {text} ", None),  # noqa: B023
                lambda: self._texts_of(year).scan(text, None),  # noqa: B023
            ]
            for tier in tiers:
                idx = tier()
                if idx:
                    return self._found(self._one_of(query, idx))
        if typos:
            guess = self._guess(forms)
            if guess is not None:
                return self._found(guess, guessed=True)
        close = self.search(query, limit=5)
        if not len(close):
            close = self.closest(query, limit=5)
        if len(close):
            shown = ", ".join(repr(t) for t in close["title"])
            raise UnknownItemError(f"No movie matches {query!r}. Closest titles: {shown}.")
        raise UnknownItemError(f"No movie matches {query!r}; try a part of its title.")

    def _found(self, i: int, guessed: bool = False) -> Found:
        return Found(int(i), str(self.titles[i]), guessed)

    def _one_of(self, query: str, idx: list[int]) -> int:
        """The one movie a tier's matches (most-rated first) name, or the error listing them."""
        one = self._dominant(idx)
        if one is not None:
            return one
        distinct = list(dict.fromkeys(self.titles[i] for i in idx))
        shown = ", ".join(repr(t) for t in distinct[:8])
        more = f" and {len(distinct) - 8} more" if len(distinct) > 8 else ""
        raise UnknownItemError(
            f"{query!r} matches {len(distinct)} movies: {shown}{more}. Give the full title "
            "(with the year if needed)."
        )

    def _dominant(self, idx: list[int]) -> int | None:
        """The first of `idx` (most-rated first) if it is the only title among them (copies
        aside) or has `DOMINANCE` times the ratings of the next other title; else None."""
        first = idx[0]
        rest = [i for i in idx if self.titles[i] != self.titles[first]]
        if not rest or self.n_ratings[first] >= DOMINANCE * max(1, self.n_ratings[rest[0]]):
            return first
        return None

    def _guess(self, forms) -> int | None:
        """The most-rated copy of the one title clearly spelled most like the query, or None.

        Clearly: it scores `TYPO_ACCEPT` or more, and every other title scores `TYPO_MARGIN` less,
        either on the best of whole title and first words or on the whole title ('godfater' is
        as close to the start of 'Godfather: Part II' as to 'Godfather', but not to all of it).
        """
        for bare, _, year in forms[::-1]:
            keep = self._keep(year)
            scored = [
                (score, whole, [i for i in self._by_bare[key] if keep(i)])
                for key, score, whole in self._close(bare, 5)
            ]
            scored = [s for s in scored if s[2]]
            if not scored:
                continue
            best, whole, idx = scored[0]
            close = [
                s for s in scored[1:] if s[0] > best - TYPO_MARGIN and s[1] > whole - TYPO_MARGIN
            ]
            return self._dominant(idx) if best >= TYPO_ACCEPT and not close else None
        return None


def _forms(query: str) -> list[tuple[str, str, int | None]]:
    """`title_key` of the query, and of its words and year apart when it ends in a bare year
    ('lambs 1991': 'lambs' of 1991)."""
    forms = [title_key(query)]
    m = _BARE_YEAR.match(query)
    if m and forms[0][2] is None:
        bare, text, _ = title_key(m.group(1))
        if bare:
            forms.append((bare, text, int(m.group(2))))
    return forms


def display_title(title: str) -> str:
    """A title as a label reads it: 'Godfather, The (1972)' -> 'The Godfather' (no year, no
    alternative title in parentheses, the article in front)."""
    m = _YEAR.search(title)
    main = title[: m.start()] if m else title
    main = main.partition(" (")[0]
    return _front_article(main) or title.strip()


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
