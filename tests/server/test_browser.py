"""The web page in a real headless Chromium against `vidsearch serve` (a real process owning an embedded database)."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.model]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(library, tmp_path_factory):
    root, specs = library
    work = tmp_path_factory.mktemp("served")
    db = str(work / "web.db")
    from vidsearch.datasets.synthetic import render_long
    from vidsearch.video.encode import write_video

    film = write_video(work / "long" / "film" / "film.mp4", render_long(7, 40.0, fps=12.0), 12.0)  # segment search
    for source in (root, film.parent.parent):
        index = subprocess.run([sys.executable, "-m", "vidsearch", "index", str(source), "--db", db, "--quiet"],
                               capture_output=True, text=True, timeout=600)
        assert index.returncode == 0, index.stderr
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "vidsearch", "serve", "--db", db, "--port", str(port),
                               "--data-dir", str(work / "data")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail(f"server did not start: {server.stderr.read().decode()[-2000:]}")
    yield url, db, root, specs, film
    server.terminate()
    server.wait(timeout=30)


def test_indexing_into_a_database_the_server_owns_is_explained(served):
    _, db, root, _, _ = served
    result = subprocess.run([sys.executable, "-m", "vidsearch", "index", str(root), "--db", db],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "in use by another process" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture()
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver_path, "install Debian's chromium and chromium-driver (make test does)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def choose(browser, path):
    """What the file picker does: WebDriver types the path into the (hidden) file input."""
    from selenium.webdriver.common.by import By

    file_input = browser.find_element(By.ID, "file")
    browser.execute_script("arguments[0].hidden = false", file_input)
    file_input.send_keys(str(path))
    browser.execute_script("arguments[0].hidden = true", file_input)


def test_upload_shows_the_right_video_first(served, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.conftest import make_video

    url, _, _, specs, _ = served
    query = make_video(tmp_path / "my query.mp4", specs[6], transform=lambda f: f[8:-8, 10:-10])
    browser.get(url)
    wait = WebDriverWait(browser, 120)
    wait.until(lambda d: "21 videos indexed" in d.find_element(By.ID, "stats").text)
    choose(browser, query)
    wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#results .card")))
    cards = browser.find_elements(By.CSS_SELECTOR, "#results .card")
    assert len(cards) == 10
    assert cards[0].find_element(By.CLASS_NAME, "label").text == specs[6].motion
    assert len(browser.find_elements(By.CSS_SELECTOR, "#tags li")) == 5
    assert not browser.find_element(By.ID, "status").is_displayed()  # the spinner is gone
    wait.until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('#results img')].slice(0, 4).every(i => i.complete && i.naturalWidth > 0)"))
    time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-search.png"))
    cards[0].click()
    wait.until(lambda d: d.execute_script("return document.getElementById('player').open"))
    src = browser.find_element(By.ID, "player-video").get_attribute("src")
    assert src.endswith(f"/api/videos/{cards[0].get_attribute('data-id')}/file#t=0.00")
    assert httpx.get(src.split("#")[0], headers={"Range": "bytes=0-15"}).status_code == 206


def test_an_excerpt_shows_where_it_matched_and_plays_from_there(served, browser, tmp_path):
    """A 5-s excerpt of the 40-s film: the card shows the interval on a timeline; clicking plays from it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from vidsearch.datasets.synthetic import render_long
    from vidsearch.video.encode import write_video

    url = served[0]
    frames = list(render_long(7, 40.0, fps=12.0))
    query = write_video(tmp_path / "excerpt.mp4", frames[int(22.0 * 12) : int(27.0 * 12)], 12.0)
    browser.get(url)
    wait = WebDriverWait(browser, 120)
    choose(browser, query)
    wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#results .card")))
    first = browser.find_elements(By.CSS_SELECTOR, "#results .card")[0]
    assert first.find_element(By.CLASS_NAME, "label").text == "film"
    start = float(first.get_attribute("data-start"))
    assert abs(start - 22.0) <= 2.0
    assert "match at 0:2" in first.find_element(By.CLASS_NAME, "when").text
    mark = first.find_element(By.CSS_SELECTOR, ".timeline .interval")
    left = float(mark.value_of_css_property("left").rstrip("px"))
    width = float(first.find_element(By.CLASS_NAME, "timeline").value_of_css_property("width").rstrip("px"))
    assert abs(left / width - start / 40.0) < 0.02  # drawn where it lies in the 40-s video
    first.click()
    wait.until(lambda d: d.execute_script("return document.getElementById('player').open"))
    player = browser.find_element(By.ID, "player-video")
    assert player.get_attribute("src").endswith(f"#t={start:.2f}")
    state = WebDriverWait(browser, 60).until(lambda d: d.execute_script(
        "const v = document.getElementById('player-video');"
        "return v.error ? {error: v.error.code} : (v.readyState >= 1 ? {time: v.currentTime} : null)"))
    if "time" in state:  # this Chromium decodes H.264: the player really starts at the match
        assert state["time"] >= start - 0.5, state


def test_error_state_for_a_non_video(served, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = served[0]
    bad = tmp_path / "notes.mp4"
    bad.write_text("definitely not a video\n" * 20)
    browser.get(url)
    choose(browser, bad)
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "error").is_displayed())
    assert "not a video" in browser.find_element(By.ID, "error").text


def test_filters_and_search_by_action_name(served, browser, tmp_path):
    """The filter row narrows an upload's search; the action box finds videos by a class name, offers the
    closest names for a partial one, and shows a clear message for a name nothing resembles."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.conftest import make_video

    url, _, _, specs, _ = served
    wait = WebDriverWait(browser, 120)
    browser.get(url)
    browser.find_element(By.ID, "f-label").send_keys(specs[3].motion)
    choose(browser, make_video(tmp_path / "q.mp4", specs[9]))  # another motion: the filter decides
    wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#results .card")))
    cards = browser.find_elements(By.CSS_SELECTOR, "#results .card")
    assert [c.find_element(By.CLASS_NAME, "label").text for c in cards] == [specs[3].motion]
    assert "filtered" in browser.find_element(By.ID, "results-title").text
    browser.find_element(By.ID, "f-clear").click()

    video_id = cards[0].get_attribute("data-id")
    action = httpx.get(f"{url}/api/videos/{video_id}").json()["tags"][0]["label"]
    box = browser.find_element(By.ID, "action")
    box.send_keys(action.split()[-1][:-1] + "\n")  # a partial, misspelt name: the last word, cut short
    wait.until(lambda d: d.find_element(By.ID, "results-title").text.startswith("Most likely to show"))
    wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, "#results .card")))
    assert browser.find_element(By.ID, "suggestions").is_displayed()
    shown = browser.find_element(By.ID, "results-title").text
    first = browser.find_elements(By.CSS_SELECTOR, "#results .card")[0]
    assert "% likely" in first.find_element(By.CLASS_NAME, "dist").text and "best at" in first.text
    box.clear()
    box.send_keys(action + "\n")
    wait.until(lambda d: d.find_element(By.ID, "results-title").text == f"Most likely to show “{action}”")
    assert not browser.find_element(By.ID, "suggestions").is_displayed() and shown
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "web-actions.png"))
    box.clear()
    box.send_keys("xyzzy qwrtp\n")
    wait.until(lambda d: d.find_element(By.ID, "error").is_displayed())
    assert "no Kinetics-400 action resembles" in browser.find_element(By.ID, "error").text
    assert not browser.find_element(By.ID, "status").is_displayed()


@pytest.fixture(scope="module")
def copies_report(tmp_path_factory):
    """The duplicates corpus indexed with the real model, and `vidsearch duplicates` at its defaults."""
    import json

    from tests.duplicates_corpus import build

    work = tmp_path_factory.mktemp("duplicates")
    corpus = build(work / "videos")
    db, html = str(work / "copies.db"), work / "report.html"
    index = subprocess.run([sys.executable, "-m", "vidsearch", "index", str(work / "videos"), "--db", db, "--quiet"],
                           capture_output=True, text=True, timeout=900)
    assert index.returncode == 0, index.stderr
    found = subprocess.run([sys.executable, "-m", "vidsearch", "duplicates", "--db", db, "--json", "--html", str(html)],
                           capture_output=True, text=True, timeout=900)
    assert found.returncode == 0, found.stderr
    return corpus, json.loads(found.stdout), html


def test_duplicates_with_the_real_model_and_the_report_in_the_browser(copies_report, browser):
    """At the defaults nothing but copied pairs: black frames and title cards pair nothing, and the two clips of
    one synthetic scene (same background and sprite, different motion), which I3D puts near each other, are told
    apart on their frames. Every copied pair is found, a's copies with the compilation too (their run goes on
    into its c part at the same offset: the frames refuse it as a whole and keep its half of a's footage)."""
    from selenium.webdriver.common.by import By

    from tests.duplicates_corpus import COPIED
    from vidsearch.sources import stable_id

    corpus, report, html = copies_report
    name_of = {stable_id(path.name): name for name, path in corpus.items()}
    pairs = {tuple(sorted((name_of[p["a"]], name_of[p["b"]]))) for p in report["pairs"]}
    assert pairs == COPIED
    assert not {"black", "card_1", "card_2", "fade_in"} & {name for pair in pairs for name in pair}
    browser.get(html.as_uri())
    sections = browser.find_elements(By.CSS_SELECTOR, ".pair")
    assert len(sections) == len(report["pairs"])
    shown = {(int(s.get_attribute("data-a")), int(s.get_attribute("data-b"))) for s in sections}
    assert shown == {(p["a"], p["b"]) for p in report["pairs"]}
    assert browser.execute_script(
        "return [...document.querySelectorAll('.pair img')].every(i => i.complete && i.naturalWidth > 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "duplicates-report.png"))


def test_the_page_links_to_the_duplicates_view(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = served[0]
    browser.get(url)
    href = browser.find_element(By.ID, "duplicates-link").get_attribute("href")
    assert href.endswith("/duplicates")
    browser.get(href)  # the defaults: the vectors propose, the frames decide (17 s here; 115 s before FootageReader)
    WebDriverWait(browser, 300).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".summary"))
    assert "/duplicates" in browser.current_url and "copies in the library" in browser.title
    assert "segments searched" in browser.find_element(By.CSS_SELECTOR, ".summary").text
