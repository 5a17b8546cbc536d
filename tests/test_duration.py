import pytest

from monitoring_as_code.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("15s", 15), ("5m", 300), ("1h30m", 5400), ("1d", 86400), ("250ms", 0.25)]
)
def test_parses_prometheus_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5 minutes", "5", "", "m5", "-5m", 5])
def test_rejects_what_prometheus_rejects(text: object) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (15, "15s"), (90, "1m30s"), (86400, "1d"), (0.25, "250ms")])
def test_formats_canonically(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
