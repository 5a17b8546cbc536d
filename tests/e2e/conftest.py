"""The end-to-end tests run profile by profile: one stack each, started once (test_e2e.Stacks).
Under pytest-xdist (`make test` runs three workers) each profile's tests are one group, so the two
stacks run side by side on two workers, each seeing its tests in file order, while the other
workers run the rest."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import PROFILES


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (it suffixes the node ids)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the e2e tests by profile, in file order within each: the steady-state test first."""

    def profile_rank(item: pytest.Item) -> int:
        """The e2e test's profile's place in PROFILES; -1 for any other test."""
        if item.get_closest_marker("e2e") is None:
            return -1
        callspec = getattr(item, "callspec", None)
        profile = callspec.params.get("profile") if callspec else None
        return PROFILES.index(profile) if profile in PROFILES else -1

    # Stable: file order within a profile. The end-to-end groups first, so that two workers start
    # one stack each while the others run the rest.
    items.sort(key=lambda item: profile_rank(item) if profile_rank(item) >= 0 else len(PROFILES))
    for item in items:
        rank = profile_rank(item)
        if rank >= 0:
            item.add_marker(pytest.mark.xdist_group(PROFILES[rank]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed end-to-end test reports the state of its stack (targets, processes' errors)."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and call.when == "call" and stack is not None:
        report.sections.append(("stack at the failure", stack.diagnosis()))
    return report
