"""Makes docs/screenshot.png: the page of `vidsearch serve` on a library, after uploading QUERY.

    make demo        # indexes the real footage into ./vidsearch.db
    python docs/screenshot.py demo-data/real/test/pose2sim_multi/pose2sim_multi_cam02_query.mp4

Needs Debian's chromium and chromium-driver (installed by `make test`).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("query", type=Path)
    parser.add_argument("--db", default="vidsearch.db")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "screenshot.png")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    work = Path(tempfile.mkdtemp())
    server = subprocess.Popen([sys.executable, "-m", "vidsearch", "serve", "--db", args.db, "--port", str(port),
                               "--data-dir", str(work / "data")])
    url = f"http://127.0.0.1:{port}"
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--user-data-dir={work / 'profile'}", "--window-size=1280,1250", "--hide-scrollbars"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        driver.get(url)
        wait = WebDriverWait(driver, 120)
        wait.until(lambda d: "indexed" in d.find_element(By.ID, "stats").text)
        file_input = driver.find_element(By.ID, "file")
        driver.execute_script("arguments[0].hidden = false", file_input)
        file_input.send_keys(str(args.query.resolve()))
        driver.execute_script("arguments[0].hidden = true", file_input)
        wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#results .card")))
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('#results img')].every(i => i.complete && i.naturalWidth > 0)"))
        time.sleep(1.0)
        driver.save_screenshot(str(args.out))
        print(f"written {args.out}")
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
