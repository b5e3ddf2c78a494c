"""titles: forgiving title search and lookups on ML-100k and tiny generated catalogues."""

from __future__ import annotations

import pandas as pd
import pytest

from collab_core.data import make_dataset
from collab_core.errors import UnknownItemError
from collab_core.titles import TitleIndex, distinct_titles, title_key


@pytest.fixture(scope="module")
def titles(ml100k):
    return TitleIndex(ml100k.items, ml100k.name)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Star Wars (1977)", "Star Wars (1977)"),
        ("star wars", "Star Wars (1977)"),
        ("STAR WARS (1977)", "Star Wars (1977)"),
        ("The Godfather", "Godfather, The (1972)"),
        ("godfather", "Godfather, The (1972)"),
        ("Godfather, The", "Godfather, The (1972)"),
        ("the godfather 1972", "Godfather, The (1972)"),
        ("Godfather part II", "Godfather: Part II, The (1974)"),
        ("il postino", "Postino, Il (1994)"),
        ("se7en", "Seven (Se7en) (1995)"),
        ("return of the jedi", "Return of the Jedi (1983)"),
        ("empire strikes", "Empire Strikes Back, The (1980)"),
        ("schindlers list", "Schindler's List (1993)"),
    ],
)
def test_titles_are_found_forgivingly(titles, query, title):
    assert titles.titles[titles.resolve(query)] == title


def test_a_title_listed_twice_resolves_to_its_most_rated_copy(ml100k, titles):
    idx = titles.resolve("Chasing Amy (1997)")
    copies = ml100k.items[ml100k.items["title"] == "Chasing Amy (1997)"]
    assert len(copies) == 2
    assert idx == copies["n_ratings"].idxmax()


def test_ambiguous_and_unknown_titles_list_candidates(titles):
    with pytest.raises(UnknownItemError, match="matches 8 movies") as err:
        titles.resolve("star trek")
    assert "Star Trek: The Wrath of Khan (1982)" in str(err.value)
    with pytest.raises(UnknownItemError, match="Shawshank Redemption, The \\(1994\\)"):
        titles.resolve("shawshenk")
    with pytest.raises(UnknownItemError, match="No movie matches 'xyzzy qqq'"):
        titles.resolve("xyzzy qqq")
    with pytest.raises(UnknownItemError, match="Give a movie title"):
        titles.resolve("   ")


def _tiny(titles_counts: dict[str, int]):
    rows, items = [], []
    for item, (title, n) in enumerate(titles_counts.items(), start=1):
        items.append({"item_id": item, "title": title})
        rows += [
            {"user_id": u, "item_id": item, "rating": float(1 + u % 5), "timestamp": 0}
            for u in range(n)
        ]
    return make_dataset(pd.DataFrame(rows), pd.DataFrame(items))


def test_year_and_dominance_policy_on_remakes():
    even = TitleIndex(_tiny({"Hamlet (1990)": 10, "Hamlet (1996)": 12, "Heat (1995)": 5}).items)
    with pytest.raises(UnknownItemError, match="matches 2 movies: 'Hamlet \\(1996\\)', 'Hamlet"):
        even.resolve("hamlet")
    assert even.titles[even.resolve("Hamlet (1990)")] == "Hamlet (1990)"
    assert even.titles[even.resolve("hamlet 1990")] == "Hamlet (1990)"
    lopsided = TitleIndex(_tiny({"Hamlet (1990)": 3, "Hamlet (1996)": 30}).items)
    assert lopsided.titles[lopsided.resolve("hamlet")] == "Hamlet (1996)"


def test_title_key():
    assert title_key("Godfather, The (1972)") == ("godfather", "godfather", 1972)
    assert title_key("The Godfather") == ("godfather", "godfather", None)
    assert title_key("Cité des enfants perdus, La (1995)")[0] == "cite des enfants perdus"
    assert title_key("Seven (Se7en) (1995)")[1] == "seven se7en"


def test_search_for_movie_pickers(titles):
    found = titles.search("star", limit=8)
    assert len(found) == 8
    assert found["title"].iloc[0] == "Star Wars (1977)"  # the most-rated title starting with it
    assert found["title"].str.lower().str.contains("star").all()
    assert list(found.columns) == ["item_index", "title", "year", "n_ratings", "match"]
    exact = titles.search("Toy Story (1995)", limit=3)
    assert exact["match"].iloc[0] == "exact" and exact["title"].iloc[0] == "Toy Story (1995)"
    popular = titles.search("", limit=5)
    assert popular["n_ratings"].is_monotonic_decreasing
    assert popular["title"].iloc[0] == "Star Wars (1977)"
    typo = titles.search("casablanka", limit=3)
    assert "Casablanca (1942)" in set(typo["title"])


# Misspellings and variants of well-known ML-100k titles: dropped, doubled and swapped letters,
# the article first, with and without the year.
VARIANTS = [
    ("silense of the lambs", "Silence of the Lambs, The (1991)"),
    ("The Silence of the Lambs", "Silence of the Lambs, The (1991)"),
    ("lambs 1991", "Silence of the Lambs, The (1991)"),
    ("shawshenk", "Shawshank Redemption, The (1994)"),
    ("the shawshank redemtion", "Shawshank Redemption, The (1994)"),
    ("casablanka", "Casablanca (1942)"),
    ("godfater", "Godfather, The (1972)"),
    ("star wras", "Star Wars (1977)"),
    ("starr wars 1977", "Star Wars (1977)"),
    ("pulp fictoin", "Pulp Fiction (1994)"),
    ("frago", "Fargo (1996)"),
    ("raiders of the lsot ark", "Raiders of the Lost Ark (1981)"),
    ("toy storry", "Toy Story (1995)"),
    ("jurrasic park", "Jurassic Park (1993)"),
    ("alien 1979", "Alien (1979)"),
    ("titanik", "Titanic (1997)"),
    ("empire strikes bak", "Empire Strikes Back, The (1980)"),
    ("schindlers lsit", "Schindler's List (1993)"),
    ("independance day", "Independence Day (ID4) (1996)"),
    ("forest gump", "Forrest Gump (1994)"),
    ("the english pateint", "English Patient, The (1996)"),
    ("return of the jedie", "Return of the Jedi (1983)"),
]


@pytest.mark.parametrize(("query", "title"), VARIANTS)
def test_misspellings_find_the_movie_in_the_top_3(titles, query, title):
    assert title in list(titles.search(query, limit=3)["title"])


def test_lookup_takes_a_clear_best_misspelling_and_says_so(titles):
    found = titles.lookup("silense of the lambs", typos=True)
    assert (found.title, found.guessed) == ("Silence of the Lambs, The (1991)", True)
    # 'godfater' is as near the start of 'Godfather: Part II' as 'Godfather', not to all of it.
    assert titles.lookup("godfater", typos=True).title == "Godfather, The (1972)"
    exact = titles.lookup("star wars", typos=True)
    assert (exact.title, exact.guessed) == ("Star Wars (1977)", False)
    with pytest.raises(UnknownItemError, match="No movie matches 'star trak'. Closest titles:"):
        titles.lookup("star trak", typos=True)  # eight Star Trek films are as close
    with pytest.raises(UnknownItemError, match="No movie matches 'silense of the lambs'"):
        titles.resolve("silense of the lambs")  # resolve itself never guesses


def test_closest_titles_when_nothing_matches(titles):
    assert titles.search("xyzzy qqq").empty
    closest = titles.closest("xyzzy qqq", limit=5)
    assert len(closest) == 5 and set(closest["match"]) == {"closest"}
    with pytest.raises(UnknownItemError, match="No movie matches 'xyzzy qqq'. Closest titles: '"):
        titles.resolve("xyzzy qqq")
    assert "Casablanca (1942)" in list(titles.closest("cassablancka blues", limit=5)["title"])


def test_a_big_catalogue_is_searched_like_a_small_one(ml100k):
    """Many titles go through letter-pair candidates before fuzzy scoring: the misspellings are
    still found among 20,000 more titles made of the same words (some of which, such as
    'Shawshank (1971)', are fairly as close, hence the top 10)."""
    import numpy as np

    rng = np.random.default_rng(0)
    words = sorted({w for t in ml100k.items["title"] for w in title_key(t)[0].split()})
    n = 20_000
    made = [
        " ".join(rng.choice(words, k)).title() + f" ({rng.integers(1920, 2024)})"
        for k in rng.integers(1, 5, n)
    ]
    items = pd.DataFrame(
        {
            "item_id": range(len(ml100k.items) + n),
            "title": list(ml100k.items["title"]) + made,
            "n_ratings": list(ml100k.items["n_ratings"]) + [1] * n,
        }
    )
    big = TitleIndex(items)
    missed = [q for q, t in VARIANTS if t not in list(big.search(q, limit=10)["title"])]
    assert not missed


def test_distinct_titles_tell_copies_of_a_title_apart():
    items = pd.DataFrame(
        {
            "item_id": [7, 9, "x"],
            "title": ["Twin (1990)", "Twin (1990)", "Other (1980)"],
            "n_ratings": [1200, 3, 5],
        }
    )
    assert distinct_titles(items).tolist() == [
        "Twin (1990) · id 7, 1,200 ratings",
        "Twin (1990) · id 9, 3 ratings",
        "Other (1980)",
    ]
