"""The annotation template subset must expand exactly as Prometheus does; the promtool tests of
every alert prove it end to end, these pin the formatting rules."""

import pytest

from monitoring_as_code.templates import check_template, expand, humanize


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567.0, "1.235M"),  # Grafana's and Prometheus' documented example
        (0, "0"),
        (12, "12"),
        (1000, "1k"),
        (0.25, "250m"),
        (9.95, "9.95"),
    ],
)
def test_humanize(value: float, text: str) -> None:
    assert humanize(value) == text


def test_expands_labels_and_value_forms() -> None:
    labels = {"instance": "ratd:8080"}
    text = '{{ $labels.instance }}: {{ $value | humanizePercentage }} / {{ $value | printf "%.2f" }}'
    assert expand(text, labels, 0.1234567) == "ratd:8080: 12.35% / 0.12"


def test_missing_label_expands_empty_like_go() -> None:
    assert expand("[{{ $labels.nope }}]", {}, 1.0) == "[]"


@pytest.mark.parametrize("template", ["{{ $value }}", "{{ .Labels.x }}", "{{ $value | humanizeDuration }}"])
def test_rejects_templates_outside_the_subset(template: str) -> None:
    with pytest.raises(ValueError, match="unsupported template"):
        check_template(template)
