from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ray_local() -> Iterator[object]:
    """One local Ray (2 CPUs) for the whole session; workers import this checkout's code."""
    ray = pytest.importorskip("ray")
    path = os.pathsep.join(dict.fromkeys([str(ROOT / "src"), str(ROOT), *[p for p in sys.path if p]]))
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": path}})
    yield ray
    ray.shutdown()
