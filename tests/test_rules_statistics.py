"""Table tests of the effect statistics against numbers worked out by hand, and property
tests of the invariants every summary keeps: of today's computation from the answers (the
oracle, tests/statistics_oracle.py) and of the rules' computation from the moments the
database aggregates, which must give the same summary."""
import math
import random

import pytest
from hypothesis import given, settings, strategies as st

from consultancy.rules import statistics
from consultancy.rules.statistics import (
    PairStatistics,
    pooled_squares,
    regularized_beta,
    scales_poolable,
    summarise_scopes,
    t_cdf,
    t_quantile,
)
from tests.statistics_oracle import (
    Pairs,
    ScoredAnswer,
    attrition,
    pair_scores,
    sample_sd,
    score_value,
    statistics_of,
    summarise,
    summarise_answers,
    unit_scores,
)

approx = pytest.approx


@pytest.fixture(autouse=True)
def fresh_t_quantiles():
    """t_quantile caches its answers: every test computes its own, so that what it checks
    is the computation, not an answer cached by an earlier test."""
    t_quantile.cache_clear()


# --- Student's t ---------------------------------------------------------------------------

@pytest.mark.parametrize("df, expected", [
    (1, 12.706), (2, 4.303), (4, 2.776), (10, 2.228), (30, 2.042), (100, 1.984),
])
def test_the_t_quantile_of_a_95_percent_interval_matches_the_tables(df, expected):
    assert t_quantile(0.975, df) == approx(expected, abs=5e-4)


@pytest.mark.parametrize("p, df, expected", [
    (0.995, 1, 63.657),    # 99 % two-sided, one degree of freedom
    (0.95, 5, 2.015),      # one-sided 95 %
    (0.025, 4, -2.776),    # the lower tail mirrors the upper
    (0.5, 7, 0.0),
])
def test_the_t_quantile_elsewhere(p, df, expected):
    assert t_quantile(p, df) == approx(expected, abs=5e-4)


@pytest.mark.parametrize("t, df, expected", [
    (0.0, 5, 0.5),
    (1.0, 1, 0.75),                        # Cauchy: 1/2 + atan(1)/pi
    (2.0, 2, 0.5 + 1 / math.sqrt(6)),      # df 2: 1/2 + t / (2 sqrt(2 + t^2))
    (-2.0, 2, 0.5 - 1 / math.sqrt(6)),
])
def test_the_t_distribution_function_matches_closed_forms(t, df, expected):
    assert t_cdf(t, df) == approx(expected, abs=1e-12)


def _t3(t: float) -> float:  # three degrees of freedom
    return 0.5 + (t / (math.sqrt(3) * (1 + t * t / 3)) + math.atan(t / math.sqrt(3))) / math.pi


def _t4(t: float) -> float:  # four degrees of freedom
    return 0.5 + 3 / 8 * t / math.sqrt(1 + t * t / 4) * (1 - t * t / (1 + t * t / 4) / 12)


@pytest.mark.parametrize("t", [-40.0, -3.0, -0.5, 0.3, 1.0, 1.5, 2.776, 5.0, 40.0])
@pytest.mark.parametrize("df, closed_form", [(3, _t3), (4, _t4)])
def test_the_t_distribution_function_on_both_sides_of_the_series_switch(t, df, closed_form):
    """Small |t| and large |t| take the two branches of the incomplete beta function."""
    assert t_cdf(t, df) == approx(closed_form(t), abs=1e-12)


@pytest.mark.parametrize("x, expected", [(0, 0.0), (-0.5, 0.0), (1, 1.0), (1.5, 1.0)])
def test_the_incomplete_beta_function_at_and_beyond_its_ends(x, expected):
    assert regularized_beta(x, 2.0, 0.5) == expected


@pytest.mark.parametrize("df", [0, -1, -0.5])
def test_the_t_distribution_needs_positive_degrees_of_freedom(df):
    with pytest.raises(ValueError, match="^degrees of freedom must be positive$"):
        t_cdf(1.0, df)


@pytest.mark.parametrize("p, df", [(0, 4), (1, 4), (1.2, 4), (0.975, 0)])
def test_the_t_quantile_refuses_what_has_none(p, df):
    with pytest.raises(ValueError):
        t_quantile(p, df)


# --- scoring ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, low, high, reverse, expected", [
    (2, 1, 5, False, 2.0),
    (2, 1, 5, True, 4.0),     # min + max - value
    (5, 1, 5, True, 1.0),
    (1, 1, 7, True, 7.0),
    (None, 1, 5, False, None),  # a missing code has no value
    (None, 1, 5, True, None),
])
def test_reverse_coded_items_are_flipped_and_missing_codes_have_no_value(
        value, low, high, reverse, expected):
    assert score_value(value, low, high, reverse) == expected


def answers(rows):
    return [ScoredAnswer(*row) for row in rows]


# Unit U at baseline: respondent A answers 2 and 4 on X and 5 on Y; respondent B answers 1
# on X, and "don't know" on the other X item and on Y.
BASELINE = answers([
    ("U", "baseline", "A", "X", 2.0), ("U", "baseline", "A", "X", 4.0),
    ("U", "baseline", "A", "Y", 5.0),
    ("U", "baseline", "B", "X", 1.0), ("U", "baseline", "B", "X", None),
    ("U", "baseline", "B", "Y", None),
])


@pytest.mark.parametrize("dimension, expected", [
    (None, (11 / 3 + 1) / 2),  # the mean of A's 11/3 and B's 1, not of all five values
    ("X", (3 + 1) / 2),
    ("Y", 5.0),                # B has no value on Y and does not count there
])
def test_a_unit_scores_the_mean_of_its_respondents_means(dimension, expected):
    assert unit_scores(BASELINE, dimension) == {("U", "baseline"): approx(expected)}


def test_a_unit_without_a_value_in_scope_has_no_score():
    only_missing = answers([("U", "end", "A", "X", None), ("V", "end", "C", "Y", 3.0)])
    assert unit_scores(only_missing) == {("V", "end"): 3.0}
    assert unit_scores(only_missing, "X") == {}


# --- pairing ----------------------------------------------------------------------------------

def test_units_pair_by_baseline_and_end_and_other_occasions_are_ignored():
    scores = {("u1", "baseline"): 2.0, ("u1", "end"): 3.0, ("u2", "baseline"): 4.0,
              ("u3", "end"): 5.0, ("u4", "midway"): 3.0, ("u1", "follow_up"): 1.0}
    pairs = pair_scores(scores)
    assert pairs.matched == [("u1", 2.0, 3.0)]
    assert pairs.before_only == [("u2", 4.0)]
    assert pairs.after_only == [("u3", 5.0)]


def test_units_of_any_kind_are_paired_in_a_fixed_order():
    scores = {(2, "b"): 1.0, ("x", "baseline"): 2.0, ("x", "end"): 3.0, (10, "baseline"): 4.0,
              ((3, 4), "end"): 5.0, (10, "end"): 4.5}
    pairs = pair_scores(scores)
    assert pairs.matched == [("x", 2.0, 3.0), (10, 4.0, 4.5)]  # by how they are written
    assert pairs.after_only == [((3, 4), 5.0)] and pairs.before_only == []


def test_attrition_compares_the_baseline_of_units_with_and_without_an_end():
    pairs = Pairs(matched=[("a", 2.0, 3.0), ("b", 4.0, 4.0)], before_only=[("c", 1.0)],
                  after_only=[("d", 5.0)])
    result = attrition(pairs)
    assert (result.n_with_end, result.mean_with_end) == (2, 3.0)
    assert (result.n_without_end, result.mean_without_end) == (1, 1.0)
    none_dropped = attrition(Pairs(matched=[("a", 2.0, 3.0)]))
    assert (none_dropped.n_without_end, none_dropped.mean_without_end) == (0, None)


def test_attrition_as_the_json_summary_names_it():
    result = attrition(Pairs(matched=[("a", 2.0, 3.0)], before_only=[("c", 1.0), ("d", 2.0)]))
    assert result.as_dict() == {"n_with_end": 1, "mean_with_end": 2.0, "n_without_end": 2,
                                "mean_without_end": 1.5}


# --- the summary numbers ----------------------------------------------------------------------

def pairs_of(before, after, before_only=(), after_only=()):
    return Pairs(matched=[(i, b, a) for i, (b, a) in enumerate(zip(before, after))],
                 before_only=[(f"b{i}", v) for i, v in enumerate(before_only)],
                 after_only=[(f"a{i}", v) for i, v in enumerate(after_only)])


def test_five_pairs_worked_by_hand():
    # Changes 1, 0, 1, 1, 2: mean 1, SD sqrt(0.5); before and after SDs both sqrt(0.7);
    # t(0.975, 4) = 2.7764451; half width 2.7764451 * sqrt(0.5) / sqrt(5) = 0.877989.
    s = summarise(pairs_of([2, 3, 3, 4, 2], [3, 3, 4, 5, 4], before_only=[1.0],
                           after_only=[5.0, 4.0]))
    assert (s.n_matched, s.n_before_only, s.n_after_only) == (5, 1, 2)
    assert s.mean_before == approx(2.8)
    assert s.mean_after == approx(3.8)
    assert s.mean_change == approx(1.0)
    assert s.ci_low == approx(0.122011, abs=1e-6)
    assert s.ci_high == approx(1.877989, abs=1e-6)
    assert s.d_z == approx(1 / math.sqrt(0.5))     # 1.414214
    assert s.d_av == approx(1 / math.sqrt(0.7))    # 1.195229
    assert (s.share_improved, s.share_unchanged, s.share_worse) == approx((0.8, 0.2, 0.0))
    assert s.effects_meaningful


def test_one_pair_has_a_change_but_no_interval_and_no_effect_sizes():
    s = summarise(pairs_of([2.0], [3.0]))
    assert (s.n_matched, s.mean_before, s.mean_after, s.mean_change) == (1, 2.0, 3.0, 1.0)
    assert (s.ci_low, s.ci_high, s.d_z, s.d_av) == (None, None, None, None)
    assert (s.share_improved, s.share_unchanged, s.share_worse) == (1.0, 0.0, 0.0)
    assert not s.effects_meaningful


def test_four_pairs_get_an_interval_but_effect_sizes_are_not_meaningful():
    # Changes 1, 2, 3, 2: mean 2, SD sqrt(2/3); t(0.975, 3) = 3.182446.
    s = summarise(pairs_of([1, 1, 1, 1], [2, 3, 4, 3]))
    half = 3.182446 * math.sqrt(2 / 3) / 2
    assert (s.ci_low, s.ci_high) == (approx(2 - half, abs=1e-5), approx(2 + half, abs=1e-5))
    assert (s.d_z, s.d_av) == (None, None)
    assert not s.effects_meaningful


def test_the_same_change_everywhere_has_a_zero_width_interval_and_no_d_z():
    s = summarise(pairs_of([1, 2, 3, 4, 5], [2, 3, 4, 5, 6]))
    assert (s.mean_change, s.ci_low, s.ci_high) == (1.0, 1.0, 1.0)
    assert s.d_z is None                                 # no spread of the changes
    assert s.d_av == approx(1 / math.sqrt(2.5))          # both SDs sqrt(2.5)


def test_no_spread_at_all_leaves_both_effect_sizes_undefined():
    s = summarise(pairs_of([3] * 5, [3] * 5))
    assert (s.mean_change, s.ci_low, s.ci_high, s.d_z, s.d_av) == (0.0, 0.0, 0.0, None, None)
    assert (s.share_improved, s.share_unchanged, s.share_worse) == (0.0, 1.0, 0.0)


def test_without_pairs_only_the_counts_are_defined():
    s = summarise(pairs_of([], [], before_only=[2.0, 3.0], after_only=[4.0]))
    assert (s.n_matched, s.n_before_only, s.n_after_only) == (0, 2, 1)
    assert all(value is None for name, value in s.as_dict().items()
               if not name.startswith("n_"))


def test_a_change_lost_in_floating_point_noise_counts_as_unchanged():
    s = summarise(pairs_of([0.1 + 0.2, 2.0], [0.3, 1.0]))
    assert (s.share_improved, s.share_unchanged, s.share_worse) == (0.0, 0.5, 0.5)


def test_worse_units_lower_the_mean_change():
    s = summarise(pairs_of([4, 4], [3, 2]))
    assert s.mean_change == -1.5
    assert s.share_worse == 1.0


@pytest.mark.parametrize("values, expected", [
    ([], None), ([4.0], None), ([1.0, 3.0], math.sqrt(2)), ([2.0, 2.0, 2.0], 0.0),
])
def test_sample_standard_deviation(values, expected):
    assert sample_sd(values) == (None if expected is None else approx(expected))


def test_summarise_answers_gives_overall_attrition_and_every_dimension_asked_for():
    rows = answers([
        ("u1", "baseline", "r1", "X", 2.0), ("u1", "baseline", "r1", "Y", 4.0),
        ("u1", "end", "r1", "X", 4.0), ("u1", "end", "r1", "Y", 4.0),
        ("u2", "baseline", "r2", "X", 1.0),                       # never measured at the end
        ("u3", "end", "r3", "Y", 5.0),                            # never measured at baseline
    ])
    result = summarise_answers(rows, ["X", "Y", "Z"])
    assert (result.overall.n_matched, result.overall.mean_before,
            result.overall.mean_after) == (1, 3.0, 4.0)
    assert (result.attrition.mean_with_end, result.attrition.mean_without_end) == (3.0, 1.0)
    assert list(result.dimensions) == ["X", "Y", "Z"]
    x, y, z = result.dimensions.values()
    assert (x.n_matched, x.n_before_only, x.n_after_only, x.mean_change) == (1, 1, 0, 2.0)
    assert (y.n_matched, y.n_before_only, y.n_after_only, y.mean_change) == (1, 0, 1, 0.0)
    assert (z.n_matched, z.n_before_only, z.n_after_only, z.mean_change) == (0, 0, 0, None)


@pytest.mark.parametrize("scales, poolable", [
    ([], True), ([(1, 5)], True), ([(1, 5), (1, 5)], True), ([(1, 5), (1, 7)], False),
])
def test_versions_with_different_scales_are_not_pooled(scales, poolable):
    assert scales_poolable(scales) is poolable


# --- invariants ------------------------------------------------------------------------------

PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)
# Unit scores as the instrument gives them: means of answers on a 1-5 scale.
scores = st.integers(4, 20).map(lambda quarters: quarters / 4)
matched = st.lists(st.tuples(scores, scores), min_size=1, max_size=25)


def summary_of(pairs_list, before_only=(), after_only=()):
    return summarise(pairs_of([b for b, _a in pairs_list], [a for _b, a in pairs_list],
                              before_only, after_only))


@PROPERTY
@given(pairs=matched)
def test_the_shares_improved_unchanged_and_worse_sum_to_one(pairs):
    s = summary_of(pairs)
    assert s.share_improved + s.share_unchanged + s.share_worse == approx(1)
    changes = [a - b for b, a in pairs]
    assert s.share_improved == approx(sum(c > 0 for c in changes) / len(pairs))
    assert s.share_worse == approx(sum(c < 0 for c in changes) / len(pairs))


@PROPERTY
@given(pairs=matched)
def test_the_interval_contains_the_mean_change_and_is_symmetric_around_it(pairs):
    s = summary_of(pairs)
    assert s.mean_change == approx(s.mean_after - s.mean_before)
    if len(pairs) < 2:
        assert (s.ci_low, s.ci_high) == (None, None)
        return
    assert s.ci_low <= s.mean_change <= s.ci_high
    assert s.mean_change - s.ci_low == approx(s.ci_high - s.mean_change)
    sd = sample_sd([a - b for b, a in pairs])
    half = t_quantile(0.975, len(pairs) - 1) * sd / math.sqrt(len(pairs))
    assert s.ci_high - s.ci_low == approx(2 * half, abs=1e-12)


@PROPERTY
@given(pairs=matched)
def test_effect_sizes_follow_the_sign_of_the_mean_change(pairs):
    s = summary_of(pairs)
    if len(pairs) < 5:
        assert (s.d_z, s.d_av) == (None, None) and not s.effects_meaningful
        return
    assert s.effects_meaningful
    for effect in (s.d_z, s.d_av):
        if effect is not None:
            assert math.copysign(1, effect) == math.copysign(1, s.mean_change) \
                or s.mean_change == 0
            assert effect != 0 or s.mean_change == approx(0)
    if s.d_z is not None:
        assert s.d_z == approx(s.mean_change / sample_sd([a - b for b, a in pairs]))


@PROPERTY
@given(pairs=matched, before_only=st.lists(scores, max_size=4),
       after_only=st.lists(scores, max_size=4))
def test_the_counts_add_up_and_the_means_are_over_the_pairs_only(pairs, before_only,
                                                                after_only):
    s = summary_of(pairs, before_only, after_only)
    assert (s.n_matched, s.n_before_only, s.n_after_only) == (
        len(pairs), len(before_only), len(after_only))
    assert s.mean_before == approx(sum(b for b, _a in pairs) / len(pairs))
    assert s.mean_after == approx(sum(a for _b, a in pairs) / len(pairs))


# Answers of up to six units at baseline, midway and end, by up to three respondents each.
answer_rows = st.lists(st.tuples(
    st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]),
    st.sampled_from(["baseline", "end", "midway"]), st.sampled_from(["r1", "r2", "r3"]),
    st.sampled_from(["X", "Y"]), st.none() | st.integers(1, 5).map(float)), max_size=60)


@PROPERTY
@given(rows=answer_rows, seed=st.integers(0, 2**32 - 1))
def test_scores_and_pairs_do_not_depend_on_the_order_of_the_rows(rows, seed):
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    first = summarise_answers(answers(rows), ["X", "Y"])
    again = summarise_answers(answers(shuffled), ["X", "Y"])
    assert again.overall.as_dict() == approx(first.overall.as_dict(), nan_ok=True)
    assert again.attrition.as_dict() == approx(first.attrition.as_dict())
    for code in ("X", "Y"):
        assert again.dimensions[code].as_dict() == approx(first.dimensions[code].as_dict())
    assert pair_scores(unit_scores(answers(shuffled))) == pair_scores(unit_scores(answers(rows)))


@PROPERTY
@given(rows=answer_rows)
def test_every_unit_measured_before_or_after_is_counted_once(rows):
    pairs = pair_scores(unit_scores(answers(rows)))
    valued = {(unit, occasion) for unit, occasion, _r, _d, value in rows if value is not None}
    before = {unit for unit, occasion in valued if occasion == "baseline"}
    after = {unit for unit, occasion in valued if occasion == "end"}
    assert {unit for unit, _b, _a in pairs.matched} == before & after
    assert {unit for unit, _b in pairs.before_only} == before - after
    assert {unit for unit, _a in pairs.after_only} == after - before
    all_units = [u for u, *_ in pairs.matched] + [u for u, _ in pairs.before_only] \
        + [u for u, _ in pairs.after_only]
    assert len(all_units) == len(set(all_units))


# --- from the moments, as the database gives them ---------------------------------------------

@PROPERTY
@given(pairs=matched | st.just([]), before_only=st.lists(scores, max_size=4),
       after_only=st.lists(scores, max_size=4))
def test_the_summary_from_the_moments_is_the_summary_from_the_pairs(pairs, before_only,
                                                                   after_only):
    pairs = pairs_of([b for b, _a in pairs], [a for _b, a in pairs], before_only, after_only)
    moments = statistics_of(pairs)
    assert statistics.summarise(moments) == summarise(pairs)
    assert statistics.attrition(moments) == attrition(pairs)


def test_the_five_pairs_worked_by_hand_from_their_moments():
    # Before 2, 3, 3, 4, 2 (mean 2.8, squares 2.8), after 3, 3, 4, 5, 4 (3.8, 2.8), changes
    # 1, 0, 1, 1, 2 (1.0, 2.0): as test_five_pairs_worked_by_hand.
    s = statistics.summarise(PairStatistics(
        5, 1, 2, mean_before=2.8, mean_after=3.8, mean_change=1.0, squares_before=2.8,
        squares_after=2.8, squares_change=2.0, n_improved=4, n_unchanged=1, n_worse=0,
        mean_before_only=1.0))
    assert (s.ci_low, s.ci_high) == (approx(0.122011, abs=1e-6), approx(1.877989, abs=1e-6))
    assert (s.d_z, s.d_av) == (approx(1 / math.sqrt(0.5)), approx(1 / math.sqrt(0.7)))
    assert (s.share_improved, s.share_unchanged, s.share_worse) == (0.8, 0.2, 0.0)


def test_scopes_without_moments_are_summarised_as_empty():
    empty = PairStatistics(0, 0, 0)
    result = summarise_scopes(empty, {}, ["X"])
    assert result.dimensions["X"] == summarise(Pairs())
    assert result.overall == summarise(Pairs())
    assert result.attrition.as_dict() == {"n_with_end": 0, "mean_with_end": None,
                                          "n_without_end": 0, "mean_without_end": None}


@PROPERTY
@given(groups=st.lists(st.lists(scores, min_size=1, max_size=6), min_size=1, max_size=8),
       centre=st.sampled_from([0.0, 3.0, 4.0]))
def test_squares_pooled_from_groups_are_the_squares_of_all_values(groups, centre):
    values = [value for group in groups for value in group]
    own = sum(math.fsum((v - sum(g) / len(g)) ** 2 for v in g) for g in groups)
    spread = sum(len(g) * (sum(g) / len(g) - centre) ** 2 for g in groups)
    expected = sample_sd(values) ** 2 * (len(values) - 1) if len(values) > 1 else 0.0
    assert pooled_squares(len(values), own, spread, sum(values), centre) == approx(
        expected, abs=1e-12)
    assert pooled_squares(0, None, None, None, centre) is None
