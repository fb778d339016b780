"""``lakecat serve`` in a real browser: Debian's headless Chromium driven by selenium
against a server on a free loopback port, on both back ends.

Each step waits for a condition (an element, a URL, a downloaded file), never for a fixed
time, and every page's screenshot must not be blank. ``LAKECAT_SCREENSHOTS=DIR`` also
keeps the screenshots there (the README's picture comes from this test).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="lakecat[serve] is not installed")

import lakecat as lc  # noqa: E402
from lakecat.hashing import hash_bytes  # noqa: E402
from lakecat.web.app import create_app  # noqa: E402
from lakecat.web.server import BackgroundServer, allowed_hosts  # noqa: E402
from tests.serve_helpers import populate  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1000", "--hide-scrollbars",
)  # fmt: skip
WAIT = 30


def _browser_or_skip() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if not missing:
        return
    reason = f"no browser for the web page tests: {', '.join(missing)} missing " \
             f"(apt-get install chromium chromium-driver; scripts/test does it)"  # fmt: skip
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="lakecat-chromium-")
    downloads = tempfile.mkdtemp(prefix="lakecat-downloads-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": downloads, "download.prompt_for_download": False,
    })  # fmt: skip
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": downloads})  # fmt: skip
    driver.downloads = Path(downloads)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
    shutil.rmtree(downloads, ignore_errors=True)


@pytest.fixture
def site(instance, tmp_path):
    demo = populate(tmp_path)
    with BackgroundServer(create_app(allowed_hosts=allowed_hosts("127.0.0.1"))) as server:
        yield server.url.rstrip("/"), demo


# ------------------------------------------------------------------ helpers


def _wait(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition, message=f"waiting for {what}")


def _element(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    return _wait(driver, ec.presence_of_element_located((By.CSS_SELECTOR, css)), css)


def _open(driver, url: str, heading: str) -> None:
    driver.get(url)
    _wait(driver, lambda d: heading in _element(d, "h1").text, f"heading {heading!r}")


def _click(driver, css: str, heading: str) -> None:
    """Click the element and wait for the next page's heading."""
    target = _element(driver, css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", target)
    target.click()
    _wait(driver, lambda d: heading in _element(d, "h1").text, f"heading {heading!r}")


def _check_screenshot(driver, name: str) -> None:
    """The page drew something: its screenshot is not one flat colour."""
    from PIL import Image, ImageStat

    png = driver.get_screenshot_as_png()
    image = Image.open(io.BytesIO(png)).convert("L")
    variance = ImageStat.Stat(image).var[0]
    assert variance > 200, f"{name}: screenshot looks blank (pixel variance {variance:.1f})"
    keep = os.environ.get("LAKECAT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        Path(keep, f"serve-{name}.png").write_bytes(png)


def _rows(driver, css: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    table = _element(driver, css)
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in table.find_elements(By.CSS_SELECTOR, "tbody tr")]  # fmt: skip


# ------------------------------------------------------------------ the tour


def test_home_and_search_a_registry(browser, site, instance):
    base, demo = site
    _open(browser, base + "/", f"Instance {instance.name}")
    counts = dict(row for row in _rows(browser, "table.counts"))
    assert counts["ULabel"] == "66" and counts["File"] == str(lc.File.all().count())
    _check_screenshot(browser, "home")
    _click(browser, "header nav a[href='/r/ulabel']", "ULabel")
    box = _element(browser, "main input[name=_search]")
    box.send_keys("experimnt")
    box.submit()
    _wait(browser, lambda d: "_search=experimnt" in d.current_url, "the search page")
    first = _rows(browser, "table.listing")[0]
    assert first[1] == "experiment"
    assert "matches for “experimnt”" in _element(browser, "p.footer-line").text
    _check_screenshot(browser, "search")


def test_a_file_its_lineage_run_and_transform(browser, site):
    base, demo = site
    _open(browser, f"{base}/r/file?_search=top-cell", "File")
    _click(browser, f"table.listing a[href='/r/file/{demo.report.uid}']",
           "reports/top-cell-types.parquet")  # fmt: skip
    assert demo.report.hash in browser.find_element("css selector", "table.fields").text
    _check_screenshot(browser, "report")
    run = demo.function_run
    _click(browser, f".lineage a.lineage-link[href='/r/run/{run.uid}'] g", f"Run {run.uid}")
    text = _element(browser, "main").text
    assert "results/cells.parquet" in text and "completed" in text
    _check_screenshot(browser, "run")
    _click(browser, f"table.fields a[href='/r/transform/{run.transform.uid}']",
           "summarise cells")  # fmt: skip
    assert run.uid in _element(browser, "section.related").text
    _check_screenshot(browser, "transform")


def test_a_file_page_and_its_download(browser, site):
    base, demo = site
    for name in browser.downloads.iterdir():
        name.unlink()
    _open(browser, f"{base}/r/file/{demo.v2.uid}", "results/cells.parquet")
    preview = _rows(browser, "table.preview-table")
    assert [row[:2] for row in preview][:3] == [["c1", "T cell"], ["c2", "B cell"],
                                                 ["c3", "T cell"]]  # fmt: skip
    _check_screenshot(browser, "file")
    _element(browser, "#download").click()
    saved = browser.downloads / "cells.parquet"
    _wait(browser, lambda d: saved.exists() and not list(d.downloads.glob("*.crdownload")),
          "the download")  # fmt: skip
    _wait(browser, lambda d: hash_bytes(saved.read_bytes()) == demo.v2.hash,
          "the downloaded bytes to be complete")  # fmt: skip
    assert saved.stat().st_size == demo.v2.size


def test_a_dataset_and_its_sql_box(browser, site):
    base, demo = site
    _open(browser, f"{base}/r/dataset?name=cell-qc&is_latest=true", "Dataset")
    _click(browser, f"table.listing a[href='/r/dataset/{demo.dataset.uid}']", "cell-qc")
    versions = _rows(browser, "section.versions table")
    assert [row[1] for row in versions] == ["WRITE", "APPEND"]
    assert [row[2] for row in versions] == ["3", "4"]
    box = _element(browser, "#sql")
    box.clear()
    box.send_keys("SELECT cell_type, count(*) AS n FROM self GROUP BY 1 ORDER BY n DESC, 1")
    _element(browser, "#run-sql").click()
    _wait(browser, lambda d: "sql=" in d.current_url, "the query page")
    assert _rows(browser, "#sql-result table") == [["T cell", "2"], ["B cell", "1"],
                                                   ["NK cell", "1"]]  # fmt: skip
    _check_screenshot(browser, "dataset")
    box = _element(browser, "#sql")
    box.clear()
    box.send_keys("DROP TABLE self")
    _element(browser, "#run-sql").click()
    _wait(browser, lambda d: "DROP" in _element(d, "#sql-error").text, "the refusal")
    assert "one read-only SELECT" in _element(browser, "#sql-error").text


def test_unknown_uid_page_offers_the_near_match(browser, site):
    base, demo = site
    uid = demo.v2.uid
    typo = uid[:-1] + ("a" if uid[-1] != "a" else "b")
    _open(browser, f"{base}/r/file/{typo}", "Not found")
    _click(browser, f".suggestions a[href='/r/file/{uid}']", "results/cells.parquet")
    _check_screenshot(browser, "not-found-followed")
