"""End to end in Debian's headless Chromium against the real server (uvicorn on 127.0.0.1):
a unit logs in, changes its password, downloads its workbook, uploads a wrong file, reads the
receipt, uploads the corrected file and sees 已受理; the office sees it on the board.
Screenshots of the receipt and the board go to docs/ (shown in the README)."""
from __future__ import annotations

import os
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, wait_for
from tests.test_portal import PERIOD, account, workbook
from zhuanbao.tasks.core.settings import load_settings

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
DOCS = PROJECT_ROOT / "docs"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                 reason="needs Debian's chromium and chromium-driver (scripts/setup.sh)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(home, tmp_path):
    from zhuanbao.flows.portal.server import start_portal_process  # what `zhuanbao serve` starts

    port = free_port()
    process = start_portal_process(load_settings(home=home), "127.0.0.1", port, tmp_path / "portal.log")
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/healthz", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail((tmp_path / "portal.log").read_text())
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1100,1000", "--lang=zh-CN"):
        options.add_argument(arg)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


def fill(driver, **fields) -> None:
    from selenium.webdriver.common.by import By

    for name, value in fields.items():
        box = driver.find_element(By.ID, name)
        box.clear()
        box.send_keys(value)


def screenshot(driver, name: str, height: int) -> None:
    driver.set_window_size(1100, height)
    DOCS.mkdir(exist_ok=True)
    driver.save_screenshot(str(DOCS / name))


def test_a_unit_uploads_a_wrong_file_then_the_corrected_one_and_the_office_sees_it(home, server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    settings = load_settings(home=home)
    initial = account(settings, "t01", name="王填报")
    office_initial = account(settings, "office", unit=None, role="office", name="李统计")
    new_password = "河坝镇-新密码-2020"

    browser.get(f"{server}/unit?period={PERIOD}")
    assert "/login" in browser.current_url
    fill(browser, login="t01", password=initial)
    browser.find_element(By.ID, "login-button").click()
    wait_for("the first-login password page", lambda: browser.find_elements(By.ID, "current"), 30, every=0.2)
    assert "首次登录" in browser.page_source
    fill(browser, current=initial, new=new_password, again=new_password)
    browser.find_element(By.ID, "password-button").click()
    wait_for("the password to be changed", lambda: not browser.find_elements(By.ID, "current"), 30, every=0.2)
    browser.get(f"{server}/unit?period={PERIOD}")
    assert "河坝镇" in browser.page_source and "未报" in browser.find_element(By.ID, "unit-status").text

    browser.find_element(By.ID, "download").click()
    downloaded = wait_for("the download", lambda: [p for p in browser.downloads.glob("*.xlsx")], 30, every=0.2)
    assert downloaded[0].stat().st_size > 1000

    wrong = workbook(tmp_path, settings, spoil="约500", name="T01_2020-04.xlsx")
    browser.find_element(By.ID, "file").send_keys(str(wrong))
    browser.find_element(By.ID, "upload-button").click()
    wait_for("the receipt page", lambda: "/receipts/" in browser.current_url, 120, every=0.2)
    outcome = browser.find_element(By.ID, "outcome").text
    assert outcome == "退回" and "约500" in browser.page_source and "H05" in browser.page_source
    screenshot(browser, "portal-receipt.png", 1000)

    browser.set_window_size(1100, 1000)
    browser.get(f"{server}/unit?period={PERIOD}")
    corrected = workbook(tmp_path / "fixed", settings, name="T01_2020-04_更正.xlsx")
    browser.find_element(By.ID, "file").send_keys(str(corrected))
    browser.find_element(By.ID, "upload-button").click()
    wait_for("the corrected file's receipt", lambda: "/receipts/" in browser.current_url and "更正" in browser.page_source, 120,
             every=0.2)
    assert browser.find_element(By.ID, "outcome").text.startswith("已受理")
    browser.get(f"{server}/unit?period={PERIOD}")
    assert "已受理" in browser.find_element(By.ID, "unit-status").text

    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    wait_for("the login page", lambda: browser.find_elements(By.ID, "login-button"), 30, every=0.2)
    fill(browser, login="office", password=office_initial)
    browser.find_element(By.ID, "login-button").click()
    wait_for("the office's password page", lambda: browser.find_elements(By.ID, "current"), 30, every=0.2)
    fill(browser, current=office_initial, new="统计员的新密码-2020", again="统计员的新密码-2020")
    browser.find_element(By.ID, "password-button").click()
    wait_for("the office's password to be changed", lambda: not browser.find_elements(By.ID, "current"), 30,
             every=0.2)
    browser.get(f"{server}/office?period={PERIOD}")
    row = browser.find_element(By.XPATH, "//table[@id='board']//tr[td/a[text()='T01']]")
    assert "已受理" in row.text and "逾期" in row.text  # 2020-04 closed long ago
    assert "应报" in browser.find_element(By.ID, "counts").text
    screenshot(browser, "portal-board.png", 1100)
    shutil.copy(DOCS / "portal-board.png", tmp_path / "board.png")
