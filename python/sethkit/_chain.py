"""The hardness chain in process (DESIGN.md "The chain"; paper 001 Section 4
and Lemma B.1):

    CNF --split & list--> kOV --MA protocol + codes--> Gap-k-MaxIP --Lemma B.1--> ATAttC_k
                             \\--- direct signed route: exact k-MaxIP ---/

``plan`` sizes every stage without building anything, ``reduce`` builds the
instance of a level (with its arrays as NumPy and ``save`` writing the files
of ``sethkit reduce``), and ``solve`` / ``verify`` / ``protocol`` return the
``--json`` documents of the command line, run in this process.
"""

import json as _json
import os as _os
import tempfile as _tempfile

from . import _sethkit

_LEVELS = ("sat", "kov", "maxip", "gap-maxip", "attention")

# verify and sweep start child `sethkit` processes: the executable bundled
# with the package (python/CMakeLists.txt copies it into sethkit/bin).
_sethkit._set_executable(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "bin", "sethkit"))


def _cnf(cnf):
    """(Cnf, source name, DIMACS text or '' when the source is a file)."""
    if isinstance(cnf, _sethkit.Cnf):
        return cnf, "<sethkit.Cnf>", cnf.to_dimacs()
    if isinstance(cnf, (str, _os.PathLike)):
        path = _os.fspath(cnf)
        return _sethkit.read_cnf(path), path, ""
    raise TypeError(f"expected a sethkit.Cnf or the path of a DIMACS file, got {type(cnf).__name__}")


def _route_args(to, k, route, code, soundness, eps, backend, max_bytes):
    if to not in _LEVELS:
        raise _sethkit.InputError(f"unknown level {to!r} (expected {', '.join(_LEVELS)})")
    return dict(to=to, k=int(k), route=route or "", code=code, soundness=float(soundness), eps=float(eps),
                backend=backend, max_bytes=float(max_bytes))


def plan(cnf, to, k=3, *, route=None, code="rs", soundness=0.5, eps=1e-6, backend="exact", max_bytes=1 << 30):
    """The sizes of every stage of the chain to level `to` without building
    anything: a dict with the variable groups, and per stage its vectors per
    party, dimension, bytes and whether the size is exact or a bound.

    to: "kov", "maxip", "gap-maxip" or "attention"; route: "direct" or
    "protocol" (attention over the Gap-MaxIP); code: "rs" or "hermitian".
    Raises SizeLimitError when a stage passes max_bytes (shared by the chain).
    """
    f, _, _ = _cnf(cnf)
    return _sethkit._plan(f, **_route_args(to, k, route, code, soundness, eps, backend, max_bytes))


class Instance:
    """A reduced instance (what ``reduce`` returns).

    level, k, plan (the plan dict), sizes (built stages); for kov and maxip
    levels ``vectors(p)`` (party p's vectors, (n_p, d): uint8 0/1 for kOV,
    int32 for MaxIP; ``packed=True`` gives kOV's 64-bit words) and ``gap``
    (threshold, NO bound); for attention ``q``, ``keys``, ``values`` (float64
    arrays, views of the instance), ``manifest`` (dict) and ``embedding``
    (beta, B, threshold ...). ``map_back(witness)`` is the composed witness
    map to an assignment; ``save(path)`` writes what ``sethkit reduce`` writes.
    """

    def __init__(self, core, source, dimacs, route):
        self._core, self._source, self._dimacs, self._route = core, source, dimacs, route

    level = property(lambda self: self._core.level)
    k = property(lambda self: self._core.k)
    plan = property(lambda self: self._core.plan)
    sizes = property(lambda self: self._core.built)
    gap = property(lambda self: self._core.gap)
    q = property(lambda self: self._core.q)
    keys = property(lambda self: self._core.keys)
    values = property(lambda self: self._core.values)
    manifest = property(lambda self: self._core.manifest)
    embedding = property(lambda self: self._core.embedding)

    def vectors(self, p, packed=False):
        return self._core.party(p, packed)

    def inner_product(self, tuple_):
        return self._core.inner_product(list(tuple_))

    def map_back(self, witness):
        """The assignment (list of bools, [v-1] for variable v) that a witness
        of this level encodes: a k-tuple of vector indices, or for attention
        (query row, data row of each key side)."""
        return self._core.map_back([int(i) for i in witness])

    def save(self, path, binary=False):
        """Writes the files of ``sethkit reduce`` (kOV/MaxIP text, or binary
        with binary=True; an attention directory with its manifest), whole or
        not at all. Returns reduce's summary line."""
        r = self._route
        return _sethkit._save(self._core, _os.fspath(path), binary, r["route"], r["code"], r["soundness"], r["eps"],
                              self._source, self._dimacs)

    def __repr__(self):
        last = self.sizes[-1] if self.sizes else {}
        return f"<sethkit.Instance {self.level} k = {self.k}, vectors {last.get('vectors')}, " \
               f"dimension {last.get('dimension')}>"


def reduce(cnf, to, k=3, *, route=None, code="rs", soundness=0.5, eps=1e-6, max_bytes=1 << 30):
    """Builds the instance of level `to` from a CNF (a sethkit.Cnf or a DIMACS
    path); options as ``plan``. Returns an ``Instance``."""
    f, source, dimacs = _cnf(cnf)
    args = _route_args(to, k, route, code, soundness, eps, "exact", max_bytes)
    if to == "sat":
        raise _sethkit.InputError("to = 'sat' is the CNF itself; reduce to kov, maxip, gap-maxip or attention")
    return Instance(_sethkit._reduce(f, **args), source, dimacs, args)


def _run_json(args):
    """Runs a command line in process with --json; returns (exit code, dict).
    Bad input, usage errors, refusals and timeouts raise as the library does."""
    code, out, err = _sethkit._run_cli([str(a) for a in args] + ["--json"])
    # verify reports its timeouts (3) and disagreements (4) in its document.
    if code in (1, 2) or (code == 3 and args[0] != "verify"):
        message = err.strip().splitlines()[-1] if err.strip() else out.strip()
        message = message.split("error: ", 1)[-1]
        if code == 2:
            raise _sethkit.UsageError(message)
        if code == 3:
            raise _sethkit.TimeoutError(message)
        if "refused" in message or "needs" in message and "limit" in message:
            raise _sethkit.SizeLimitError(message)
        raise _sethkit.InputError(message)
    try:
        return code, _json.loads(out)
    except ValueError:
        raise RuntimeError(f"sethkit {args[0]} printed no JSON document (exit {code}): {err.strip()}") from None


def _with_file(cnf, f):
    """Calls f(path) with a DIMACS file of cnf (a temporary one for a Cnf)."""
    if isinstance(cnf, (str, _os.PathLike)):
        return f(_os.fspath(cnf))
    if not isinstance(cnf, _sethkit.Cnf):
        raise TypeError(f"expected a sethkit.Cnf or the path of a DIMACS file, got {type(cnf).__name__}")
    with _tempfile.TemporaryDirectory(prefix="sethkit-") as tmp:
        path = _os.path.join(tmp, "formula.cnf")
        with open(path, "w") as out:
            out.write(cnf.to_dimacs())
        return f(path)


def _flags(opts):
    out = []
    for name, value in opts.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, (list, tuple)):
            out += [flag, ",".join(str(v) for v in value)]
        else:
            out += [flag, str(value)]
    return out


def solve(cnf, via="kov", k=3, **opts):
    """Decides a CNF (a sethkit.Cnf or a DIMACS path) through level `via`
    ("sat", "kov", "maxip", "gap-maxip", "attention") exactly as
    ``sethkit solve FILE --via VIA --k K --json``; every other command-line
    option is a keyword (backend="poly", code="hermitian", max_bytes=...).
    Returns the command line's JSON document as a dict (its "satisfiable"
    and the checked assignment among it)."""
    return _with_file(cnf, lambda path: _run_json(["solve", path, "--via", via, "--k", k, *_flags(opts)])[1])


def verify(cnfs, k=(2, 3), **opts):
    """Checks every level of the chain on each CNF against the reference
    (CaDiCaL) as ``sethkit verify FILES --k 2,3 --json``; returns its JSON
    document. cnfs: paths or sethkit.Cnf objects (or one of them)."""
    if isinstance(cnfs, (str, _os.PathLike, _sethkit.Cnf)):
        cnfs = [cnfs]
    cnfs = list(cnfs)
    ks = k if isinstance(k, (list, tuple)) else [k]
    with _tempfile.TemporaryDirectory(prefix="sethkit-") as tmp:
        paths = []
        for i, c in enumerate(cnfs):
            if isinstance(c, _sethkit.Cnf):
                path = _os.path.join(tmp, f"formula-{i}.cnf")
                with open(path, "w") as out:
                    out.write(c.to_dimacs())
                paths.append(path)
            else:
                paths.append(_os.fspath(c))
        return _run_json(["verify", *paths, "--k", ",".join(str(x) for x in ks), *_flags(opts)])[1]


def protocol(m=None, k=3, *, cnf=None, code="rs", **opts):
    """The Merlin-Arthur protocol's parameters and exact analysis for
    universe size m (or a CNF's clause count), as ``sethkit protocol --json``."""
    if (m is None) == (cnf is None):
        raise _sethkit.InputError("give the universe size m or a cnf, not both")
    if cnf is not None:
        return _with_file(cnf, lambda path: _run_json(["protocol", path, "--k", k, "--code", code,
                                                       *_flags(opts)])[1])
    return _run_json(["protocol", "--m", m, "--k", k, "--code", code, *_flags(opts)])[1]
