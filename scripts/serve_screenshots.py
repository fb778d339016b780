"""Take the README's screenshots of ``lakecat serve`` on a fresh ``lakecat demo`` instance.

Run by hand (needs lakecat[serve], selenium and Debian's chromium + chromium-driver):
    python scripts/serve_screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,900", "--hide-scrollbars",
)  # fmt: skip


def browser(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(options=options, service=Service(driver))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="docs/img")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lakecat-shots-"))
    os.environ["LAKECAT_HOME"] = str(work / "home")
    import lakecat as lc
    from lakecat.cli.demo import run_demo
    from lakecat.web.app import create_app
    from lakecat.web.server import BackgroundServer, allowed_hosts

    run_demo(str(work / "lakecat-demo"), echo=lambda _: None)
    lc.connect(str(work / "lakecat-demo"))
    file = lc.File.get(key="results/cells.parquet")
    dataset = lc.Dataset.get(name="cell-qc")
    sql = "SELECT+cell_type,+avg(n_genes)+AS+mean_genes+FROM+self+GROUP+BY+1+ORDER+BY+1"
    pages = {"serve-file": f"/r/file/{file.uid}", "serve-dataset": f"/r/dataset/{dataset.uid}"
             f"?sql={sql}"}  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    driver = browser(str(work / "profile"))
    try:
        with BackgroundServer(create_app(allowed_hosts=allowed_hosts("127.0.0.1"))) as server:
            for name, path in pages.items():
                driver.get(server.url.rstrip("/") + path)
                driver.find_element("css selector", "footer")
                height = driver.execute_script("return document.body.scrollHeight")
                driver.set_window_size(1280, min(int(height) + 140, 2200))
                driver.save_screenshot(str(out / f"{name}.png"))
                print(out / f"{name}.png")
    finally:
        driver.quit()
        lc.disconnect()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
