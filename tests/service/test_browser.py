"""A real browser (Debian's headless Chromium, driven by selenium) on an evidence report and on
the service's page at `/`: what a person sees, not what the HTML says."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clip_media import FRIDAY, ClipMedia
from tests.service.helpers import TOKEN

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1280,1600")
WAIT_S = 180


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with a fresh profile under the test's tmp dir."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("needs Debian's chromium and chromium-driver (/usr/bin/chromium and "
                    "/usr/bin/chromedriver): apt-get install -y chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (dev extra)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


def _shown_report(driver: Any) -> dict[str, Any]:
    """What the report in the current document shows: segment rows, thumbnails' decoded
    widths, alignment lines, the verdict."""
    result: dict[str, Any] = driver.execute_script("""
        const q = (s) => Array.from(document.querySelectorAll(s));
        return {rows: q('table.segments tr.segment').length,
                widths: q('img.thumb').map((i) => i.complete ? i.naturalWidth : 0),
                lines: q('svg.alignment line.segment').length,
                verdict: document.querySelector('.verdict').textContent};""")
    return result


def _full_page_screenshot(driver: Any, out: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 40, 8000))
    assert driver.save_screenshot(str(out))
    assert out.stat().st_size > 10_000


def test_report_in_a_browser(browser: Any, media: ClipMedia, tmp_path: Path) -> None:
    from vidtrace.api import Library
    from vidtrace.report import write_report

    page = tmp_path / "report.html"
    with Library.open(media.library) as lib:
        report = write_report(lib, media.two_segment, page)
    browser.get(page.as_uri())
    shown = _shown_report(browser)
    n = len(report.segments)
    assert n == 2 and shown["rows"] == n and shown["lines"] == n
    assert len(shown["widths"]) == 2 * sum(len(s.pairs) for s in report.segments)
    assert all(w > 0 for w in shown["widths"]), shown["widths"]
    assert shown["verdict"] == "2 copied segments found"
    _full_page_screenshot(browser, tmp_path / "report.png")


def _wait(driver: Any, condition: Any, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(condition, message=what)


def _texts(driver: Any, selector: str) -> list[str]:
    """The text of every element matching `selector`, read in one go (the page re-renders
    its tables while it is read)."""
    texts: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.innerText);",
        selector)
    return texts


def _click_remove(driver: Any, ref_id: str) -> bool:
    """Click the Remove button of reference `ref_id`'s row; False when the row is not there or
    was re-rendered under the click (to be tried again)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        for row in driver.find_elements(By.CSS_SELECTOR, "#refs tr.reference"):
            if row.find_element(By.TAG_NAME, "td").text == ref_id:
                row.find_element(By.TAG_NAME, "button").click()
                return True
    except StaleElementReferenceException:
        pass
    return False


def test_service_page_in_a_browser(browser: Any, media: ClipMedia, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from vidtrace.service.app import create_app
    from vidtrace.service.live import live_server

    library = Path(shutil.copytree(media.library, tmp_path / "library"))
    with live_server(create_app(library, TOKEN)) as url:
        browser.get(f"{url}/#token={TOKEN}")
        assert "#token" not in browser.current_url  # moved out of the address bar
        _wait(browser, lambda d: len(_texts(d, "#refs tr.reference")) == 3, "3 references")
        # a query through the page: upload, progress, result, report
        browser.find_element(By.ID, "query-file").send_keys(str(media.two_segment))
        browser.find_element(By.ID, "query-submit").click()
        _wait(browser, lambda d: d.find_element(By.ID, "query-status").text.startswith("done:"),
              "the query to finish")
        rows = _texts(browser, "#matches tr.match")
        assert len(rows) == 2 and "big_buck_bunny_0-30s" in rows[0]
        _full_page_screenshot(browser, tmp_path / "page.png")
        browser.switch_to.frame(browser.find_element(By.ID, "report-frame"))
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".verdict"), "the report")
        shown = _shown_report(browser)
        assert shown["rows"] == 2 and shown["lines"] == 2
        assert shown["widths"] and all(w > 0 for w in shown["widths"])
        browser.switch_to.default_content()
        # add a reference through the page, then remove it
        browser.find_element(By.ID, "ref-file").send_keys(str(FRIDAY))
        browser.find_element(By.ID, "ref-id").send_keys("friday")
        browser.find_element(By.ID, "ref-submit").click()
        _wait(browser, lambda d: len(_texts(d, "#refs tr.reference")) == 4, "4 references")
        assert browser.find_element(By.ID, "ref-status").text == "added: friday"
        _wait(browser, lambda d: _click_remove(d, "friday"), "the Remove button of friday")
        _wait(browser, lambda d: len(_texts(d, "#refs tr.reference")) == 3, "3 references again")
        assert browser.find_element(By.ID, "ref-status").text == "removed friday"


def test_dedup_on_the_service_page(browser: Any, media: ClipMedia, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from vidtrace.service.app import create_app
    from vidtrace.service.live import live_server

    library = Path(shutil.copytree(media.library, tmp_path / "library"))
    with live_server(create_app(library, TOKEN)) as url:
        browser.get(f"{url}/#token={TOKEN}")
        _wait(browser, lambda d: len(_texts(d, "#refs tr.reference")) == 3, "3 references")
        # the three clips share nothing: no group, one row that says so
        browser.find_element(By.ID, "dedup-submit").click()
        _wait(browser, lambda d: d.find_element(By.ID, "dedup-status").text.startswith("done:"),
              "the first dedup run")
        assert browser.find_element(By.ID, "dedup-status").text == (
            "done: 0 overlaps in 0 groups among 3 videos")
        assert _texts(browser, "#dedup-pairs tbody tr") == ["no shared footage found"]
        assert not browser.find_element(By.ID, "dedup-groups").is_displayed()
        # the two-segment copy (3 s of water, then bunny, then highway) added as a reference
        browser.find_element(By.ID, "ref-file").send_keys(str(media.two_segment))
        browser.find_element(By.ID, "ref-id").send_keys("copy")
        browser.find_element(By.ID, "ref-submit").click()
        _wait(browser, lambda d: len(_texts(d, "#refs tr.reference")) == 4, "4 references")
        browser.find_element(By.ID, "dedup-submit").click()
        _wait(browser, lambda d: d.find_element(By.ID, "dedup-status").text.startswith(
            "done: 2"), "the second dedup run")
        assert browser.find_element(By.ID, "dedup-status").text == (
            "done: 2 overlaps in 1 group among 4 videos")
        (group,) = _texts(browser, "#dedup-groups tr.group")
        cells = group.split("\t")
        assert cells[:2] == ["1", "copy"], cells
        assert sorted(m.split(" (")[0] for m in cells[2].split(", ")) == [
            "big_buck_bunny_0-30s", "copy", "udacity_highway_lanes"]
        pairs = sorted(_texts(browser, "#dedup-pairs tr.pair"))
        assert [p.split("\t")[0] + "|" + p.split("\t")[2] for p in pairs] == [
            "big_buck_bunny_0-30s|copy", "copy|udacity_highway_lanes"]
        # the spans shown are the truth's, to the second
        truth = {s.ref_id: s for s in media.two_segment_truth.segments}
        bunny = pairs[0].split("\t")
        t = truth["big_buck_bunny_0-30s"]
        a0, a1 = (float(x) for x in bunny[1].removesuffix(" s").split("-"))
        b0, b1 = (float(x) for x in bunny[3].removesuffix(" s").split("-"))
        assert max(abs(a0 - t.ref_start), abs(a1 - t.ref_end), abs(b0 - t.query_start),
                   abs(b1 - t.query_end)) <= 1.05, (bunny, t)
        assert browser.find_element(By.ID, "dedup-rule").text.startswith(
            "Suggested original: most shared footage")
        _full_page_screenshot(browser, tmp_path / "dedup-page.png")
