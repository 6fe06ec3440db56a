"""Pictures for the 使用手册 (docs/img/), taken from a demo home so they stay current.

    zhuanbao demo --home /tmp/demo_home                      # once (2–3 minutes)
    python scripts/docs_screenshots.py /tmp/demo_home [--no-prefect]

Works on a copy of the home (the demo stays as it was). Takes, in Debian's headless Chromium
(/usr/bin/chromium + chromedriver via Selenium, offline): the portal's login page, a unit's page and
the receipt of its rejected file (D02's `约500`) and of three common mistakes (last month's file,
a deleted row, a growth that needs explaining, another unit's file), the office's board, the Prefect UI's deployments
page (a server and the served deployments started for the copy), and page 1 of the demo 专报 (pdftoppm).
Every PNG is reduced to a palette and kept under 150 KB. The month's diagram (img/month-flow.svg) is
drawn by hand and not touched here.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PERIOD, UNIT = "2020-04", "D02"
LIMIT = 150 * 1024


def shrink(path: Path, width: int = 900) -> None:
    """Resize to `width` and reduce to a palette until the file is under 150 KB."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    for colours in (128, 64, 32):
        image.quantize(colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= LIMIT:
            return
    raise SystemExit(f"{path} is still {path.stat().st_size} bytes")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1100,900", "--lang=zh-CN"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def shot(driver, name: str, height: int = 900, width: int = 1100) -> None:
    driver.set_window_size(width, height)
    time.sleep(0.5)
    driver.save_screenshot(str(IMG / name))
    shrink(IMG / name)
    print(f"{name}: {(IMG / name).stat().st_size // 1024} KB")


def wait_url(url: str, seconds: float = 90) -> None:
    end = time.time() + seconds
    while time.time() < end:
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def log_in(driver, url: str, login: str, password: str, new: str, shoot_password: bool = False) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{url}/login")
    for field, value in (("login", login), ("password", password)):
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "login-button").click()
    if shoot_password:
        shot(driver, "portal-password.png", 560)
    for field, value in (("current", password), ("new", new), ("again", new)):
        driver.find_element(By.ID, field).send_keys(value)
    driver.find_element(By.ID, "password-button").click()


def portal_pictures(home: Path, driver) -> None:
    from selenium.webdriver.common.by import By

    from zhuanbao.flows.portal.server import start_portal_process
    from zhuanbao.flows.serve import free_port
    from zhuanbao.tasks.access.accounts import add_account
    from zhuanbao.tasks.core.settings import load_settings
    from zhuanbao.tasks.intake.registry import engine_for, session

    settings = load_settings(home=home)
    engine_for(settings.db_url)
    with session(settings.db_url) as db:
        unit_password = add_account(settings, db, "d02-guide", name="刘填报", unit_code=UNIT)[1]
        office_password = add_account(settings, db, "office-guide", name="李统计", role="office")[1]
    port = free_port()
    portal = start_portal_process(settings, "127.0.0.1", port, home / "logs" / "portal-guide.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_url(f"{url}/healthz")
        driver.get(f"{url}/login")
        shot(driver, "portal-login.png", 560)
        log_in(driver, url, "d02-guide", unit_password, "大通湖区-填报员-新密码-2020", shoot_password=True)
        driver.get(f"{url}/unit?period={PERIOD}")
        shot(driver, "portal-unit.png", 900)
        receipts = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href*='/receipts/']")]
        for href in receipts:
            driver.get(href)
            if "约500" in driver.page_source:
                shot(driver, "receipt-rejected.png", 1000)
            elif "已受理" in driver.find_element(By.ID, "outcome").text:
                shot(driver, "receipt-accepted.png", 800)
        mistakes(settings, driver, url, home / "mistakes")
        driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
        log_in(driver, url, "office-guide", office_password, "大通湖区-统计员-新密码-2020")
        driver.get(f"{url}/office?period={PERIOD}")
        shot(driver, "portal-board.png", 1200)
        driver.get(f"{url}/office/units/{UNIT}?period={PERIOD}")
        shot(driver, "portal-office-unit.png", 800)
    finally:
        portal.terminate()
        portal.wait(15)


def mistakes(settings, driver, url: str, folder: Path) -> None:
    """Receipts of the common mistakes, uploaded by D02: last month's file, a deleted row, another unit's file."""
    from selenium.webdriver.common.by import By

    from zhuanbao.tasks.core.reference import reference_for
    from zhuanbao.tasks.demo.figures import generate_month
    from zhuanbao.tasks.demo.generate import write_workbook

    reference = reference_for(settings, PERIOD)
    month = generate_month(reference, PERIOD, rng_seed=2020)[0]
    mine = {form: [dict(r) for r in rows] for form, rows in month[UNIT].items()}
    folder.mkdir(parents=True, exist_ok=True)
    cases = {
        "receipt-wrong-period.png": write_workbook(folder / f"{UNIT}_2020-03.xlsx", reference=reference,
                                                   unit_code=UNIT, period="2020-03", **mine),
        "receipt-missing-row.png": write_workbook(folder / f"{UNIT}_{PERIOD}_删行.xlsx", reference=reference,
                                                  unit_code=UNIT, period=PERIOD,
                                                  **{**mine, "indicators": mine["indicators"][1:]}),
        "receipt-soft-flag.png": write_workbook(folder / f"{UNIT}_{PERIOD}_增速.xlsx", reference=reference,
                                                unit_code=UNIT, period=PERIOD,
                                                **{**mine, "indicators": [{**mine["indicators"][0], "reported_growth": 30.0},
                                                                          *mine["indicators"][1:]]}),
        "receipt-other-unit.png": write_workbook(folder / f"T01_{PERIOD}.xlsx", reference=reference, unit_code="T01",
                                                 period=PERIOD, **month["T01"]),
    }
    for name, path in cases.items():
        driver.get(f"{url}/unit?period={PERIOD}")
        driver.find_element(By.ID, "file").send_keys(str(path))
        driver.find_element(By.ID, "upload-button").click()
        end = time.time() + 120
        while "/receipts/" not in driver.current_url and time.time() < end:
            time.sleep(0.3)
        driver.set_window_size(1100, 380)  # the outcome and the findings, which say what to fix
        heading = driver.find_element(By.XPATH, "//*[self::h1 or self::h2][contains(., '审核发现')]")
        driver.execute_script("arguments[0].scrollIntoView(); window.scrollBy(0, -60);", heading)
        time.sleep(0.3)
        driver.save_screenshot(str(IMG / name))
        shrink(IMG / name)
        print(f"{name}: {(IMG / name).stat().st_size // 1024} KB")


def prefect_picture(home: Path, driver) -> None:
    from zhuanbao.flows.serve import start_server, start_serving, stop_process

    server = start_server(home, log=home / "logs" / "prefect-server-guide.log")
    served = start_serving(home, server.api_url, log=home / "logs" / "prefect-serve-guide.log")
    try:
        end = time.time() + 120
        while time.time() < end:  # wait until the three deployments are registered
            body = urllib.request.urlopen(urllib.request.Request(
                f"{server.api_url}/deployments/filter", data=b"{}", headers={"Content-Type": "application/json"}),
                timeout=5).read().decode()
            if all(name in body for name in ('"monthly"', '"reminders"', '"rerun"')):
                break
            time.sleep(2)
        driver.get(f"{server.url}/deployments")
        time.sleep(8)  # the UI is a single-page app
        shot(driver, "prefect-deployments.png", 700, 1280)
    finally:
        stop_process(served)
        server.stop()


def report_picture(home: Path) -> None:
    pdf = min((home / "reports" / PERIOD).glob("专报_*期.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), f"{tmp}/page"], check=True)
        shutil.copy(next(Path(tmp).glob("page*.png")), IMG / "zhuanbao-page1.png")
    shrink(IMG / "zhuanbao-page1.png", 500)
    print(f"zhuanbao-page1.png: {(IMG / 'zhuanbao-page1.png').stat().st_size // 1024} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("demo_home", type=Path)
    parser.add_argument("--no-prefect", action="store_true", help="skip the Prefect UI picture")
    args = parser.parse_args()
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zhuanbao-shots-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(args.demo_home, home, ignore=shutil.ignore_patterns(".prefect", ".site", "locks"))
        report_picture(home)
        driver = browser()
        try:
            portal_pictures(home, driver)
            if not args.no_prefect:
                prefect_picture(home, driver)
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
