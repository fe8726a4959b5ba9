"""Shared fixtures and paths for the vitsim test suite."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HWCONFIGS = ROOT / "hwconfigs"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
