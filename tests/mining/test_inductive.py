"""Inductive Miner infrequent on variant tables: known examples, noise handling, properties."""

from __future__ import annotations

import gzip
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procatlas.mining.inductive import directly_follows, discover_tree
from procatlas.mining.petri import tree_to_petri
from procatlas.mining.soundness import can_replay, check_soundness
from procatlas.mining.tree import TAU, activity, loop, normalize, parse_tree, seq, xor
from tests.conftest import data_file


def V(*traces: str, n: int = 1) -> dict[tuple[str, ...], int]:
    out: dict[tuple[str, ...], int] = {}
    for t in traces:
        key = tuple(t)
        out[key] = out.get(key, 0) + n
    return out


@pytest.mark.parametrize("log, expected", [
    (V("abc", "acb"), "seq(a, and(b, c))"),
    (V("ab", "ac"), "seq(a, xor(b, c))"),
    (V("ab", "abab"), "loop(seq(a, b), tau)"),
    (V("abcd", "acbd", "aed"), "seq(a, xor(and(b, c), e), d)"),
    (V("a"), "a"),
    (V("", "a"), "xor(tau, a)"),
    (V("a", "aa"), "loop(a, tau)"),
    (V("abd", "abcbd"), "seq(a, loop(b, c), d)"),
    (V("ab", "ba"), "and(a, b)"),
    (V("ab", "cd"), "xor(seq(a, b), seq(c, d))"),
    (V("abc", "ac"), "seq(a, xor(tau, b), c)"),
])
def test_known_trees_without_noise(log, expected):
    assert discover_tree(log, noise=0.0).to_string() == expected


def test_docstring_example_and_default_noise():
    assert discover_tree({("a", "b", "c"): 5, ("a", "c", "b"): 3}).to_string() == "seq(a, and(b, c))"


def test_infrequent_behaviour_is_filtered():
    # c before b in 1 of 101 traces: IM has to give up order, IMf keeps it and drops the event
    log = {("a", "b", "c"): 100, ("a", "c", "b", "c"): 1}
    assert discover_tree(log, noise=0.0).to_string() != "seq(a, b, c)"
    # the odd trace's extra c is kept or dropped depending on where the split falls
    assert discover_tree(log, noise=0.2).to_string() in ("seq(a, b, c)", "seq(a, b, loop(c, tau))")


def test_skippable_sequence_parts_stay_together():
    # d is only ever reached through c: skipping c means skipping d (strict sequence cut)
    log = {("a", "b", "c", "d", "e"): 10, ("a", "b", "e"): 10}
    assert discover_tree(log, noise=0.0).to_string() == "seq(a, b, xor(tau, seq(c, d)), e)"


def test_imf_tries_the_unfiltered_cut_first():
    # an optional step seen once is still a valid sequence cut: IMf keeps it, like IM
    log = {("a", "b", "c"): 100, ("a", "b", "x", "c"): 1}
    assert discover_tree(log, noise=0.2).to_string() == "seq(a, b, xor(tau, x), c)"


def test_infrequent_empty_traces_are_dropped_but_frequent_ones_kept():
    assert discover_tree({("a",): 100, (): 1}, noise=0.2).to_string() == "a"
    assert discover_tree({("a",): 50, (): 50}, noise=0.2).to_string() == "xor(tau, a)"


def test_infrequent_loop_back_is_filtered():
    log = {("a", "b", "c"): 200, ("a", "b", "c", "b", "c"): 2}
    assert discover_tree(log, noise=0.0).to_string() == "seq(a, loop(seq(b, c), tau))"
    imf = discover_tree(log, noise=0.2).to_string()
    assert imf.startswith("seq(a, ") and "loop(seq(b, c)" not in imf


def test_fall_throughs():
    # activity once per trace: 'a' exactly once everywhere, no cut otherwise
    t = discover_tree(V("abcb", "bcab", "cbba"), noise=0.0)
    assert t.operator.value in ("and", "loop")
    # flower: no structure at all
    t = discover_tree(V("abc", "cab", "bca", "acb", "aa", "cc"), noise=0.0)
    assert t.activities() == {"a", "b", "c"}


def test_counts_must_be_positive_and_noise_in_range():
    assert discover_tree({("a",): 0, ("b",): 2}, noise=0.0).to_string() == "b"
    assert discover_tree({}, noise=0.0) == TAU
    with pytest.raises(ValueError):
        discover_tree({("a",): 1}, noise=1.5)


def test_dfg_counts_are_weighted_by_variant_counts():
    d = directly_follows({("a", "b", "a", "b"): 3, ("b",): 2, (): 4})
    assert d.edges == {("a", "b"): 6, ("b", "a"): 3}
    assert d.start == {"a": 3, "b": 2}
    assert d.end == {"b": 5}
    assert d.activities == {"a": 6, "b": 8}


def test_tree_text_round_trip_and_normalize():
    t = parse_tree("seq(a, seq(b, tau), xor(tau, tau, 'W_Nabellen offertes'))")
    n = normalize(t)
    assert n.to_string() == "seq(a, b, xor(tau, 'W_Nabellen offertes'))"
    assert parse_tree(n.to_string()) == n
    assert normalize(seq(activity("a"), xor(TAU, loop(activity("b"), TAU)))) == \
        parse_tree("seq(a, xor(tau, loop(b, tau)))")


# --------------------------------------------------------------------------- properties

traces = st.lists(st.sampled_from("abcde"), min_size=0, max_size=6).map(tuple)
variant_tables = st.dictionaries(traces, st.integers(min_value=1, max_value=20), min_size=1, max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variant_tables)
def test_noise_free_model_fits_every_trace_and_is_sound(log):
    tree = discover_tree(log, noise=0.0)
    net = tree_to_petri(tree)
    report = check_soundness(net, max_states=50_000)
    assert report.sound, (tree.to_string(), report)
    for trace in log:
        assert can_replay(net, trace), (tree.to_string(), trace)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variant_tables, st.sampled_from([0.1, 0.2, 0.5]))
def test_imf_models_are_sound_and_keep_the_most_frequent_variant_activities(log, noise):
    tree = discover_tree(log, noise=noise)
    net = tree_to_petri(tree)
    assert check_soundness(net, max_states=50_000).sound, tree.to_string()
    # every activity of the log appears at most once in the model per leaf, never invented
    assert tree.activities() <= {a for t in log for a in t}


@settings(max_examples=60, deadline=None)
@given(variant_tables)
def test_result_does_not_depend_on_table_order(log):
    items = list(log.items())
    assert discover_tree(dict(reversed(items)), noise=0.2) == discover_tree(dict(items), noise=0.2)


# --------------------------------------------------------------------------- real log

def _xes_variants(path) -> dict[tuple[str, ...], int]:
    """Variants of an XES file in document order (a tiny reader for this test only)."""
    from lxml import etree

    out: dict[tuple[str, ...], int] = {}
    with gzip.open(path, "rb") as fh:
        for _, trace in etree.iterparse(fh, tag="{*}trace"):
            acts = []
            for ev in trace.iterfind("{*}event"):
                for s in ev.iterfind("{*}string"):
                    if s.get("key") == "concept:name":
                        acts.append(s.get("value"))
            key = tuple(acts)
            out[key] = out.get(key, 0) + 1
            trace.clear()
    return out


@pytest.mark.slow
def test_bpic2012_imf_under_three_seconds_and_sound_net():
    variants = _xes_variants(data_file("pm4py__pm4py-core/bpic2012.xes.gz"))
    assert sum(variants.values()) == 13_087
    # CPU time of this process: wall time on a shared 2-core machine measures the neighbours
    t0 = time.process_time()
    tree = discover_tree(variants, noise=0.2)
    elapsed = time.process_time() - t0
    assert elapsed < 3.0
    assert tree.activities() <= {a for t in variants for a in t}
    net = tree_to_petri(tree)
    from procatlas.mining.soundness import is_workflow_net
    assert is_workflow_net(net)


def test_canonical_form_orders_commutative_children_only():
    from procatlas.mining.tree import canonical

    assert canonical(parse_tree("xor(c, and(b, a))")) == parse_tree("xor(and(a, b), c)")
    # sequence and loop keep their order: they are not commutative
    assert canonical(parse_tree("seq(b, a)")) == parse_tree("seq(b, a)")
    assert canonical(parse_tree("loop(b, a)")) == parse_tree("loop(b, a)")
    assert canonical(parse_tree("seq(a, seq(xor(d, c), b))")) == parse_tree("seq(a, xor(c, d), b)")


def _pm4py_tree(node):
    """A pm4py process tree as ours."""
    from pm4py.objects.process_tree.obj import Operator as P

    from procatlas.mining.tree import Operator, ProcessTree

    ops = {P.SEQUENCE: Operator.SEQ, P.XOR: Operator.XOR, P.PARALLEL: Operator.AND, P.LOOP: Operator.LOOP}
    if not node.children:
        return ProcessTree(label=node.label)
    return ProcessTree(ops[node.operator], tuple(_pm4py_tree(c) for c in node.children))


def _one_case_per_trace(variants):
    """An event table for pm4py with the same multiset of traces as the variant table."""
    import pandas as pd

    cases, k = [], 0
    for t, n in variants.items():
        for _ in range(n):
            cases += [(f"c{k}", a, pd.Timestamp(2020, 1, 1) + pd.Timedelta(seconds=j)) for j, a in enumerate(t)]
            k += 1
    return pd.DataFrame(cases, columns=["case:concept:name", "concept:name", "time:timestamp"])


@pytest.mark.parametrize("rel", ["pm4py__pm4py-core/helpdesk.xes.gz",
                                 "pm4py__pm4py-core/compressed_input_data/06_bpic2013_closed.xes.gz",
                                 "pm4py__pm4py-core/compressed_input_data/14_Billing_1t_per_variant.xes.gz"])
def test_imf_tree_equals_pm4py_imf_up_to_branch_order(rel):
    """On these real logs pm4py's IMf (noise 0.2) finds the same cuts: the trees differ only
    in the order of xor / and branches, so the models have the same language (the precision
    gap pm4py's judge reports on helpdesk is an artefact of the judge, see docs/models.md)."""
    pm4py = pytest.importorskip("pm4py")
    from procatlas.mining.tree import canonical

    variants = _xes_variants(data_file(rel))
    theirs = _pm4py_tree(pm4py.discover_process_tree_inductive(_one_case_per_trace(variants),
                                                               noise_threshold=0.2))
    ours = discover_tree(variants, noise=0.2)
    assert canonical(ours) == canonical(theirs)


def test_sequence_split_goes_part_by_part_like_leemans_implementation():
    from procatlas.mining.inductive import _split_seq

    parts = [["a"], ["b"], ["c"]]
    # part a ends where (a events) - (later parts' events) is largest, earliest on ties
    assert _split_seq({("a", "c", "b", "c"): 2}, parts) == [{("a",): 2}, {(): 2}, {("c", "c"): 2}]
    # nothing gained for a or b before the c: both segments stay empty, c takes the rest
    assert _split_seq({("c", "a", "b"): 1}, parts) == [{(): 1}, {(): 1}, {("c",): 1}]
    # in-order traces are cut exactly
    assert _split_seq({("a", "a", "c"): 1}, parts) == [{("a", "a"): 1}, {(): 1}, {("c",): 1}]


def test_choice_branch_left_without_traces_becomes_a_tau_as_in_leemans_implementation():
    # the filtered graph separates b, but the split gives its only trace (c b, a tie: c comes
    # first) to the other part: b's sub-log is empty and, as in Leemans' implementation
    # (empty log -> tau) and pm4py, mined into a tau (the same rule makes our tree equal to
    # pm4py's on billing_1t, see the oracle test above)
    log = {("c",): 10, ("a", "d"): 10, ("c", "d"): 10, ("c", "b"): 1}
    assert discover_tree(log, noise=0.2) == parse_tree("xor(seq(xor(a, c), xor(tau, d)), tau)")


def test_choice_split_tie_goes_to_the_part_that_reached_the_count_first():
    from procatlas.mining.inductive import _split_xor

    parts = [["a", "c"], ["b"]]
    # one event in each part: the part of the first event takes the trace, whatever the names
    assert _split_xor({("c", "b"): 1, ("b", "c"): 2}, parts) == [{("c",): 1}, {("b",): 2}]
    # b b reaches 2 before a c does; a majority still wins wherever it comes
    assert _split_xor({("b", "b", "a", "c"): 1, ("b", "a", "c", "a"): 3}, parts) == \
        [{("a", "c", "a"): 3}, {("b", "b"): 1}]


@pytest.mark.slow
def test_intl_declarations_differs_from_pm4py_only_by_a_choice_split_tie(monkeypatch):
    """International declarations (BPIC 2020): our IMf tree and pm4py's differ at one step
    only, the choice split of the permit sub-log, where 256 cases hold as many events of either
    branch (docs/models.md, "Quality against pm4py"). With pm4py's tie rule (the last branch in
    its order) our miner gives pm4py's tree; with ours the fitness of the model stays within
    0.02 of pm4py's (by our alignments)."""
    pm4py = pytest.importorskip("pm4py")
    from procatlas.hotspots.alignments import align_variants
    from procatlas.mining import inductive
    from procatlas.mining.tree import Operator, canonical

    variants = _xes_variants(data_file("bptlab__bpi-challenge-2020/InternationalDeclarations.xes.gz"))
    assert (len(variants), sum(variants.values())) == (727, 6_323)
    theirs = _pm4py_tree(pm4py.discover_process_tree_inductive(_one_case_per_trace(variants),
                                                               noise_threshold=0.2))
    ours = discover_tree(variants, noise=0.2)
    assert canonical(ours) != canonical(theirs)
    # the branch that gets no trace (Send Reminder) is a tau on both sides
    assert "Send Reminder" not in ours.activities() | theirs.activities()

    disputed = []  # cases whose branch depends on the tie rule

    def last_on_tie(log, parts):
        part_of = {a: i for i, p in enumerate(parts) for a in p}
        out = [{} for _ in parts]
        for trace, n in log.items():
            counts = [sum(part_of[a] == i for a in trace) for i in range(len(parts))]
            best = max(range(len(parts)), key=lambda i: (counts[i], i))
            if inductive._split_xor({trace: n}, parts)[best] != {tuple(a for a in trace if part_of[a] == best): n}:
                disputed.append((frozenset(map(frozenset, parts)), n))
            kept = tuple(a for a in trace if part_of[a] == best)
            out[best][kept] = out[best].get(kept, 0) + n
        return out

    monkeypatch.setitem(inductive._SPLIT, Operator.XOR, last_on_tie)
    assert canonical(discover_tree(variants, noise=0.2)) == canonical(theirs)
    # at the step that makes the difference, 256 cases: 229 x (Permit SUBMITTED by EMPLOYEE,
    # Permit APPROVED by ADMINISTRATION, Permit APPROVED by SUPERVISOR, Permit FINAL_APPROVED
    # by DIRECTOR) and 27 more, two or one event on each side
    director = frozenset({"Permit APPROVED by SUPERVISOR", "Permit FINAL_APPROVED by DIRECTOR"})
    assert sum(n for parts, n in disputed if director in parts) == 256
    monkeypatch.undo()

    fitness = [align_variants(tree_to_petri(t), variants, time_budget_s=None).log_fitness
               for t in (ours, theirs)]
    assert fitness[0] == pytest.approx(0.873, abs=0.001)
    assert fitness[1] == pytest.approx(0.885, abs=0.001)


@pytest.mark.slow
def test_bpic15_many_activities_imf_within_a_minute():
    # 398 activities: IMf reaches the activity-concurrent fall-through often, and it searches
    # for a cut once per activity (8,284 searches); with the pair-by-pair search this took
    # 395-594 s on this machine, pm4py's IMf did not finish in two hours
    import pandas as pd

    df = pd.read_csv(data_file("AutomatedProcessImprovement__Simod/BPIC15_1.csv.gz"),
                     usecols=["case:concept:name", "concept:name", "time:timestamp"])
    df["time:timestamp"] = pd.to_datetime(df["time:timestamp"], utc=True, format="mixed")
    df = df.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    variants: dict[tuple[str, ...], int] = {}
    for trace in df.groupby("case:concept:name", sort=False)["concept:name"].agg(tuple):
        variants[trace] = variants.get(trace, 0) + 1
    # the counts pm4py's get_variants gives (benchmarks/bench_imf.py)
    assert (sum(variants.values()), len(variants), len({a for t in variants for a in t})) == (1_199, 1_137, 398)
    t0 = time.process_time()
    tree = discover_tree(variants, noise=0.2)
    assert time.process_time() - t0 < 60.0
    # the noise filter drops rare activities through the choice and sequence splits
    assert 300 < len(tree.activities()) < 398
    assert tree.activities() <= {a for t in variants for a in t}
    from procatlas.mining.soundness import is_workflow_net
    assert is_workflow_net(tree_to_petri(tree))
