"""The real ML-25M folder layout loads: ratings.csv + movies.csv (quoted titles, '|' genres).

The files are written by the tests in exactly GroupLens' format (see the ML-25M README), with the
awkward rows the real release has, plus the other files that sit in an ml-25m folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collab_core import synthetic
from collab_core.data import load_dataset
from collab_core.errors import DataError

RATINGS = """userId,movieId,rating,timestamp
1,296,5.0,1147880044
1,306,3.5,1147868817
1,307,5.0,1147868828
1,665,0.5,1147878820
2,296,4.0,1141415820
2,1088,4.5,1141415820
2,176371,3.0,1574327703
3,3,2.5,1439474476
3,296,1.5,1439474476
3,100,4.0,1439474476
"""

MOVIES = '''movieId,title,genres
3,"Grumpier Old Men, The (1995)",Comedy|Romance
100,City Hall (1996),Drama|Thriller
296,Pulp Fiction (1994),Comedy|Crime|Drama|Thriller
306,"Three Colors: Red (Trois couleurs: Rouge) (1994)",Drama
307,"Three Colors: Blue (Trois couleurs: Bleu) (1993)",Drama
665,"""Great Performances"" Cats (1998)",Musical
1088,"Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",Comedy|Romance
176371,Blade Runner 2049 (2017),Sci-Fi
209163,Bad Poems (2018),Comedy|Drama
209171,Women of Devil's Island (1962),(no genres listed)
'''

# The other files of an ml-25m folder: similar columns (userId, movieId, timestamp), not ratings.
OTHERS = {
    "tags.csv": "userId,movieId,tag,timestamp\n3,260,classic,1439472355\n3,260,sci-fi,1439472256\n",
    "links.csv": "movieId,imdbId,tmdbId\n3,0113228,15602\n296,0110912,680\n",
    "genome-tags.csv": "tagId,tag\n1,007\n2,007 (series)\n",
    "genome-scores.csv": "movieId,tagId,relevance\n3,1,0.029\n3,2,0.023\n",
}


def _ml25m(folder: Path, ratings: str = RATINGS, movies: str = MOVIES) -> Path:
    folder.mkdir()
    (folder / "ratings.csv").write_text(ratings, encoding="utf-8")
    (folder / "movies.csv").write_text(movies, encoding="utf-8")
    for name, text in OTHERS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def ml25m(tmp_path):
    return _ml25m(tmp_path / "ml-25m")


def test_folder_and_ratings_file_give_the_same_dataset(ml25m):
    by_folder = load_dataset(ml25m)
    by_file = load_dataset(ml25m / "ratings.csv")
    assert by_folder.fingerprint == by_file.fingerprint
    pd.testing.assert_frame_equal(by_folder.ratings, by_file.ratings)
    pd.testing.assert_frame_equal(by_folder.items, by_file.items)


def test_dataset_is_named_after_its_folder_like_the_other_layouts(ml25m):
    assert load_dataset(ml25m).name == "ml-25m"


def test_ratings_keep_half_stars_ids_and_timestamps(ml25m):
    ds = load_dataset(ml25m)
    r = ds.ratings
    assert (len(r), ds.n_users, ds.n_items) == (10, 3, 8)
    assert ds.rating_scale == (0.5, 5.0)
    assert r["rating"].dtype == np.float32 and r["timestamp"].dtype == np.int64
    assert r["rating"].tolist() == [5.0, 3.5, 5.0, 0.5, 4.0, 4.5, 3.0, 2.5, 1.5, 4.0]
    assert r["timestamp"].max() == 1574327703  # the last ML-25M timestamp survives as an integer
    assert ds.item_ids.tolist() == [3, 100, 296, 306, 307, 665, 1088, 176371]  # sparse ids, sorted
    assert ds.item_index([176371, 209171]).tolist() == [7, -1]  # listed but unrated: not an item


def test_titles_with_commas_quotes_and_accents_and_genres(ml25m):
    items = load_dataset(ml25m).items.set_index("item_id")
    assert items.loc[3, "title"] == "Grumpier Old Men, The (1995)"
    assert items.loc[3, "genres"] == ["Comedy", "Romance"]
    assert items.loc[665, "title"] == '"Great Performances" Cats (1998)'
    assert items.loc[1088, "title"] == "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)"
    assert items.loc[306, "title"] == "Three Colors: Red (Trois couleurs: Rouge) (1994)"
    assert items.loc[296, "genres"] == ["Comedy", "Crime", "Drama", "Thriller"]
    assert items.loc[[3, 306, 1088, 176371], "year"].tolist() == [1995, 1994, 2001, 2017]
    assert items.loc[296, "n_ratings"] == 3
    assert items.loc[296, "mean_rating"] == pytest.approx((5.0 + 4.0 + 1.5) / 3)


def test_no_genres_listed_is_an_empty_list(tmp_path):
    movies = MOVIES.replace(
        "City Hall (1996),Drama|Thriller", "City Hall (1996),(no genres listed)"
    )
    ds = load_dataset(_ml25m(tmp_path / "ml-25m", movies=movies))
    assert ds.items.set_index("item_id").loc[100, "genres"] == []


def test_rated_movie_missing_from_movies_csv_is_shown_by_id(tmp_path):
    ratings = RATINGS + "3,999999,4.0,1439474477\n"
    ds = load_dataset(_ml25m(tmp_path / "ml-25m", ratings=ratings))
    assert ds.items.set_index("item_id").loc[999999, "title"] == "Item 999999"
    assert any("1 rated items have no entry in the items file" in n for n in ds.notes)


def test_movies_csv_from_another_release_is_refused(tmp_path):
    movies = "movieId,title,genres\n1,Toy Story (1995),Animation\n2,Jumanji (1995),Adventure\n"
    with pytest.raises(DataError, match="shares no item ids with the ratings"):
        load_dataset(_ml25m(tmp_path / "ml-25m", movies=movies))


def test_synthetic_data_written_in_the_ml25m_layout_loads_back_identically(tmp_path):
    """A larger file: the generator's output, saved the way GroupLens writes ML-25M, round-trips."""
    made = synthetic.generate(synthetic.SyntheticConfig(n_ratings=20_000, scale="half_stars"))
    folder = tmp_path / "ml-25m"
    folder.mkdir()
    made.ratings.rename(columns={"user_id": "userId", "item_id": "movieId"}).to_csv(
        folder / "ratings.csv", index=False, float_format="%.1f"
    )
    movies = made.items[["item_id", "title"]].rename(columns={"item_id": "movieId"})
    movies["genres"] = ["|".join(g) or "(no genres listed)" for g in made.items["genres"]]
    movies.to_csv(folder / "movies.csv", index=False)
    loaded = load_dataset(folder)
    assert loaded.fingerprint == made.fingerprint
    assert (loaded.n_users, loaded.n_items) == (made.n_users, made.n_items)
    assert loaded.items["genres"].tolist() == made.items["genres"].tolist()
    assert loaded.items["year"].tolist() == made.items["year"].tolist()
