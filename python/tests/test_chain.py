"""plan, reduce, solve, verify, protocol and codes against independent truth:
brute force over assignments and tuples written here, the command line's own
files and JSON, and field arithmetic by hand."""

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import sethkit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def random_cnf(rng, n, m, width=3):
    clauses = []
    for _ in range(m):
        vs = rng.choice(np.arange(1, n + 1), size=width, replace=False)
        clauses.append([int(v) if rng.random() < 0.5 else -int(v) for v in vs])
    return sethkit.Cnf(n, clauses)


def falsified(cnf, assignment):
    return sum(not any((lit > 0) == assignment[abs(lit) - 1] for lit in c) for c in cnf.clauses)


def brute_force_sat(cnf):
    for bits in itertools.product([False, True], repeat=cnf.num_vars):
        if falsified(cnf, bits) == 0:
            return True
    return False


def test_cnf_object_and_reader(tmp_path):
    f = sethkit.Cnf(3, [[1, -2], [3]])
    assert f.num_vars == 3 and f.num_clauses == 2 and f.satisfied_by([True, False, True])
    path = tmp_path / "f.cnf"
    path.write_text(f.to_dimacs())
    g = sethkit.read_cnf(str(path))
    assert g.clauses == f.clauses
    with pytest.raises(sethkit.InputError, match="literal 4"):
        sethkit.Cnf(3, [[4]])
    with pytest.raises(sethkit.InputError, match="nope.cnf"):
        sethkit.read_cnf(str(tmp_path / "nope.cnf"))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [2, 3])
def test_kov_vectors_count_falsified_clauses(seed, k):
    rng = np.random.default_rng(seed)
    cnf = random_cnf(rng, 7, 12)
    inst = sethkit.reduce(cnf, "kov", k=k)
    plan = sethkit.plan(cnf, "kov", k=k)
    assert [s["vectors"] for s in plan["stages"]] == [s["vectors"] for s in inst.sizes]
    vecs = [inst.vectors(p) for p in range(k)]
    assert all(v.shape[1] == cnf.num_clauses for v in vecs)
    groups = plan["variable_groups"]
    found = False
    for t in itertools.product(*(range(len(v)) for v in vecs)):
        ip = int(np.sum(np.prod([vecs[p][t[p]] for p in range(k)], axis=0)))
        assignment = inst.map_back(list(t))
        # bit b of party p's index is the value of the group's b-th variable
        for p, (lo, hi) in enumerate(groups):
            for b, v in enumerate(range(lo, hi + 1)):
                assert assignment[v - 1] == bool((t[p] >> b) & 1)
        assert ip == falsified(cnf, assignment) == inst.inner_product(t)
        found |= ip == 0
    assert found == brute_force_sat(cnf)


def test_plan_refuses_by_size():
    cnf = random_cnf(np.random.default_rng(0), 20, 80)
    with pytest.raises(sethkit.SizeLimitError, match="limit"):
        sethkit.plan(cnf, "attention", k=2, max_bytes=1000)


def test_saved_files_equal_the_clis(tmp_path, cli):
    src = os.path.join(EXAMPLES, "uf20-01.cnf")
    for to, name in (("kov", "a.kov"), ("maxip", "a.maxip")):
        sethkit.reduce(src, to, k=3).save(tmp_path / ("py-" + name))
        subprocess.run([cli, "reduce", src, "--to", to, "--k", "3", "-o", str(tmp_path / ("cli-" + name))],
                       check=True, capture_output=True)
        assert (tmp_path / ("py-" + name)).read_bytes() == (tmp_path / ("cli-" + name)).read_bytes()
    inst = sethkit.reduce(src, "attention", k=3)
    inst.save(tmp_path / "py-att")
    subprocess.run([cli, "reduce", src, "--to", "attention", "--k", "3", "-o", str(tmp_path / "cli-att")],
                   check=True, capture_output=True)
    for f in ("Q.npy", "K1.npy", "K2.npy", "V1.npy", "V2.npy", "manifest.json"):
        assert (tmp_path / "py-att" / f).read_bytes() == (tmp_path / "cli-att" / f).read_bytes(), f
    np.testing.assert_array_equal(inst.q, np.load(tmp_path / "cli-att" / "Q.npy"))
    assert inst.manifest == json.loads((tmp_path / "cli-att" / "manifest.json").read_text())


def without_times(doc):
    if isinstance(doc, dict):
        return {k: without_times(v) for k, v in doc.items() if "second" not in k and k != "times"}
    if isinstance(doc, list):
        return [without_times(v) for v in doc]
    return doc


@pytest.mark.parametrize("via", ["sat", "kov", "maxip", "attention"])
def test_solve_returns_the_clis_json(cli, via):
    src = os.path.join(EXAMPLES, "random3-14-sat.cnf")
    doc = sethkit.solve(src, via=via, k=3)
    run = subprocess.run([cli, "solve", src, "--via", via, "--k", "3", "--json"], capture_output=True, text=True)
    assert run.returncode == 10
    assert without_times(doc) == without_times(json.loads(run.stdout))
    unsat = sethkit.solve(sethkit.read_cnf(os.path.join(EXAMPLES, "pigeonhole-3-2.cnf")), via=via, k=2)
    assert json.dumps(unsat).count("true") < json.dumps(doc).count("true")


def test_verify_and_protocol():
    doc = sethkit.verify([os.path.join(EXAMPLES, "tiny-sat.cnf"), os.path.join(EXAMPLES, "pigeonhole-3-2.cnf")],
                         k=(2,))
    assert doc["all_agree"] and all(row["counts"]["DISAGREE"] == 0 for row in doc["files"])
    statuses = [level["status"] for row in doc["files"] for level in row["levels"]]
    assert statuses and set(statuses) <= {"agree", "skipped"}
    p = sethkit.protocol(m=4, k=2, code="rs")
    assert isinstance(p, dict) and p


def test_reed_solomon_matrices_are_a_code_and_its_dual():
    c = sethkit.codes.reed_solomon(7, 6, 3)
    g, h = c["generator"], c["parity_check"]
    assert g.shape == (3, 6) and h.shape == (3, 6)
    assert not ((g @ h.T) % 7).any()
    # every nonzero codeword has weight >= n - dim + 1 (MDS), by enumeration
    weights = [np.count_nonzero((np.array(m) @ g) % 7) for m in itertools.product(range(7), repeat=3) if any(m)]
    assert min(weights) == 4 == c["min_distance"]


def test_hermitian_code():
    c = sethkit.codes.hermitian(2, 3)
    assert c["field"]["order"] == 4 and c["n"] == 8 and c["generator"].shape[1] == 8
    with pytest.raises(sethkit.InputError):
        sethkit.codes.hermitian(4, 3)


def test_reduce_and_decide_example(tmp_path):
    run = subprocess.run([sys.executable, os.path.join(EXAMPLES, "python", "reduce_and_decide.py"),
                          os.path.join(EXAMPLES, "random3-14-sat.cnf"), "--png", str(tmp_path / "p.png")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "SATISFIABLE" in run.stdout and (tmp_path / "p.png").exists()


def test_maxip_over_the_protocol_route_is_the_gap_level_as_on_the_command_line():
    # reduce --to maxip --route protocol writes the explicit Gap-MaxIP level;
    # the Python package follows the same rule (reductions::parse_target).
    cnf = sethkit.Cnf(4, [[1, 2], [-1, 3], [-3, -4]])
    plan = sethkit.plan(cnf, "maxip", k=2, route="protocol")
    assert plan["to"] == "gap-maxip"
    with pytest.raises(sethkit.InputError, match="protocol route's level"):
        sethkit.plan(cnf, "gap-maxip", k=2, route="direct")
    with pytest.raises(sethkit.InputError, match="drop the protocol route"):
        sethkit.plan(cnf, "kov", k=2, route="protocol")
