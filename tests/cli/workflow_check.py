#!/usr/bin/python3
"""Issue 16's workflow rules that need more than one run to check:

  errors    with --json, a failure of every subcommand prints one JSON error
            object on stdout (docs/json-schema.json "error") with the exit code
            and the message of the same run without --json, whose stdout stays
            empty;
  progress  --progress forces the progress lines on stderr (a pipe here),
            --json stdout is one JSON document, --quiet and the default on a
            pipe print none;
  split     verify --split interleaved gives every level the same answer and
            status as verify without it, and passes the split to each level;
  protocol  verify --levels protocol: the protocol's exact completeness and
            soundness on each file, its disjoint tuples counted by brute force.

    workflow_check.py SETHKIT SOURCE_DIR OUT_DIR {errors|progress|split|protocol}
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from json_schema_check import check  # noqa: E402

import numpy as np  # noqa: E402


def run(sethkit, argv, env=None):
    return subprocess.run([sethkit] + argv, capture_output=True, text=True, env=env)


def schema(source):
    with open(os.path.join(source, "docs", "json-schema.json")) as f:
        s = json.load(f)
    defs = dict(s["definitions"])
    defs.update({k: v for k, v in s.items() if k not in ("definitions", "$comment")})
    return defs


def errors(sethkit, source, out, failures):
    defs = schema(source)
    target = os.path.join(out, "target-3x3.npy")
    np.save(target, np.zeros((3, 3)))
    o = lambda name: os.path.join(out, name)
    with open("examples/tiny-sat.cnf") as f, open(o("copy.cnf"), "w") as g:
        g.write(f.read())
    # (subcommand, argv without --json, expected exit code, expected status)
    cases = [
        ("solve", ["solve", "tests/data/bad/p-dnf.cnf"], 1, "input"),
        ("solve", ["solve", "examples/uf20-01.cnf", "--via", "gap-maxip"], 1, "refused"),
        ("solve", ["solve", "examples/uf20-01.cnf", "--via", "attention", "--timeout", "0.001"], 3, "timeout"),
        ("reduce", ["reduce", "tests/data/bad/p-dnf.cnf", "--to", "kov", "-o", o("never.kov")], 1, "input"),
        ("reduce", ["reduce", "examples/uf20-01.cnf", "--to", "kov", "-o", o("never.kov"), "--max-bytes", "1K"], 1,
         "refused"),
        ("reduce", ["reduce", o("copy.cnf"), "--to", "kov", "-o", o("copy.cnf")], 2, "usage"),  # output is input
        ("attention", ["attention", "tests/data/attention/bad-nan", "-o", o("never.npy")], 1, "input"),
        ("attention", ["attention", "tests/data/attention/good", "--backend", "poly", "-o", o("never.npy")], 1,
         "refused"),
        ("grad", ["grad", "tests/data/attention/good", "--target", target, "-o", o("never-grad")], 1, "input"),
        ("grad", ["grad", "tests/data/attention/bad-truncated", "--target", target, "-o", o("never-grad")], 1,
         "input"),
        ("protocol", ["protocol", "--k", "2"], 1, "input"),
        ("protocol", ["protocol", "tests/data/wide-41.cnf", "--k", "2", "--max-bytes", "8M"], 1, "refused"),
        ("codes", ["codes", "--code", "rs", "--q", "7", "--n", "3", "--dim", "5"], 1, "input"),
        ("codes", ["codes", "--code", "rs", "--q", "65521", "--n", "65521", "--dim", "300"], 1, "refused"),
        ("verify", ["verify", "examples/tiny-sat.cnf", "--k", "2,3", "--split", "1-2,3-4"], 2, "usage"),
    ]
    for sub, argv, rc, status in cases:
        text = run(sethkit, argv)
        js = run(sethkit, argv + ["--json"])
        what = "sethkit " + " ".join(argv)
        if text.returncode != rc:
            failures.append("%s: exit %d, expected %d: %s" % (what, text.returncode, rc, text.stderr))
            continue
        if js.returncode != text.returncode:
            failures.append("%s --json: exit %d, without --json %d" % (what, js.returncode, text.returncode))
        if text.stdout.strip() not in ("", "s UNKNOWN"):  # solve's answer line for a timeout
            failures.append("%s: stdout is not empty without --json: %r" % (what, text.stdout))
        if js.stderr != text.stderr:
            failures.append("%s --json: stderr %r differs from %r" % (what, js.stderr, text.stderr))
        try:
            doc = json.loads(js.stdout)
        except json.JSONDecodeError as e:
            failures.append("%s --json: stdout is not one JSON object (%s): %r" % (what, e, js.stdout))
            continue
        errs = []
        check(doc, defs["error"], defs, sub + "_error", errs)
        failures += ["%s --json: %s" % (what, e) for e in errs]
        if doc.get("subcommand") != sub or doc.get("status") != status or doc.get("exit_code") != rc:
            failures.append("%s --json: expected subcommand %s, status %s, exit_code %d, found %r" %
                            (what, sub, status, rc, doc))
        if doc.get("error", "\0") not in text.stderr:
            failures.append("%s --json: error %r is not the stderr message %r" % (what, doc.get("error"), text.stderr))
    # reduce --json -o -: both want stdout (a usage error found by reduce itself).
    both = run(sethkit, ["reduce", "examples/tiny-sat.cnf", "--to", "kov", "-o", "-", "--json"])
    if both.returncode != 2 or json.loads(both.stdout or "{}").get("status") != "usage":
        failures.append("reduce --json -o -: expected exit 2 and a usage error object: %r %r" % (both.stdout, both.stderr))
    with open(o("copy.cnf")) as f, open("examples/tiny-sat.cnf") as g:
        if f.read() != g.read():
            failures.append("reduce -o INPUT changed its input")
    return len(cases) + 1


def progress(sethkit, source, out, failures):
    o = lambda name: os.path.join(out, name)
    env = dict(os.environ, SETHKIT_PROGRESS_DELAY="0", SETHKIT_PROGRESS_INTERVAL="0.05")
    target = o("target-grad.npy")
    np.save(target, np.zeros((2, 1)))
    runs = [
        ("solve", ["solve", "examples/uf20-02.cnf", "--via", "attention", "--json"], 10),
        ("solve", ["solve", "examples/tiny-sat.cnf", "--via", "kov", "--json"], 10),
        ("reduce", ["reduce", "examples/uf20-01.cnf", "--to", "attention", "-o", o("p.att"), "--json"], 0),
        ("attention", ["attention", "tests/data/attention/good", "-o", o("p.npy"), "--json"], 0),
        ("grad", ["grad", "tests/data/attention/good", "--target", target, "-o", o("p-grad"), "--json"], 0),
    ]
    for sub, argv, rc in runs:
        what = "sethkit " + " ".join(argv)
        forced = run(sethkit, argv + ["--progress"], env)
        if forced.returncode != rc:
            failures.append("%s --progress: exit %d, expected %d: %s" % (what, forced.returncode, rc, forced.stderr))
            continue
        try:
            json.loads(forced.stdout)  # nothing but the document on stdout
        except json.JSONDecodeError as e:
            failures.append("%s --progress: stdout is not one JSON document (%s): %r" % (what, e, forced.stdout))
        lines = [l for l in forced.stderr.splitlines() if l.startswith(sub + ": ")]
        if not lines or not lines[-1].startswith(sub + ": done in "):
            failures.append("%s --progress: no progress lines ending in 'done in' on stderr: %r" % (what, forced.stderr))
        if any("\r" in l or "\033" in l for l in lines):
            failures.append("%s --progress: a pipe got terminal control characters: %r" % (what, forced.stderr))
        for extra, why in ((["--quiet"], "--quiet"), ([], "stderr is not a terminal")):
            quiet = run(sethkit, argv + extra, env)
            if any(l.startswith(sub + ": ") and "error" not in l for l in quiet.stderr.splitlines()):
                failures.append("%s %s: progress printed although %s: %r" % (what, " ".join(extra), why, quiet.stderr))
    # The stages and the rows of a long run: solve via attention on uf20-02
    # decides 2^7 query rows, and every line names its stage.
    long = run(sethkit, ["solve", "examples/uf20-02.cnf", "--via", "attention", "--progress"], env)
    stages = [l for l in long.stderr.splitlines() if l.startswith("solve: ") and not l.startswith("solve: done")]
    if not any("deciding via attention" in l for l in stages):
        failures.append("solve --via attention --progress: no line names the stage: %r" % long.stderr)
    if "s SATISFIABLE" not in long.stdout or "solve:" in long.stdout:
        failures.append("solve --via attention --progress: stdout is not the answer alone: %r" % long.stdout)
    usage = run(sethkit, ["solve", "examples/tiny-sat.cnf", "--progress", "--quiet"])
    if usage.returncode != 2:
        failures.append("solve --progress --quiet: exit %d, expected 2 (they exclude each other)" % usage.returncode)
    return len(runs) + 2


def split(sethkit, source, out, failures):
    files = ["examples/tiny-sat.cnf", "examples/pigeonhole-3-2.cnf", "examples/random3-14-sat.cnf",
             "examples/random3-14-unsat.cnf"]
    base = ["verify"] + files + ["--k", "2,3", "--levels", "kov,maxip,attention", "--json"]
    plain = run(sethkit, base)
    inter = run(sethkit, base + ["--split", "interleaved"])
    if plain.returncode != 0 or inter.returncode != 0:
        failures.append("verify: exit %d without --split, %d with --split interleaved: %s %s" %
                        (plain.returncode, inter.returncode, plain.stderr, inter.stderr))
        return 2
    a, b = json.loads(plain.stdout), json.loads(inter.stdout)
    for fa, fb in zip(a["files"], b["files"]):
        if fa["reference"]["answer"] != fb["reference"]["answer"] or fa["verdict"] != fb["verdict"]:
            failures.append("%s: verdict %s without --split, %s with" % (fa["file"], fa["verdict"], fb["verdict"]))
        for la, lb in zip(fa["levels"], fb["levels"]):
            if (la["status"], la.get("answer")) != (lb["status"], lb.get("answer")):
                failures.append("%s %s: %s/%s without --split, %s/%s with" %
                                (fa["file"], la["name"], la["status"], la.get("answer"), lb["status"], lb.get("answer")))
    # The split reaches the levels: a range split for k = 2 is refused on a
    # formula it does not cover (every level skipped with the reason).
    wrong = run(sethkit, ["verify", "examples/tiny-sat.cnf", "--k", "2", "--levels", "kov", "--split", "1-1,2-2",
                          "--json"])
    doc = json.loads(wrong.stdout) if wrong.stdout.strip() else {}
    levels = doc.get("files", [{}])[0].get("levels", [])
    if not levels or levels[0]["status"] != "skipped" or "split" not in levels[0].get("reason", ""):
        failures.append("verify --split 1-1,2-2 on tiny-sat: expected a skipped level naming the split: %r %s" %
                        (levels, wrong.stderr))
    # A range split for the right k is used: same answers as without it.
    ranges = run(sethkit, ["verify", "examples/random3-14-sat.cnf", "--k", "2", "--levels", "kov,maxip", "--split",
                           "1-7,8-14", "--json"])
    if ranges.returncode != 0 or json.loads(ranges.stdout)["summary"]["agree"] != 2:
        failures.append("verify --split 1-7,8-14 --k 2: expected 2 agreeing levels: %s %s" %
                        (ranges.stdout, ranges.stderr))
    return 4


def models(path):
    """The satisfying assignments of a DIMACS file, counted by brute force."""
    clauses, lits, n = [], [], 0
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or t[0] in ("c", "%"):
                continue
            if t[0] == "p":
                n = int(t[2])
                continue
            for x in map(int, t):
                if x == 0:
                    clauses.append(lits)
                    lits = []
                else:
                    lits.append(x)
    return n, sum(all(any((a >> (abs(x) - 1) & 1) == (x > 0) for x in c) for c in clauses) for a in range(1 << n))


def protocol(sethkit, source, out, failures):
    # verify --levels protocol: the protocol's exact analysis on each file's
    # kOV tuples. Its disjoint tuples are the orthogonal ones, one for each
    # satisfying assignment (split and list): counted here by brute force.
    gen = os.path.join(out, "random-6.cnf")
    subprocess.run([sethkit, "gen", "random-ksat", "--vars", "6", "--clauses", "18", "--seed", "1", "-o", gen],
                   check=True, capture_output=True)
    files = ["examples/tiny-sat.cnf", "examples/pigeonhole-3-2.cnf", gen]
    p = run(sethkit, ["verify"] + files + ["--k", "2,3", "--levels", "protocol", "--json"])
    if p.returncode != 0:
        failures.append("verify --levels protocol: exit %d: %s %s" % (p.returncode, p.stdout[-500:], p.stderr))
        return 1
    doc = json.loads(p.stdout)
    for f in doc["files"]:
        n, count = models(f["file"])
        for l in f["levels"]:
            a = l.get("protocol", {}).get("analysis", {})
            if l["status"] != "agree" or a.get("disjoint_tuples") != count or a.get("tuples") != 2 ** n:
                failures.append("%s %s: expected agree with %d disjoint of %d tuples, found %r" %
                                (f["file"], l["name"], count, 2 ** n, l))
    # Past --max-work the analysis is skipped with the reason, never an agreement.
    big = run(sethkit, ["verify", "examples/random3-14-sat.cnf", "--k", "2", "--levels", "protocol", "--json"])
    level = json.loads(big.stdout)["files"][0]["levels"][0] if big.returncode == 0 else {}
    if level.get("status") != "skipped" or not level.get("reason", "").startswith("about "):
        failures.append("verify --levels protocol on random3-14-sat: expected skipped past --max-work: %r" % level)
    text = run(sethkit, ["verify", files[0], "--k", "2", "--levels", "kov,protocol"])
    if text.returncode != 0 or not any(" holds " in l for l in text.stdout.splitlines()):
        failures.append("verify --levels kov,protocol: no 'holds' cell: %s %s" % (text.stdout, text.stderr))
    return len(files) + 2


def main():
    sethkit, source, out, which = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    os.chdir(source)
    failures = []
    n = {"errors": errors, "progress": progress, "split": split, "protocol": protocol}[which](sethkit, source, out, failures)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("%s: %d checks pass" % (which, n))


if __name__ == "__main__":
    main()
