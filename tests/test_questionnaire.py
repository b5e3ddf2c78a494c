"""The questionnaire: never the same movie twice, never a rated one, skips, and its three orders."""

from __future__ import annotations

import numpy as np
import pytest

from collab_core.errors import ConfigError
from collab_core.questionnaire import ORDERS, Questionnaire, QuestionPool, run_questionnaire


@pytest.fixture(scope="module")
def pool(ml100k, default_model):
    return QuestionPool.of(default_model, ml100k)


@pytest.mark.parametrize("order", ORDERS)
def test_never_asks_twice_nor_a_rated_movie_and_skips_cleanly(ml100k, default_model, pool, order):
    star_wars = int(ml100k.item_index([50])[0])
    q = Questionnaire(default_model, pool, order, answers={star_wars: 5.0})
    asked = []
    for n in range(30):
        item = q.next_item()
        assert item == q.next_item()  # the same question until it is answered
        asked.append(item)
        if n % 3:
            q.skip(item)
        else:
            q.answer(item, 4.0)
    assert len(set(asked)) == 30 and star_wars not in asked
    assert len(q.answers) == 11 and len(q.skipped) == 20
    assert all(ml100k.items["n_ratings"].iloc[i] >= 20 for i in asked)
    with pytest.raises(ConfigError, match="already answered"):
        q.answer(asked[0], 3.0)


def test_popular_order_is_most_rated_first(ml100k, default_model, pool):
    q = Questionnaire(default_model, pool, "popular")
    firsts = []
    for _ in range(3):
        firsts.append(q.next_item())
        q.skip(firsts[-1])
    expected = np.argsort(-ml100k.items["n_ratings"].to_numpy(), kind="stable")[:3]
    assert firsts == expected.tolist()


def test_adaptive_order_asks_about_new_directions(ml100k, default_model, pool):
    """After a rating, the next question is less like it than the popular order's next one."""
    q = Questionnaire(default_model, pool, "adaptive")
    first = q.next_item()
    assert ml100k.items["n_ratings"].iloc[first] > 100  # a movie most people have seen
    gain_before = pool.gain([])[pool.items == first][0]
    q.answer(first, 5.0)
    gain_after = pool.gain([first])[pool.items == first][0]
    assert gain_after < gain_before  # asking the same again would teach less


def test_answers_move_the_user_and_every_question_runs_out(ml100k, default_model, pool):
    truth = {int(i): 5.0 for i in pool.items[:40]}
    q = Questionnaire(default_model, pool, "adaptive")
    steps = list(run_questionnaire(q, truth, n_answers=5, max_asks=len(pool.items)))
    assert [n for n, _ in steps] == [0, 1, 2, 3, 4, 5]
    assert steps[-1][1].bias > steps[0][1].bias  # five 5-star answers: a more generous user
    tiny = QuestionPool(pool.items[:3], pool.X[:3], pool.seen[:3])
    q = Questionnaire(default_model, tiny, "random")
    for _ in range(3):
        q.skip(q.next_item())
    assert q.next_item() is None


def test_unknown_order_is_a_clear_error(default_model, pool):
    with pytest.raises(ConfigError, match="Unknown question order 'smart'"):
        Questionnaire(default_model, pool, "smart")
