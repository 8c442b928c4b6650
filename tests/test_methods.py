"""The counting methods, against published examples, hand-worked cases and properties."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from votr_cli import methods
from votr_cli.methods import approval, base, condorcet, ranked, score, single
from votr_cli.methods.base import Tally

quick = settings(max_examples=200, deadline=None)


def ranked_ballots(options: str, groups: list[tuple[str, int]]) -> list[tuple[tuple, int]]:
    """("ACB", 5) -> ((0, 2, 1), 5): ballots written as the textbooks write them."""
    return [(tuple(options.index(c) for c in order), n) for order, n in groups]


# --- the registry ----------------------------------------------------------------


def test_registry_names_every_method() -> None:
    for name, path in methods.METHODS.items():
        module = methods.get(name)
        assert module.__name__ == path
        assert module.NAME == name
    with pytest.raises(KeyError):
        methods.get("borda")


def test_methods_import_nothing_heavy() -> None:
    # What Python has loaded at start-up differs between environments (a .pth
    # file can import half the stdlib), so load what a method may use first:
    # typing (for NamedTuple), collections.abc, and importlib (the registry).
    code = (
        "import sys, __future__, typing, collections.abc, importlib, votr_cli; before = set(sys.modules);"
        "import votr_cli.methods.single, votr_cli.methods.approval, votr_cli.methods.ranked, votr_cli.methods.score;"
        "print(*sorted(m for m in set(sys.modules) - before if not m.startswith('votr_cli.methods')))"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == []


# --- ranked: published examples -------------------------------------------------------

TENNESSEE = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]
TENNESSEE_BALLOTS = ranked_ballots("MNCK", [("MNCK", 42), ("NCKM", 26), ("CKNM", 15), ("KCNM", 17)])


def test_tennessee_capital() -> None:
    """Wikipedia's Tennessee example: IRV, plurality and Condorcet all disagree."""
    t = ranked.tally(TENNESSEE, TENNESSEE_BALLOTS)
    assert t.method == "ranked"
    assert t.ballots == 100
    assert t.votes == (42, 26, 15, 17)
    assert max(range(4), key=t.votes.__getitem__) == 0  # Memphis leads on first preferences
    rounds = t.extra["rounds"]
    assert [r["counts"] for r in rounds] == [
        {"Memphis": 42, "Nashville": 26, "Chattanooga": 15, "Knoxville": 17},
        {"Memphis": 42, "Nashville": 26, "Knoxville": 32},
        {"Memphis": 42, "Knoxville": 58},
    ]
    assert [r["eliminated"] for r in rounds] == [["Chattanooga"], ["Nashville"], []]
    assert [(r["exhausted"], r["tie_break"]) for r in rounds] == [(0, None)] * 3
    assert t.extra["irv_winner"] == "Knoxville"
    assert t.leaders == (3,)
    assert t.extra["condorcet_winner"] == "Nashville"
    assert t.extra["condorcet_cycle"] is None
    assert t.extra["schulze_ranking"] == [["Nashville"], ["Chattanooga"], ["Knoxville"], ["Memphis"]]
    assert t.option_extra == ({}, {}, {}, {})
    json.dumps(t.extra)


SCHULZE_BALLOTS = ranked_ballots(
    "ABCDE",
    [("ACBED", 5), ("ADECB", 5), ("BEDAC", 8), ("CABED", 3), ("CAEBD", 7), ("CBADE", 2), ("DCEBA", 7), ("EBADC", 8)],
)


def test_schulze_example() -> None:
    """Wikipedia's (and Schulze's) 45-voter example: E > A > C > B > D, with no Condorcet winner."""
    t = ranked.tally(list("ABCDE"), SCHULZE_BALLOTS)
    assert t.ballots == 45
    assert t.extra["schulze_ranking"] == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert t.extra["condorcet_winner"] is None
    assert t.extra["condorcet_cycle"] == ["A", "C", "B"]  # A beats C 26-19, C beats B 29-16, B beats A 28-17
    rounds = t.extra["rounds"]
    assert len(rounds) == 3
    assert rounds[0]["counts"] == {"A": 10, "B": 8, "C": 12, "D": 7, "E": 8}
    assert rounds[0]["eliminated"] == ["D"]
    assert rounds[1]["counts"] == {"C": 19, "A": 10, "B": 8, "E": 8}
    assert rounds[1]["eliminated"] == ["B", "E"]
    assert rounds[1]["tie_break"] == "B and E tied at 8; also tied in round 1; both eliminated"
    assert rounds[2] == {"counts": {"A": 26, "C": 19}, "eliminated": [], "exhausted": 0, "tie_break": None}
    assert t.extra["irv_winner"] == "A"
    assert t.leaders == (0,)


# --- ranked: hand-worked cases --------------------------------------------------------


def test_tie_for_fewest_broken_by_an_earlier_round() -> None:
    t = ranked.tally(list("ABCD"), ranked_ballots("ABCD", [("A", 10), ("B", 7), ("CB", 6), ("DCA", 1)]))
    rounds = t.extra["rounds"]
    assert [r["counts"] for r in rounds] == [
        {"A": 10, "B": 7, "C": 6, "D": 1},
        {"A": 10, "B": 7, "C": 7},
        {"A": 11, "B": 13},
    ]
    assert rounds[1]["eliminated"] == ["C"]
    assert rounds[1]["tie_break"] == "B and C tied at 7; C had fewer in round 1 (6 to 7)"
    assert t.extra["irv_winner"] == "B"
    assert t.leaders == (1,)
    assert t.votes == (10, 7, 6, 1)


def test_three_way_tie_narrowed_over_two_earlier_rounds() -> None:
    groups = [("A", 20), ("BA", 6), ("C", 7), ("D", 8), ("EB", 1), ("EC", 1), ("FB", 1)]
    t = ranked.tally(list("ABCDEF"), ranked_ballots("ABCDEF", groups))
    rounds = t.extra["rounds"]
    assert [r["counts"] for r in rounds] == [
        {"A": 20, "B": 6, "C": 7, "D": 8, "E": 2, "F": 1},
        {"A": 20, "B": 7, "C": 7, "D": 8, "E": 2},
        {"A": 20, "B": 8, "C": 8, "D": 8},
        {"A": 26, "C": 8, "D": 8},
    ]
    assert [r["eliminated"] for r in rounds] == [["F"], ["E"], ["B"], []]
    assert rounds[2]["tie_break"] == (
        "B, C and D tied at 8; B and C had fewer in round 2 (7 to 8); B had fewer in round 1 (6 to 7)"
    )
    assert rounds[3]["exhausted"] == 2  # E>B and F>B: every option they rank is out
    assert t.extra["irv_winner"] == "A"


def test_ties_at_fewest_in_round_one_go_together() -> None:
    t = ranked.tally(list("ABCD"), ranked_ballots("ABCD", [("AB", 3), ("BA", 2)]))
    first = t.extra["rounds"][0]
    assert first["counts"] == {"A": 3, "B": 2, "C": 0, "D": 0}
    assert first["eliminated"] == []  # A already has 3 of 5
    t = ranked.tally(list("ABCD"), ranked_ballots("ABCD", [("AB", 3), ("BA", 2), ("CA", 2)]))
    first = t.extra["rounds"][0]
    assert first["eliminated"] == ["D"]
    assert first["tie_break"] is None
    t = ranked.tally(list("ABCDE"), ranked_ballots("ABCDE", [("AB", 3), ("BA", 2), ("CA", 2)]))
    first = t.extra["rounds"][0]
    assert first["eliminated"] == ["D", "E"]
    assert first["tie_break"] == "D and E tied at 0; no earlier round; both eliminated"


def test_final_tie_shares_the_win() -> None:
    t = ranked.tally(["A", "B"], ranked_ballots("AB", [("AB", 3), ("BA", 3)]))
    assert t.leaders == (0, 1)
    assert t.extra["irv_winner"] is None
    (only,) = t.extra["rounds"]
    assert only["counts"] == {"A": 3, "B": 3}
    assert only["eliminated"] == []
    assert only["tie_break"] == "A and B tied at 3; no earlier round; they share the win"
    assert t.extra["condorcet_winner"] is None
    assert t.extra["condorcet_cycle"] is None  # a pairwise tie, not a cycle
    assert t.extra["smith_set"] == ["A", "B"]
    assert t.extra["schulze_ranking"] == [["A", "B"]]


def test_final_tie_after_earlier_rounds() -> None:
    t = ranked.tally(list("ABC"), ranked_ballots("ABC", [("A", 3), ("B", 3), ("C", 1)]))
    assert [r["eliminated"] for r in t.extra["rounds"]] == [["C"], []]
    assert t.extra["rounds"][1]["tie_break"] == "A and B tied at 3; also tied in round 1; they share the win"
    assert t.extra["rounds"][1]["exhausted"] == 1
    assert t.leaders == (0, 1)
    assert t.extra["irv_winner"] is None


def test_exhausted_ballots_leave_the_majority_base() -> None:
    t = ranked.tally(list("ABC"), ranked_ballots("ABC", [("A", 5), ("B", 4), ("C", 3)]))
    rounds = t.extra["rounds"]
    assert rounds[0] == {"counts": {"A": 5, "B": 4, "C": 3}, "eliminated": ["C"], "exhausted": 0, "tie_break": None}
    # A has 5 of 12 ballots but 5 of the 9 still in play: a majority of those.
    assert rounds[1] == {"counts": {"A": 5, "B": 4}, "eliminated": [], "exhausted": 3, "tie_break": None}
    assert t.extra["irv_winner"] == "A"


def test_condorcet_paradox() -> None:
    t = ranked.tally(list("ABC"), ranked_ballots("ABC", [("ABC", 1), ("BCA", 1), ("CAB", 1)]))
    assert t.extra["condorcet_winner"] is None
    assert t.extra["condorcet_cycle"] == ["A", "B", "C"]
    assert t.extra["schulze_ranking"] == [["A", "B", "C"]]


def test_unranked_options_are_below_ranked_ones_and_not_compared() -> None:
    # 2 ballots rank only C; 1 ranks A then B. C beats A and B 2-1; A and B are compared on one ballot.
    t = ranked.tally(list("ABC"), ranked_ballots("ABC", [("C", 2), ("AB", 1)]))
    assert t.extra["condorcet_winner"] == "C"
    assert t.extra["schulze_ranking"] == [["C"], ["A"], ["B"]]
    # Nothing compares A with B here: they tie below C.
    t = ranked.tally(list("ABC"), ranked_ballots("ABC", [("C", 2)]))
    assert t.extra["schulze_ranking"] == [["C"], ["A", "B"]]


def test_smith_set_with_ties_is_given_when_there_is_no_cycle() -> None:
    # A and B tie 1-1; both beat C: the Smith set {A, B} holds no cycle.
    t = ranked.tally(list("ABC"), ranked_ballots("ABC", [("ABC", 1), ("BAC", 1)]))
    assert t.extra["condorcet_winner"] is None
    assert t.extra["condorcet_cycle"] is None and t.extra["smith_set"] == ["A", "B"]
    assert t.extra["schulze_ranking"] == [["A", "B"], ["C"]]


# --- single and approval --------------------------------------------------------------


def test_single() -> None:
    t = single.tally(["Pizza", "Sushi", "Tacos"], [((0,), 3), ((1,), 2), ((0,), 1)])
    assert t == Tally("single", 6, (4, 2, 0), (0,), ({}, {}, {}), {})
    assert single.tally(["A", "B"], [((0,), 2), ((1,), 2)]).leaders == (0, 1)


def test_approval() -> None:
    t = approval.tally(list("ABC"), [((0, 1), 3), ((1,), 2), ((2, 0), 1)])
    assert t.method == "approval"
    assert t.ballots == 6
    assert t.votes == (4, 5, 1)
    assert t.leaders == (1,)
    assert t.option_extra == ({"share": 0.6667}, {"share": 0.8333}, {"share": 0.1667})
    assert t.extra == {}
    assert approval.tally(list("ABC"), [((0, 1), 2), ((2,), 1)]).leaders == (0, 1)


# --- score and STAR ---------------------------------------------------------------


def test_score_and_star_runoff_against_the_higher_total() -> None:
    ballots = [(((0, 5), (1, 0), (2, 1)), 2), (((0, 3), (1, 4)), 3), (((2, 2),), 1)]
    t = score.tally(list("ABC"), ballots)
    assert t.method == "score"
    assert t.ballots == 6
    assert t.votes == (5, 3, 3)  # ballots rating each above 0
    assert t.option_extra == (
        {"score": 19, "average": 3.17},
        {"score": 12, "average": 2.0},
        {"score": 4, "average": 0.67},
    )
    assert t.leaders == (0,)  # A has the highest total...
    assert t.extra == {
        "star_winner": "B",  # ...but more ballots rate B above A.
        "star_runoff": {"finalists": ["A", "B"], "preferred": {"A": 2, "B": 3}, "equal": 1},
    }


def test_star_equal_runoff_goes_to_the_higher_total_then_to_nobody() -> None:
    t = score.tally(["A", "B"], [(((0, 5), (1, 0)), 1), (((0, 1), (1, 2)), 1)])
    assert t.extra["star_runoff"]["preferred"] == {"A": 1, "B": 1}
    assert t.extra["star_winner"] == "A"
    t = score.tally(["A", "B"], [(((0, 5), (1, 4)), 1), (((0, 3), (1, 4)), 1)])
    assert t.leaders == (0, 1)
    assert t.extra["star_winner"] is None


def test_star_tie_for_second_sends_the_earlier_listed_option() -> None:
    t = score.tally(list("ABC"), [(((0, 5), (1, 2), (2, 3)), 1), (((1, 3), (2, 2)), 1)])
    assert [o["score"] for o in t.option_extra] == [5, 5, 5]  # a three-way tie for first
    assert t.extra["star_runoff"]["finalists"] == ["A", "B"]
    t = score.tally(list("ABC"), [(((0, 5), (1, 2), (2, 3)), 1), (((1, 1), (2, 0)), 1)])
    assert t.extra["star_runoff"]["finalists"] == ["A", "B"]  # B 3 and C 3 tie for second


# --- no ballots -------------------------------------------------------------------------


@pytest.mark.parametrize("module", [single, approval, ranked, score])
def test_no_ballots(module) -> None:
    t = module.tally(list("ABC"), [])
    assert t.method == module.NAME
    assert t.ballots == 0
    assert t.votes == (0, 0, 0)
    assert t.leaders == ()
    assert len(t.option_extra) == 3
    json.dumps([t.option_extra, t.extra])


def test_no_ballots_details() -> None:
    assert approval.tally(list("AB"), []).option_extra == ({"share": 0.0}, {"share": 0.0})
    assert score.tally(list("AB"), []).option_extra == ({"score": 0, "average": 0.0}, {"score": 0, "average": 0.0})
    assert score.tally(list("AB"), []).extra == {"star_winner": None, "star_runoff": None}
    assert ranked.tally(list("AB"), []).extra == {
        "rounds": [],
        "condorcet_winner": None,
        "schulze_ranking": [["A", "B"]],
        "condorcet_cycle": None,
        "smith_set": [],
        "irv_winner": None,
    }


# --- properties -------------------------------------------------------------------------


def polls(ballot: Callable[[int], st.SearchStrategy[tuple]]) -> st.SearchStrategy:
    """(options, [(ballot, weight), ...]) with 2 to 5 options and up to 8 groups, repeats allowed."""
    return st.integers(2, 5).flatmap(
        lambda size: st.tuples(
            st.just([chr(ord("A") + i) for i in range(size)]),
            st.lists(st.tuples(ballot(size), st.integers(1, 6)), max_size=8),
        )
    )


RANKED = polls(lambda n: st.permutations(range(n)).flatmap(lambda o: st.integers(1, n).map(lambda k: tuple(o[:k]))))
ANY_POLL = st.one_of(
    st.tuples(st.just(single), polls(lambda n: st.tuples(st.integers(0, n - 1)))),
    st.tuples(st.just(approval), polls(lambda n: st.sets(st.integers(0, n - 1), min_size=1).map(tuple))),
    st.tuples(st.just(ranked), RANKED),
    st.tuples(
        st.just(score),
        polls(lambda n: st.dictionaries(st.integers(0, n - 1), st.integers(0, 5)).map(dict.items).map(tuple)),
    ),
)


@quick
@given(RANKED)
def test_a_condorcet_winner_heads_the_schulze_ranking_alone(poll) -> None:
    options, ballots = poll
    t = ranked.tally(options, ballots)
    winner = t.extra["condorcet_winner"]
    if winner is not None:
        assert t.extra["schulze_ranking"][0] == [winner]
        assert t.extra["condorcet_cycle"] is None
    elif t.ballots:
        # No winner: a cycle of strict pairwise wins, or a Smith set that ties holds together.
        cycle = t.extra["condorcet_cycle"]
        assert (cycle is not None and len(cycle) >= 2) or len(t.extra["smith_set"]) >= 2
    assert sorted(sum(t.extra["schulze_ranking"], [])) == sorted(options)


@quick
@given(RANKED)
def test_schulze_winners_lie_in_the_smith_set_and_cycles_are_cycles(poll) -> None:
    options, ballots = poll
    d = condorcet.pairwise(len(options), base.grouped(ballots))
    smith = condorcet.smith_set(d)
    assert set(condorcet.schulze_ranking(d)[0]) <= set(smith)
    cycle = condorcet.majority_cycle(d, smith)
    assert set(cycle) <= set(smith)
    if cycle != smith:
        assert all(d[x][y] > d[y][x] for x, y in zip(cycle, cycle[1:] + cycle[:1], strict=True))


@quick
@given(RANKED)
def test_a_first_preference_majority_ends_irv_in_round_one(poll) -> None:
    options, ballots = poll
    t = ranked.tally(options, ballots)
    majority = [i for i, n in enumerate(t.votes) if 2 * n > t.ballots]
    if majority:
        assert len(t.extra["rounds"]) == 1
        assert t.leaders == tuple(majority)
        assert t.extra["irv_winner"] == options[majority[0]]


@quick
@given(RANKED)
def test_every_round_accounts_for_every_ballot(poll) -> None:
    options, ballots = poll
    t = ranked.tally(options, ballots)
    cast = sum(n for _, n in ballots)
    assert t.ballots == cast
    for number, r in enumerate(t.extra["rounds"], 1):
        assert sum(r["counts"].values()) + r["exhausted"] == cast
        assert (r["eliminated"] == []) == (number == len(t.extra["rounds"]))
    if cast:
        assert t.leaders
        last = t.extra["rounds"][-1]["counts"]
        assert {options[i] for i in t.leaders} <= set(last)
        assert (t.extra["irv_winner"] is None) == (len(t.leaders) > 1)
        assert t.extra["rounds"][0]["counts"] == dict(zip(options, t.votes, strict=True))
    else:
        assert t.extra["rounds"] == []


@quick
@given(ANY_POLL, st.randoms(use_true_random=False))
def test_ballot_order_never_changes_a_result(case, random) -> None:
    module, (options, ballots) = case
    shuffled = list(ballots)
    random.shuffle(shuffled)
    assert module.tally(options, iter(shuffled)) == module.tally(options, ballots)


@quick
@given(ANY_POLL, st.data())
def test_splitting_a_group_never_changes_a_result(case, data) -> None:
    module, (options, ballots) = case
    heavy = [i for i, (_, n) in enumerate(ballots) if n > 1]
    if not heavy:
        return
    i = data.draw(st.sampled_from(heavy))
    ballot, n = ballots[i]
    part = data.draw(st.integers(1, n - 1))
    split = ballots[:i] + [(ballot, part)] + ballots[i + 1 :] + [(ballot, n - part)]
    assert module.tally(options, split) == module.tally(options, ballots)
