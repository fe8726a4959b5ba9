"""Shared fixtures and paths for the vitsim test suite."""

import os
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HWCONFIGS = ROOT / "hwconfigs"
# set to 1 (CI: .ci/run) and the cross-checks that need an extra install (SCALE-Sim's venv, timm for the GPU
# validation and the offline evaluate tests) fail instead of skipping when it is missing: CI cannot go green
# with them not run
REQUIRE = "VITSIM_REQUIRE_CROSSCHECKS"


def skip_or_fail(reason: str):
    """``pytest.skip(reason)``; a failure instead when ``VITSIM_REQUIRE_CROSSCHECKS=1``."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason} ({REQUIRE}=1: this cross-check must run)", pytrace=False)
    pytest.skip(reason)


def require_module(name: str):
    """``import_module(name)``, or ``skip_or_fail`` naming the extra that provides it."""
    try:
        return import_module(name)
    except ImportError as e:
        skip_or_fail(f"{name} is not installed ({e}; pip install -e '.[trace]')")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
