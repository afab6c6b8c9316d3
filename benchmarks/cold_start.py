"""Cold start: `streamlit run app.py` to the first paint of the home page in headless chromium.

The browser is already open (a student's laptop), the server is not: each round starts a fresh
`streamlit run` process, polls its health endpoint, loads the page and waits until the home page's
title is visible. Reported per round: server up (health answers), first paint of the title, and the
page settled (no "running" indicator). TensorFlow must not be on that path: the app imports it in a
background thread after the first paint. Median of --rounds (default 5). The server's CPU seconds until first paint are reported too: on a
shared, busy machine they tell what the wall time would be on an idle one.

    .venv/bin/python benchmarks/cold_start.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: unlike wall time, it does not grow when the machine is busy."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(browser, cache_dir: str) -> dict:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    page = browser.new_page()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", os.path.join(ROOT, "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "AELAB_CACHE_DIR": cache_dir},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
            if time.perf_counter() - start > 60:
                raise RuntimeError("the server did not start within 60 s")
        up = time.perf_counter() - start
        cpu_up = cpu_seconds(proc.pid)
        page.goto(url)
        page.get_by_role("heading", name="Autoencoder Lab").first.wait_for(state="visible", timeout=60_000)
        painted = time.perf_counter() - start
        cpu_painted = cpu_seconds(proc.pid)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                               timeout=60_000)
        settled = time.perf_counter() - start
        return {"server up": up, "first paint": painted, "settled": settled,
                "server CPU until up": cpu_up, "server CPU until first paint": cpu_painted,
                "load average": os.getloadavg()[0]}
    finally:
        page.close()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    cache_dir = tempfile.mkdtemp(prefix="aelab-cold-")
    # mnist-5k is parsed into the cache folder once (as on any installed server), not on every start.
    subprocess.run([sys.executable, "-c", "from aecore.config import DataConfig; from aecore.data import "
                    "load_dataset; load_dataset(DataConfig())"], cwd=ROOT, check=True,
                   env={**os.environ, "AELAB_CACHE_DIR": cache_dir})
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for i in range(args.rounds):
            rows.append(one_round(browser, cache_dir))
            print(f"round {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in rows[-1].items()), flush=True)
        browser.close()
    print()
    print("| measure (s, except the load average) | median | min | max |")
    print("|---|---|---|---|")
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(f"| {key} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
