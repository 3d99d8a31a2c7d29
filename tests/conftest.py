"""Shared fixtures. Real data lives in tests/data (copied into the repository; see its README)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# helpers imported as top-level modules (``from _tables import ...``) live beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """tests/data: real data copied into the repository (its absence is an error, not a skip)."""
    if not TEST_DATA.is_dir():
        pytest.fail(f"test data not found at {TEST_DATA}")
    return TEST_DATA


@pytest.fixture(scope="session")
def openpose_dir(shared_data: Path) -> Path:
    return shared_data / "pose2sim_s01_openpose"
