"""Pages are the same bytes under any BLAS kernel and thread count.

Each configuration regenerates every page from scratch, in a fresh process (OpenBLAS reads its
environment once, at load), into a copy of the project, and the result must be byte-identical
to the committed docs/. threadpoolctl confirms that each configuration really took effect, and
a matrix product shows that the configurations really compute different floating-point bits:
so identical pages mean the pages do not depend on those bits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT_DIR, copy_project, snapshot
from generator.output import MANIFEST

CONFIGS = {  # name -> environment; the machine's default (its own kernel, all threads) is the
    # third variation: test_committed_docs_are_up_to_date_with_problems builds under it
    "one thread, Prescott kernel": {"OPENBLAS_NUM_THREADS": "1", "OPENBLAS_CORETYPE": "Prescott"},
    "many threads, Haswell kernel": {"OPENBLAS_NUM_THREADS": "4", "OPENBLAS_CORETYPE": "Haswell"},
}
DEFAULT = "the machine's default"

PROBE = """
import hashlib, json
import numpy as np
import threadpoolctl
blas = [i for i in threadpoolctl.threadpool_info() if i["internal_api"] == "openblas"]
rng = np.random.default_rng(0)
a, b = rng.standard_normal((300, 300)), rng.standard_normal((300, 300))
print(json.dumps({"blas": blas[0] if blas else None,
                  "product": hashlib.sha256((a @ b).tobytes()).hexdigest()}))
"""


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    return env | extra


def _probe(extra: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], env=_env(extra), capture_output=True,
                         text=True, check=True, timeout=120)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def probes() -> dict[str, dict]:
    return {name: _probe(extra) for name, extra in {**CONFIGS, DEFAULT: {}}.items()}


def test_each_configuration_takes_effect(probes):
    for name, info in probes.items():
        assert info["blas"] is not None, f"{name}: numpy is not using OpenBLAS; this test needs it"
    one, many = probes["one thread, Prescott kernel"]["blas"], probes["many threads, Haswell kernel"]["blas"]
    assert one["num_threads"] == 1 and many["num_threads"] > 1
    # OpenBLAS names its Prescott (SSE3) kernel after the older Katmai core
    assert one["architecture"] in {"Prescott", "Katmai"} and many["architecture"] == "Haswell"


def test_the_configurations_compute_different_bits(probes):
    """The configurations give different matrix products (here all three differ; on a machine
    whose own kernel is Haswell the default may match one): otherwise identical pages would prove
    nothing."""
    one, many = probes["one thread, Prescott kernel"]["product"], probes["many threads, Haswell kernel"]["product"]
    assert one != many, "the two configurations compute the same bits"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pages_are_byte_identical_to_the_committed_docs(name, tmp_path):
    root = copy_project(tmp_path / "project")
    committed = snapshot(ROOT_DIR / "docs")
    generated = (ROOT_DIR / "docs" / MANIFEST).read_text(encoding="utf-8").split()
    for rel in generated:  # regenerate every page and drawing from nothing
        (root / "docs" / rel).unlink()
    run = subprocess.run([sys.executable, "-m", "generator", "--root", str(root), "build", "--strict", "--force"],
                         env=_env(CONFIGS[name]), cwd=ROOT_DIR, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"{name}: the build failed:\n{run.stderr}"
    tree = snapshot(root / "docs")
    differ = [rel for rel in generated if tree.get(rel) != committed[rel]]
    assert not differ, f"{name}: {len(differ)} generated file(s) differ from docs/: {differ[:5]}"
