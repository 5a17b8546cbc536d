"""Every dashboard preview, opened in headless Chromium (Debian's chromium and chromium-driver,
driven by selenium): from the page's own geometry (getBoundingClientRect, not pixels) each
panel's frame lies where its gridPos says, everything the panel draws (its title first) lies
inside its frame, no two frames overlap, and the browser logs no error. A broken near-miss shows
that each check can fail. A screenshot of the RAT overview is left in the test's tmp_path (pytest
keeps the last three runs under its basetemp, e.g. /tmp/pytest-of-$USER/pytest-current/)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from monitoring_as_code.cli import main
from monitoring_as_code.panels.svg import grid_box
from tests.conftest import PROFILES, REPO, TEST_PROFILE, copy_project, set_outputs, set_profile

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PREVIEWS = {"compose": "grafana/previews", "kubernetes": "kubernetes/grafana/previews"}
TOLERANCE = 0.5  # px: the browser places boxes at fractions of a pixel

# Each panel's frame, and the box around everything drawn in it, in page px.
_GEOMETRY = """
const boxes = [];
for (const g of document.querySelectorAll('g[data-panel-id]')) {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
  const frame = g.querySelector('rect.frame'), title = g.querySelector('text.title');
  const drawn = [...g.querySelectorAll('*')].filter((e) => e !== frame && e.tagName !== 'g').map(box);
  boxes.push({id: g.dataset.panelId, frame: frame ? box(frame) : null, title: title ? box(title) : null,
              drawn: drawn});
}
return boxes;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not Path(binary).exists():
            pytest.fail(f"{binary} is missing: run `make tools` (Debian's chromium and chromium-driver)")
    os.environ["SE_OFFLINE"] = "true"  # selenium must never download a driver or a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module", params=PROFILES)
def previewed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test profile's project under each RAT profile, with both outputs' previews generated."""
    root = copy_project(REPO, tmp_path_factory.mktemp("previews") / "project")
    shutil.copy2(TEST_PROFILE, root / "monitoring.yaml")
    set_profile(root, request.param)
    set_outputs(root, "compose", "kubernetes")
    result = CliRunner().invoke(main, ["--root", str(root), "generate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root


def _dashboards(generated: Path, output: str = "compose") -> dict[str, dict[str, Any]]:
    """The dashboards an output ships: compose's JSON files, the cluster's ConfigMaps (each output
    ships its platform's dashboards, so the two sets may differ)."""
    if output == "compose":
        folder = generated / "grafana" / "dashboards"
        return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    maps = (
        yaml.safe_load(p.read_text()) for p in sorted((generated / "kubernetes").glob("configmap-dashboard-*.yaml"))
    )
    return {Path(name).stem: json.loads(text) for m in maps for name, text in m["data"].items()}


def _inside(inner: list[float], outer: list[float]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    t = TOLERANCE
    return x >= ox - t and y >= oy - t and x + w <= ox + ow + t and y + h <= oy + oh + t


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def layout_problems(driver: webdriver.Chrome, svg: Path, dashboard: dict[str, Any]) -> list[str]:
    """What is wrong with the preview as the browser lays it out (empty: nothing)."""
    driver.get_log("browser")  # forget what an earlier page logged
    driver.get(svg.as_uri())
    height = driver.execute_script("return document.documentElement.getBoundingClientRect().height")
    driver.set_window_size(1300, int(height) + 200)
    boxes = {b["id"]: b for b in driver.execute_script(_GEOMETRY)}
    problems = [
        f"browser: {entry['message']}" for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")
    ]
    frames: list[tuple[str, list[float]]] = []
    for panel in dashboard["panels"]:
        key, pos = str(panel["id"]), panel["gridPos"]
        box = boxes.get(key)
        if box is None or box["frame"] is None:
            problems.append(f"panel {key}: no frame")
            continue
        want = grid_box(pos["x"], pos["y"], pos["w"], pos["h"])
        if any(abs(have - wanted) > TOLERANCE for have, wanted in zip(box["frame"], want, strict=True)):
            problems.append(f"panel {key}: frame at {box['frame']}, its gridPos says {list(want)}")
        if box["title"] is None or not _inside(box["title"], box["frame"]):
            problems.append(f"panel {key}: title {box['title']} is not inside its frame {box['frame']}")
        outside = [d for d in box["drawn"] if d[2] and d[3] and not _inside(d, box["frame"])]
        if outside:
            problems.append(f"panel {key}: {len(outside)} element(s) drawn outside its frame, e.g. {outside[0]}")
        frames.append((key, box["frame"]))
    problems += [
        f"panels {a} and {b} overlap"
        for i, (a, box_a) in enumerate(frames)
        for b, box_b in frames[i + 1 :]
        if _overlap(box_a, box_b)
    ]
    return problems


@pytest.mark.parametrize("output", sorted(PREVIEWS))
def test_every_preview_lays_out_as_its_dashboard_in_chromium(
    browser: webdriver.Chrome, previewed: Path, output: str
) -> None:
    generated = previewed / "generated"
    dashboards = _dashboards(generated, output)
    previews = sorted((generated / PREVIEWS[output]).glob("*.svg"))
    assert [p.stem for p in previews] == sorted(dashboards)
    for svg in previews:
        assert layout_problems(browser, svg, dashboards[svg.stem]) == [], svg.name


def test_a_screenshot_of_the_rat_overview_for_a_person(
    browser: webdriver.Chrome, previewed: Path, tmp_path: Path
) -> None:
    svg = previewed / "generated" / "grafana" / "previews" / "rat-overview.svg"
    assert layout_problems(browser, svg, _dashboards(previewed / "generated")["rat-overview"]) == []
    shot = tmp_path / "rat-overview.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {shot}")


def test_the_checks_fail_on_a_broken_preview(browser: webdriver.Chrome, previewed: Path, tmp_path: Path) -> None:
    """The near-miss: the same picture with panel 1's frame a row lower (so it covers its
    neighbour below), its title too long for it, and an image that does not load."""
    generated = previewed / "generated"
    dashboard = _dashboards(generated)["rat-overview"]
    svg = (generated / "grafana" / "previews" / "rat-overview.svg").read_text()
    first = next(p for p in dashboard["panels"] if p["id"] == 1)
    x, y, w, h = grid_box(*(first["gridPos"][k] for k in "xywh"))
    frame = f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}"'
    assert frame in svg
    broken = svg.replace(frame, f'<rect x="{x:g}" y="{y + 30:g}" width="{w:g}" height="{h:g}"', 1)
    title = f'class="title">{first["title"]}</text>'
    broken = broken.replace(title, f'class="title">{first["title"] * 20}</text>', 1)
    broken = broken.replace("</svg>", '<image href="missing.png" width="10" height="10"/></svg>')
    path = tmp_path / "rat-overview.svg"
    path.write_text(broken)
    problems = layout_problems(browser, path, dashboard)
    assert any(p.startswith("panel 1: frame at") for p in problems), problems
    assert any(p.startswith("panel 1: title") for p in problems), problems
    assert any(p.startswith("panels 1 and ") and p.endswith("overlap") for p in problems), problems
    assert any(p.startswith("browser:") and "missing.png" in p for p in problems), problems
