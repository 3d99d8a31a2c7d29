"""Shared fixtures. Real data lives in ../shared/data (beside the checkout, as in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; its absence is an error, not a skip (CI always has it)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def openpose_dir(shared_data: Path) -> Path:
    return shared_data / "pose2sim_s01_openpose"
