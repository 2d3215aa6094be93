#!/usr/bin/env python3
"""Writes the generated part of the bad-input corpus (tests/data/bad).

The first sixteen .cnf files were written by hand; everything else here comes
from this script so the binary cases (kOV / MaxIP binary, .npy, attention
directories) can be read and changed as source. Run it from anywhere:
  python3 tests/data/bad/make_corpus.py
Each file's expected exit code and message are in expectations.txt beside it;
tests/reliability/run_bad_inputs.sh checks them.
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, data):
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def u64(*values):
    return b"".join(struct.pack("<Q", v) for v in values)


def npy(shape, values=None, descr="<f8", fortran=False, version=1, extra=b"", header=None):
    """A .npy file as np.save writes it (unless header overrides the dict)."""
    if header is None:
        dims = ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "")
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
            descr, "True" if fortran else "False", dims)
    prelude = 10 if version == 1 else 12
    pad = (64 - (prelude + len(header) + 1) % 64) % 64
    text = (header + " " * pad + "\n").encode("latin-1")
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    count = 1
    for n in shape:
        count *= n
    if values is None:
        values = [0.5] * count if count < 1 << 16 else []
    fmt = {"<f8": "<d", "<f4": "<f", ">f8": ">d", "<i8": "<q"}.get(descr, "<d")
    data = b"".join(struct.pack(fmt, v) for v in values)
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data + extra


# --- DIMACS (text: FILE:LINE) ---------------------------------------------
put("literal-overflow.cnf", "p cnf 3 1\n1 99999999999999999999 0\n")
put("literal-int-min.cnf", "p cnf 3 1\n-2147483648 0\n")
put("clause-count-huge.cnf", "p cnf 3 3000000000\n1 0\n")
put("only-comments.cnf", "c nothing\nc but comments\n")
put("header-after-clauses.cnf", "c lenient still refuses this\n1 2 0\np cnf 2 1\n")
put("float-literal.cnf", "p cnf 3 1\n1.5 2 0\n")
put("nul-in-header.cnf", b"p\x00cnf 3 1\n1 0\n")
put("header-no-numbers.cnf", "p cnf\n1 0\n")
put("plus-literal.cnf", "p cnf 3 1\n+1 2 0\n")
put("crlf-garbage.cnf", "p cnf 3 1\r\n1 2 \x7f 0\r\n")

# --- kOV text (FILE:LINE) --------------------------------------------------
put("kov-empty.kov", "")
put("kov-no-header.kov", "0110\n1001\n")
put("kov-wrong-format.kov", "p cnf 3 4 1 1\n")
put("kov-order-one.kov", "p kov 1 4 2\n0110\n1001\n")
put("kov-order-huge.kov", "p kov 99 4 1 1\n")
put("kov-negative-dimension.kov", "p kov 2 -4 1 1\n")
put("kov-dimension-huge.kov", "p kov 2 100000000 1 1\n")
put("kov-negative-size.kov", "p kov 2 4 -1 1\n")
put("kov-missing-size.kov", "p kov 3 4 1 1\n0110\n1001\n")
put("kov-extra-size.kov", "p kov 2 4 1 1 1\n0110\n1001\n")
put("kov-short-vector.kov", "p kov 2 4 1 1\n011\n1001\n")
put("kov-bad-character.kov", "c a comment\np kov 2 4 1 1\n0110\n10a1\n")
put("kov-too-many-vectors.kov", "p kov 2 4 1 1\n0110\n1001\n1111\n")
put("kov-truncated.kov", "p kov 2 4 2 2\n0110\n1001\n1111\n")
put("kov-two-on-a-line.kov", "p kov 2 4 2 1\n0110 1001\n1111\n")
put("kov-huge-counts.kov", "p kov 2 4 1000000000000 1\n0110\n")
put("kov-counts-beyond-file.kov", "p kov 2 4 1000000000 1\n0110\n0000\n1111\n")
put("kov-size-overflow.kov", "p kov 2 4 99999999999999999999 1\n0110\n")
put("kov-empty-vector-not-dash.kov", "p kov 2 0 1 1\n-\n0\n")
put("kov-binary-bytes.kov", b"p kov 2 4 1 1\n01\x00\xff\n1001\n")
put("kov-second-header.kov", "p kov 2 4 1 1\np kov 2 4 1 1\n0110\n1001\n")

# --- kOV binary ("SETHKOV1", FILE: what and where) -------------------------
put("kov-bin-short-header.kov", b"SETHKOV1" + b"\x02\x00\x00")
put("kov-bin-order-zero.kov", b"SETHKOV1" + u64(0, 4))
put("kov-bin-dimension-huge.kov", b"SETHKOV1" + u64(2, 1 << 40, 1, 1))
put("kov-bin-truncated-sizes.kov", b"SETHKOV1" + u64(16, 4, 1, 1))
put("kov-bin-truncated-data.kov", b"SETHKOV1" + u64(2, 4, 2, 2) + u64(6, 9, 15))
put("kov-bin-huge-counts.kov", b"SETHKOV1" + u64(2, 64, (1 << 64) - 1, (1 << 64) - 1) + u64(1, 2))
# d = 0: the vectors take no bytes, so only the vector limit stops the count.
put("kov-bin-d0-huge-counts.kov", b"SETHKOV1" + u64(2, 0, 0x3000010001300001, 1))
put("kov-bin-bits-beyond-d.kov", b"SETHKOV1" + u64(2, 4, 1, 1) + u64(6, 0x19))

# --- MaxIP text (FILE:LINE) ------------------------------------------------
put("maxip-empty.maxip", "\n\n")
put("maxip-wrong-format.maxip", "p kov 2 3 1 1\n1 0 1\n0 1 1\n")
put("maxip-order-zero.maxip", "p maxip 0 3\n")
put("maxip-entry-overflow.maxip", "p maxip 2 3 1 1\n1 3000000000 1\n0 1 1\n")
put("maxip-non-integer.maxip", "p maxip 2 3 1 1\n1 0.5 1\n0 1 1\n")
put("maxip-short-row.maxip", "p maxip 2 3 1 1\n1 0 1\n0 1\n")
put("maxip-long-row.maxip", "p maxip 2 3 1 1\n1 0 1 1\n0 1 1\n")
put("maxip-threshold-after-vectors.maxip", "p maxip 2 3 1 1\n1 0 1\nt 2 1\n0 1 1\n")
put("maxip-second-threshold.maxip", "p maxip 2 3 1 1\nt 2 1\nt 3 1\n1 0 1\n0 1 1\n")
put("maxip-no-bound-above-threshold.maxip", "p maxip 2 3 1 1\nt 2 2\n1 0 1\n0 1 1\n")
put("maxip-truncated.maxip", "c comment\np maxip 2 3 1 2\n1 0 1\n0 1 1\n")
put("maxip-too-many-vectors.maxip", "p maxip 2 3 1 1\n1 0 1\n0 1 1\n1 1 1\n")
put("maxip-huge-counts.maxip", "p maxip 2 3 4000000000 4000000000\n1 0 1\n")
put("maxip-empty-vector-not-dash.maxip", "p maxip 2 0 1 1\n-\n0\n")
put("maxip-threshold-missing-bound.maxip", "p maxip 2 3 1 1\nt 2\n1 0 1\n0 1 1\n")

# --- MaxIP binary ("SETHMIP1") ---------------------------------------------
put("maxip-bin-short-header.maxip", b"SETHMIP1" + u64(2))
put("maxip-bin-order-huge.maxip", b"SETHMIP1" + u64(1 << 62, 3))
put("maxip-bin-bad-flag.maxip",
    b"SETHMIP1" + u64(2, 1, 1, 1) + b"\x07" + struct.pack("<qq", 1, 0) + struct.pack("<ii", 1, 1))
put("maxip-bin-truncated-data.maxip",
    b"SETHMIP1" + u64(2, 3, 1, 1) + b"\x00" + struct.pack("<qq", 0, 0) + struct.pack("<iii", 1, 0, 1))
put("maxip-bin-gap-promise.maxip",  # found by fuzzing: the text reader refused this gap, the binary one did not
    b"SETHMIP1" + u64(2, 1, 1, 1) + b"\x01" + struct.pack("<qq", 2, 5) + struct.pack("<ii", 1, 1))
put("maxip-bin-threshold-range.maxip",  # found by fuzzing: a threshold the text form cannot hold
    b"SETHMIP1" + u64(2, 1, 1, 1) + b"\x01" + struct.pack("<qq", (1 << 62) + 1, 0) + struct.pack("<ii", 1, 1))
put("maxip-bin-huge-counts.maxip",
    b"SETHMIP1" + u64(2, 1 << 20, 1 << 50, 1 << 50) + b"\x00" + struct.pack("<qq", 0, 0))

# --- .npy (FILE: what is wrong) --------------------------------------------
put("npy-empty.npy", b"")
put("npy-no-magic.npy", b"PK\x03\x04 this is a zip file, not an array")
put("npy-version-3.npy", npy((2, 2), version=1)[:6] + b"\x03\x00" + npy((2, 2))[8:])
put("npy-header-length-huge.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{}")
put("npy-header-truncated.npy", npy((2, 2))[:40])
put("npy-unterminated-string.npy", npy((1,), header="{'descr': '<f8, 'shape': (1,)"))
put("npy-big-endian.npy", npy((2, 2), descr=">f8"))
put("npy-int-dtype.npy", npy((2, 2), descr="<i8", values=[1, 2, 3, 4]))
put("npy-shape-overflow.npy", npy((1 << 40, 1 << 40, 1 << 40), values=[]))
put("npy-extra-bytes.npy", npy((2, 2), extra=b"\x00" * 8))
put("npy-missing-data.npy", npy((4, 4))[:-16])
put("npy-shape-not-tuple.npy", npy((2,), header="{'descr': '<f8', 'fortran_order': False, 'shape': 2, }"))
put("npy-unknown-key.npy", npy((2,), header="{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1, }"))
put("npy-infinite.npy", npy((2,), values=[1.0, float("inf")]))
put("npy-huge-integer.npy", npy((2,), header="{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }"))
put("npy-fortran.npy", npy((2, 2), fortran=True))


# --- attention directories (DIR/FILE: what is wrong) -----------------------
def attention_dir(name, files):
    path = os.path.join(HERE, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for file, data in files.items():
        put(os.path.join(name, file), data)


def good_k3(n=2, d=3, d_v=2):
    return {"Q.npy": npy((n, d)), "K1.npy": npy((n, d)), "K2.npy": npy((n, d)),
            "V1.npy": npy((n, d_v)), "V2.npy": npy((n, d_v))}


files = good_k3()
del files["Q.npy"]
attention_dir("attention-no-q", files)
files = good_k3()
files["manifest.json"] = "[1, 2, 3]\n"
attention_dir("attention-manifest-not-object", files)
files = good_k3()
files["manifest.json"] = json.dumps({"k": 4}) + "\n"
attention_dir("attention-manifest-wrong-k", files)
files = good_k3()
files["manifest.json"] = json.dumps({"row_map": [[0, 1], [0, 1]]}) + "\n"
attention_dir("attention-manifest-row-map", files)
files = good_k3()
files["manifest.json"] = json.dumps({"scale": "big"}) + "\n"
attention_dir("attention-manifest-scale-string", files)
files = good_k3()
files["manifest.json"] = "[" * 30000 + "]" * 30000 + "\n"
attention_dir("attention-manifest-deep", files)
files = good_k3()
files["manifest.json"] = json.dumps({"k": 3}) + " " * (64 * 1024 + 200) + "\n"
attention_dir("attention-manifest-huge", files)
files = {"Q.npy": npy((1, 1))}
for p in range(1, 17):
    files["K%d.npy" % p] = npy((1, 1))
    files["V%d.npy" % p] = npy((1, 1))
attention_dir("attention-order-17", files)
files = good_k3()
files["Q.npy"] = npy((6,))
attention_dir("attention-q-one-dimensional", files)
files = good_k3()
files["K2.npy"] = npy((2, 4))
attention_dir("attention-key-width", files)
files = good_k3()
files["K4.npy"] = npy((2, 3))
attention_dir("attention-key-gap", files)
files = good_k3(d=0)
attention_dir("attention-zero-width", files)

# --- issue 14: DIMACS tokens, compressed input, nesting, duplicate keys, ---
# --- trailing bytes and long garbage (messages quote at most 32 bytes) -----
put("literal-minus-zero.cnf", "p cnf 3 1\n1 -0 2 0\n")
put("comment-after-literals.cnf", "p cnf 3 1\n1 2 0 c a comment on a clause line\n")
with open(os.path.join(HERE, "..", "..", "..", "examples", "uf20-01.cnf"), "rb") as f:
    import gzip
    whole = gzip.compress(f.read(), mtime=0)
put("gzip-truncated.cnf.gz", whole[: len(whole) // 2])
put("bzip2-garbage.cnf.bz2", b"BZh9" + b"\x00" * 40)
put("xz-garbage.cnf.xz", b"\xfd7zXZ\x00" + b"\x01" * 40)
put("npy-deep-nesting.npy", npy((), version=2, header="{'descr': '<f8', 'fortran_order': False, 'shape': "
                                          + "(" * 100000 + "}"))
put("npy-duplicate-key.npy", npy((2,), header="{'descr': '<f8', 'fortran_order': False, "
                                             "'shape': (2,), 'shape': (2,), }"))
put("npy-long-garbage.npy", npy((2,), header="{'descr': '<f8', 'fortran_order': False, 'shape': "
                                            + "Z" * 5000 + "}"))
files = good_k3()
files["manifest.json"] = '{"k": 3, "scale": 0.5, "k": 3}\n'
attention_dir("attention-manifest-duplicate-key", files)
files = good_k3()
files["manifest.json"] = '{"k": 3}\n{"k": 3}\n'
attention_dir("attention-manifest-trailing", files)
files = good_k3()
files["manifest.json"] = '{"k": ' + "q" * 5000 + "}\n"
attention_dir("attention-manifest-long-garbage", files)
files = good_k3()
files["manifest.json/README"] = "manifest.json is a directory here; the reader must say so\n"
attention_dir("attention-manifest-directory", files)
# Issue 14: V entries near 1e308 make O overflow; refused, never written.
files = {"Q.npy": npy((1, 1), [0.0]), "K1.npy": npy((2, 1), [0.0, 0.0]),
         "V1.npy": npy((2, 1), [1.7e308, 1.7e308])}
attention_dir("attention-overflow-v", files)
