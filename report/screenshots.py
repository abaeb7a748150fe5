"""`python -m report.screenshots`: the report's own pictures for the README, from the report it shows.

    python -m report.screenshots              report/out/report.html -> screenshot-desktop.png, screenshot-phone.png
    python -m report.screenshots --out DIR    the same for DIR/report.html

Renders <out>/report.html in headless Chromium (Playwright, offline, opened from disk) at 1400x900 and 390x844 and
writes the two PNGs beside it with screenshots.json, which records the `generated` stamp of the <out>/results.json
they show and each PNG's SHA-256: tests/unit/report/test_screenshots.py fails when the pictures are older than the
results. Exit 2 with one line when an input is missing or unreadable or Chromium cannot start.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from contract.atomic import write_all_atomically
from contract.matrix import display_path

OUT_DIR = Path(__file__).resolve().parent / "out"
STAMP = "screenshots.json"
# Name -> viewport (width, height): a laptop and a phone.
SIZES = {"screenshot-desktop.png": (1400, 900), "screenshot-phone.png": (390, 844)}
# Debian's chromium-headless-shell is Chromium's headless-only build (the one Playwright itself runs headless): the
# same Blink as the full browser at about two thirds of its CPU per page load. The full `chromium` serves where it is
# the only one installed.
BROWSERS = ("chromium-headless-shell", "chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL = "`apt-get install -y chromium-headless-shell`"
FIX = f"Fix: install it ({INSTALL}) or point CHROMIUM at a Chromium binary"


def default_chromium() -> str:
    """$CHROMIUM, else the first of BROWSERS on PATH, else the first's name (whose start then fails with the fix)."""
    return os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), BROWSERS[0])


class ScreenshotError(Exception):
    """An input is missing or unreadable, or the browser failed; the message names it and the fix."""


def generated(results: Path) -> str:
    """The `generated` stamp of a merged results file (report/out/results.json)."""
    try:
        return str(json.loads(results.read_text(encoding="utf-8"))["generated"])
    except FileNotFoundError:
        raise ScreenshotError(f"{display_path(results)} is missing: run `python -m report` first") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ScreenshotError(
            f"{display_path(results)} has no readable `generated` stamp ({exc}): render it again with `python -m report`"
        ) from None


def shoot(page: Path, chromium: str) -> dict[str, bytes]:
    """Each size's PNG of the page, opened from disk, once its script has drawn the chart (the last thing it does)."""
    if not (Path(chromium).is_file() or shutil.which(chromium)):  # before Playwright's driver starts (a second)
        raise ScreenshotError(f"Chromium ({chromium}) could not render {display_path(page)}: no such program. {FIX}")
    from playwright.sync_api import Error, sync_playwright

    pictures = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=ARGS, headless=True)
            try:
                for name, (width, height) in SIZES.items():
                    tab = browser.new_page(viewport={"width": width, "height": height})
                    tab.goto(page.resolve().as_uri())
                    tab.wait_for_selector("#score-chart circle", state="attached")
                    pictures[name] = tab.screenshot(full_page=False)
                    tab.close()
            finally:
                browser.close()
    except Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScreenshotError(f"Chromium ({chromium}) could not render {display_path(page)}: {first}. {FIX}") from None
    return pictures


def write_pictures(out: Path, pictures: dict[str, bytes], stamp: str) -> None:
    """The PNGs and the stamp naming their hashes, all written or none (contract/atomic.py)."""
    files = {name: hashlib.sha256(png).hexdigest() for name, png in pictures.items()}
    stamp_text = json.dumps({"generated": stamp, "files": files}, indent=1) + "\n"
    write_all_atomically({**{out / name: png for name, png in pictures.items()}, out / STAMP: stamp_text})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m report.screenshots", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder with report.html and results.json")
    parser.add_argument(
        "--chromium",
        default=default_chromium(),
        help=f"the Chromium binary (default: $CHROMIUM, else the first of {', '.join(BROWSERS)} on PATH)",
    )
    args = parser.parse_args(argv)
    page = args.out / "report.html"
    try:
        stamp = generated(args.out / "results.json")
        if not page.is_file():
            raise ScreenshotError(f"{display_path(page)} is missing: run `python -m report --out {args.out}` first")
        write_pictures(args.out, shoot(page, args.chromium), stamp)
    except ScreenshotError as exc:
        print(f"report.screenshots: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"report.screenshots: cannot write into {display_path(args.out)}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(str(args.out / name) for name in SIZES)} and {args.out / STAMP} for {stamp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
