"""The package and the command line give the same results on the same files,
and the examples run."""

import os
import subprocess
import sys

import numpy as np
import pytest

import sethkit
from conftest import random_instance

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_directory(path, q, keys, values):
    os.makedirs(path)
    np.save(os.path.join(path, "Q.npy"), q)
    for p, (k, v) in enumerate(zip(keys, values), start=1):
        np.save(os.path.join(path, f"K{p}.npy"), k)
        np.save(os.path.join(path, f"V{p}.npy"), v)


@pytest.mark.parametrize("k,dtype,extra", [(2, np.float64, []), (3, np.float64, ["--window", "3,2"]),
                                           (3, np.float32, ["--precision", "float"]), (4, np.float64, ["--scale", "0.3"])])
def test_attention_equals_the_cli(tmp_path, rng, cli, k, dtype, extra):
    q, keys, values = random_instance(rng, k, n=(6, 5, 5, 3), dtype=dtype)
    write_directory(tmp_path / "inst", q, keys, values)
    out, logd = tmp_path / "O.npy", tmp_path / "logd.npy"
    subprocess.run([cli, "attention", str(tmp_path / "inst"), "-o", str(out), "--logd", str(logd), *extra],
                   check=True, capture_output=True)
    kwargs = {}
    if "--window" in extra:
        kwargs["window"] = (3, 2)
    if "--scale" in extra:
        kwargs["scale"] = 0.3
    o, log_d = sethkit.attention(q, keys, values, return_logd=True, **kwargs)
    np.testing.assert_array_equal(o, np.load(out))
    np.testing.assert_array_equal(log_d, np.load(logd))


def test_bad_input_message_is_the_clis(tmp_path, rng, cli):
    q, keys, values = random_instance(rng, 3)
    q[1, 2] = np.inf
    write_directory(tmp_path / "inst", q, keys, values)
    run = subprocess.run([cli, "attention", str(tmp_path / "inst"), "-o", str(tmp_path / "O.npy")],
                         capture_output=True, text=True)
    assert run.returncode == 1
    with pytest.raises(sethkit.InputError) as raised:
        sethkit.attention(q, keys, values)
    # The CLI names the file first; the rest of the message is the library's.
    assert str(raised.value).split(": ")[-1] in run.stderr


def test_training_example_runs():
    run = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", "train_two_simplicial.py"),
                          "--steps", "40", "--batch", "32"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "held-out accuracy" in run.stdout
