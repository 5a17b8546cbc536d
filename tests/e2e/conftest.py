"""The end-to-end tests run profile by profile: one stack each, started once (test_e2e.Stacks)."""

from __future__ import annotations

import pytest

from tests.conftest import PROFILES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the e2e tests by profile, in file order within each: the steady-state test first."""

    def profile_rank(item: pytest.Item) -> int:
        callspec = getattr(item, "callspec", None)
        profile = callspec.params.get("profile") if callspec else None
        return PROFILES.index(profile) if profile in PROFILES else -1

    items.sort(key=profile_rank)  # stable: file order within a profile, other tests first
