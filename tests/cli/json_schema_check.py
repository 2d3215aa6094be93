#!/usr/bin/python3
"""Runs every subcommand that prints JSON and checks its output against
docs/json-schema.json, with a small checker for the subset of JSON Schema the
file uses (type, required, properties, items, enum, $ref). No dependencies.

    json_schema_check.py SETHKIT SOURCE_DIR OUT_DIR
"""
import json
import os
import subprocess
import sys

import numpy as np

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "number": (int, float), "integer": int}


def check(value, schema, defs, where, errors):
    if "$ref" in schema:
        return check(value, defs[schema["$ref"]], defs, where, errors)
    t = schema.get("type")
    if t:
        ok = isinstance(value, TYPES[t]) and not (t in ("number", "integer") and isinstance(value, bool))
        if not ok:
            errors.append("%s: expected %s, found %r" % (where, t, value))
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r is not one of %s" % (where, value, schema["enum"]))
    for key in schema.get("required", []):
        if not isinstance(value, dict) or key not in value:
            errors.append("%s: missing required key %r" % (where, key))
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                check(value[key], sub, defs, where + "." + key, errors)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], defs, "%s[%d]" % (where, i), errors)


def main():
    sethkit, source, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(source, "docs", "json-schema.json")) as f:
        schema = json.load(f)
    defs = dict(schema["definitions"])
    defs.update({k: v for k, v in schema.items() if k not in ("definitions", "$comment")})
    os.chdir(source)
    target = os.path.join(out, "target.npy")
    np.save(target, np.zeros((2, 1)))
    o = lambda name: os.path.join(out, name)
    runs = [
        ("solve", ["solve", "examples/tiny-sat.cnf", "--json"], "one"),
        ("solve", ["solve", "examples/pigeonhole-3-2.cnf", "--via", "gap-maxip", "--k", "2", "--json"], "one"),
        ("solve", ["solve", "examples/tiny-sat.cnf", "--via", "attention", "--json"], "one"),
        ("solve", ["solve", "examples/tiny-sat.cnf", "--via", "cadical", "--json"], "one"),
        ("solve_error", ["solve", "examples/uf20-01.cnf", "--via", "gap-maxip", "--json"], "one"),
        ("verify", ["verify", "examples/tiny-sat.cnf", "tests/data/wide-41.cnf", "--k", "2", "--max-bytes", "8M",
                    "--json"], "one"),
        ("verify_file", ["verify", "examples/tiny-sat.cnf", "--k", "2", "--jsonl"], "lines"),
        ("attention", ["attention", "tests/data/attention/good", "-o", o("att.npy"), "--json"], "one"),
        ("codes", ["codes", "--code", "rs", "--q", "7", "--n", "7", "--dim", "3", "--product", "2", "--json"], "one"),
        ("protocol", ["protocol", "examples/tiny-sat.cnf", "--k", "3", "--json"], "one"),
        ("grad", ["grad", "tests/data/attention/good", "--target", target, "-o", o("grad"), "--json"], "one"),
        ("reduce", ["reduce", "examples/tiny-sat.cnf", "--to", "kov", "-o", o("tiny.kov"), "--json"], "one"),
        ("reduce", ["reduce", "examples/pigeonhole-3-2.cnf", "--to", "gap-maxip", "--k", "2", "-o", o("php.gap"),
                    "--json"], "one"),
        ("reduce", ["reduce", "examples/tiny-sat.cnf", "--to", "attention", "-o", o("tiny2.att"), "--json"], "one"),
        ("error", ["attention", "tests/data/attention/bad-nan", "-o", o("never.npy"), "--json"], "one"),
        ("error", ["reduce", "examples/uf20-01.cnf", "--to", "kov", "-o", o("never.kov"), "--max-bytes", "1K",
                   "--json"], "one"),
    ]
    subprocess.run([sethkit, "reduce", "examples/tiny-sat.cnf", "--to", "attention", "-o", o("tiny.att"), "--quiet"],
                   check=True)
    runs.append(("solve", ["solve", o("tiny.att"), "--json"], "one"))
    sweep_json = o("sweep.json")
    if os.path.exists(o("sweep.csv")):
        os.remove(o("sweep.csv"))
    subprocess.run([sethkit, "sweep", "--family", "random-ksat", "--vars", "5", "--ratio", "4", "--routes", "kov,cadical",
                    "--csv", o("sweep.csv"), "--json", sweep_json, "--quiet", "--workdir", o("sweep-cnf")], check=True)
    failures = []
    for name, argv, shape in runs:
        p = subprocess.run([sethkit] + argv, capture_output=True, text=True)
        docs = []
        try:
            if shape == "one":
                docs = [(name, json.loads(p.stdout))]
            else:
                lines = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
                docs = [(name, d) for d in lines[:-1]] + [("verify_jsonl_summary", lines[-1])]
        except (json.JSONDecodeError, IndexError) as e:
            failures.append("sethkit %s: no JSON on stdout (%s): %s %s" % (" ".join(argv), e, p.stdout, p.stderr))
            continue
        for which, doc in docs:
            errors = []
            check(doc, defs[which], defs, which, errors)
            failures += ["sethkit %s: %s" % (" ".join(argv), e) for e in errors]
    with open(sweep_json) as f:
        errors = []
        check(json.load(f), defs["sweep"], defs, "sweep", errors)
        failures += ["sethkit sweep --json: " + e for e in errors]
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("every output matches docs/json-schema.json (%d runs)" % (len(runs) + 1))


if __name__ == "__main__":
    main()
