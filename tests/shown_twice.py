"""Real-browser helper: record every moment two charts of one key are on screen at once.

During a run Streamlit keeps some elements of the run before until the run ends: a chart whose figure changed is a
new element, and its old one stays in the page, hidden (display: none, data-retained), so ``.st-key-K .js-plotly-plot``
can match two; a block that moved to another place stays where it was, shown and faded, until the run ends (two
charts on screen). Only the second is seen by a user, so only charts that are shown count here."""

from __future__ import annotations

WATCH = """(keys) => { window.twoShown = []; const start = performance.now();
  new MutationObserver(() => { for (const key of keys) {
    const shown = [...document.querySelectorAll(`.st-key-${key} .js-plotly-plot`)]
      .filter(e => e.getClientRects().length);  // display: none has none
    if (shown.length > 1) {
      window.twoShown.push(`${Math.round(performance.now() - start)} ms: ${shown.length} × ${key}`);
    }
  } }).observe(document.body, {subtree: true, childList: true, attributes: true}); }"""


def watch(page, keys) -> None:
    """Start recording (in the page) each moment two charts of a key in ``keys`` are shown."""
    page.evaluate(WATCH, list(keys))


def seen(page) -> list[str]:
    """What was recorded since ``watch``: "1088 ms: 2 × directions_walk", ..."""
    return page.evaluate("window.twoShown")
