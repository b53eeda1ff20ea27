"""Random sequences of what a lecturer and a class do, in a real browser, with the page's
invariants checked after every action: each feature works alone, and these catch the seams
between them (a preset from the drawer that left the data view clipped, a Step after slow
motion that left a stale caption, a caption and a view quoting different numbers).

A seeded generator picks the actions. PLAYGROUND_SEQUENCE_SEEDS (comma-separated, default
"1,2") and PLAYGROUND_SEQUENCE_ACTIONS (per seed, default 30) set the run; a nightly-style
run asks for more, e.g. PLAYGROUND_SEQUENCE_SEEDS=1,2,3,4,5,6,7,8 and ..._ACTIONS=400. A
failure names the seed and the shortest prefix of actions that fails (the actions up to the
first one after which an invariant broke), which replays with that seed."""

from __future__ import annotations

import os
import random
import re
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from browsing import SHOTS
from conftest import app_log_tail
from playwright.sync_api import Page, expect

SEEDS = [int(s) for s in os.environ.get("PLAYGROUND_SEQUENCE_SEEDS", "1,2").split(",") if s]
ACTIONS = int(os.environ.get("PLAYGROUND_SEQUENCE_ACTIONS", "30"))
TABS = ("g", "scores", "loss", "latent", "metrics", "compare", "table")
SIZES = ((1280, 720), (390, 844))
CJK = re.compile(r"[\u4e00-\u9fff]")
PLAYBACK = re.compile("^(autoplay and timeline|自动播放与时间轴)$")
DRAWING = re.compile("(draw your own data|画出你自己的数据)$")
IGNORED = ("/playground/frame/", "heartbeat")  # long-lived or continuous requests
STALE_REQUEST = 60.0  # s: a request open this long is reported, not waited for (settle)

# what the page shows, read in one call after every action
READ_PAGE = r"""() => {
    const box = (el) => el ? el.getBoundingClientRect() : null;
    const status = document.querySelector('#status .status-line');
    const numbers = status && status.querySelector('p');
    const plot = document.querySelector('#view-data .js-plotly-plot');
    const full = plot && plot._fullLayout;
    const real = plot && (plot.data || []).find((t) =>
        t.marker && t.marker.color === '#0072B2' && t.x && t.x.length > 20);
    const caption = document.querySelector('#caption-box');
    const captionParts = [...document.querySelectorAll('#lecture-caption p')];
    const nodes = [...document.querySelectorAll('#model-graph [data-node]')].map((g) => {
        const rect = g.querySelector('rect');
        const r = rect ? rect.getBBox() : null;
        const texts = [...g.querySelectorAll('text')].map((t) => t.getBBox());
        return {node: g.getAttribute('data-node'), rect: r && [r.x, r.width],
                texts: texts.map((t) => [t.x, t.width])};
    });
    const spark = document.querySelector('#view-sparkline');
    const sparkShown = spark && spark.getBoundingClientRect().width > 0;
    const sparkTicks = sparkShown
        ? [...spark.querySelectorAll('text')].map((t) => t.textContent) : [];
    const badges = [...document.querySelectorAll('[data-testid=status-tracker] .error')]
        .filter((el) => el.getBoundingClientRect().width > 0).length;
    // the smallest number drawn in the main views, as seen on screen (font size x zoom)
    const drawnNumbers = [...document.querySelectorAll(
        '#model-graph text, #view-sparkline text, #view-batch text, #view-data text')]
        .filter((t) => /\d/.test(t.textContent) && t.getBoundingClientRect().width > 0)
        .map((t) => {
            const m = t.getScreenCTM();
            return [parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
                    t.textContent.slice(0, 24)];
        })
        .sort((a, b) => a[0] - b[0]);
    const words = [
        ...document.querySelectorAll('#toolbar button, #status, #lecture-caption, ' +
            '#model-graph text, #secondary [role=tab], #view-data .gtitle, #drawing .label-wrap')
    ].map((el) => el.textContent).join(' ');
    return {
        status: status ? status.textContent : '',
        statusBox: box(status), numbersBox: box(numbers),
        plot: full ? {width: full.width, box: plot.parentElement.getBoundingClientRect().width,
                      title: (full.title && full.title.text) || '',
                      x: full.xaxis.range, y: full.yaxis && full.yaxis.range,
                      scale: full.yaxis && full.yaxis.scaleanchor} : null,
        real: real ? {x: [...real.x], y: [...real.y]} : null,
        touring: !!document.querySelector('#btn-tour-next'),
        caption: box(caption),
        captionEnd: captionParts.length ? box(captionParts[captionParts.length - 1]) : null,
        nodes, sparkTicks, badges, words, smallest: drawnNumbers[0] || null,
        language: document.querySelector('#language input:checked') &&
            document.querySelector('#language input:checked').value,
    };
}"""


# a D step straight to the fast-step route, as the page sends its Step D clicks
PROBE_STEP = """async () => {
    const url = new URL(`playground/step/${window.playground.page}/step_d`, document.baseURI);
    try {
        const response = await fetch(url, {method: 'POST', cache: 'no-store',
                                           signal: AbortSignal.timeout(30000)});
        await response.text();  // a body left unread keeps the request open
        return response.status;
    } catch (error) {
        return String(error);
    }
}"""


class Sequence:
    """One browser tab driven by seeded actions; `history` lists what was done."""

    def __init__(self, page: Page, seed: int, app_url: str) -> None:
        self.page, self.rng, self.seed, self.app_url = page, random.Random(seed), seed, app_url
        self.history: list[str] = []
        self.errors: list[str] = []
        self.language = "en"
        self.inflight: dict[Any, float] = {}  # open request -> when it was sent
        self.stale: list[str] = []  # requests left open (settle)
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text[:300]))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"[:300]))
        page.on("request", self._sent)
        page.on("requestfinished", lambda request: self.inflight.pop(request, None))
        page.on("requestfailed", lambda request: self.inflight.pop(request, None))

    def _sent(self, request: Any) -> None:
        if not any(part in request.url for part in IGNORED):
            self.inflight[request] = time.monotonic()

    def done(self) -> str:
        """The actions so far, for a message."""
        return "; ".join(self.history)

    # ------------------------------------------------------------ waiting
    def settle(self, timeout: float = 240.0) -> None:
        """Until no request of the page's has been open for 300 ms (Gradio's events, the fast
        step and the after-step event it triggers). A request can stay open with the page
        working: Gradio's event stream (queue/data) while any event of the tab is unanswered,
        and, to Playwright, any response whose body the page never read (Chromium reads a
        body only when asked). One open STALE_REQUEST seconds is set aside and reported at
        the end (`stale`) once the run has answered a step (prove_alive), so that it does
        not hold every later action; a page still busy after `timeout` fails the test, with
        the requests open and the app's log."""
        deadline, quiet = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            now = time.monotonic()
            stale = [r for r, sent in self.inflight.items() if now - sent > STALE_REQUEST]
            for request in stale:
                self.inflight.pop(request, None)
                self.stale.append(f"{request.method} {request.url} after: {self.done()}")
            if stale:  # one probe for all set aside at once: each probe is a D step
                self.prove_alive()
            if self.inflight:
                quiet = None
            elif quiet is None:
                quiet = now
            elif now - quiet >= 0.3:
                return
        now = time.monotonic()
        still_open = [f"{r.method} {r.url} ({now - t:.0f} s)" for r, t in self.inflight.items()]
        raise AssertionError(
            f"seed {self.seed}: the page was still busy after {timeout:.0f} s, after: "
            f"{self.done()}\nopen: {still_open}\n"
            f"the app's log ends:\n{app_log_tail(self.app_url)}"
        )

    def prove_alive(self) -> None:
        """The tab's run still answers: a D step over the fast route (the page's own token)
        comes back with the status line, not refused after its 5 s wait for a busy run."""
        answer = self.page.evaluate(PROBE_STEP)
        if answer != 200:
            raise AssertionError(
                f"seed {self.seed}: a request stayed open {STALE_REQUEST:.0f} s and the "
                f"run does not answer a step ({answer}), after: {self.done()}\n"
                f"the app's log ends:\n{app_log_tail(self.app_url)}"
            )

    # ------------------------------------------------------------ the drawer
    def drawer_open(self) -> bool:
        box = self.page.locator("#drawer").bounding_box()
        return box is not None and box["x"] >= 0

    def open_drawer(self) -> None:
        if not self.drawer_open():
            self.page.click("#drawer .toggle-button")
            self.page.wait_for_function(
                "() => document.querySelector('#drawer').getBoundingClientRect().left >= 0"
            )

    def close_drawer(self) -> None:
        """Before the toolbar: the drawer slides over it."""
        if self.drawer_open():
            self.page.click("#drawer .toggle-button")
            self.page.wait_for_timeout(350)

    # ------------------------------------------------------------ actions
    def click(self, selector: str) -> None:
        self.close_drawer()
        self.page.locator(selector).scroll_into_view_if_needed()
        self.page.click(selector)

    def button(self, selector: str, name: str) -> Callable[[], str]:
        """The action of pressing one toolbar button."""

        def press() -> str:
            self.click(selector)
            return name

        return press

    def run(self) -> str:
        n = self.rng.randint(5, 60)
        self.close_drawer()
        self.page.fill("#run-n input", str(n))
        self.click("#btn-run")
        return f"Run N={n}"

    def play(self) -> str:
        seconds = self.rng.uniform(0.5, 1.5)
        self.click("#btn-play")
        self.page.wait_for_timeout(seconds * 1000)
        self.settle_playing()
        self.click("#btn-play")
        return f"Play {seconds:.1f} s, Pause"

    def settle_playing(self) -> None:
        """Playing sends frame requests without end: wait for Play's own event only."""
        self.page.wait_for_timeout(200)

    def pick(self, dropdown: str) -> str:
        """A random option of a drawer dropdown (by position: the names are translated)."""
        self.open_drawer()
        self.page.locator(f"{dropdown} input").click()
        options = self.page.get_by_role("option")
        options.first.wait_for()
        option = options.nth(self.rng.randrange(options.count()))
        name = option.inner_text().strip()
        option.click()
        return name

    def preset(self) -> str:
        return f"preset {self.pick('#ctl-preset')}"

    def tour(self) -> str:
        name = self.pick("#tour-pick")
        self.page.click("#btn-tour-start")
        return f"tour {name}"

    def tour_next(self) -> str:
        if not self.page.locator("#btn-tour-next").count():
            return self.button("#btn-step", "Step (no tour on)")()
        self.click("#btn-tour-next")
        return "Next tour step"

    def apply_live(self) -> str:
        lr = self.rng.choice(("0.0001", "0.0002", "0.0005"))
        self.open_drawer()
        panel = self.page.locator("#setup-panel")
        if not self.page.locator("#ctl-lr_d input").is_visible():
            panel.get_by_text(re.compile("^(setup|设置)$")).first.click()
        self.page.fill("#ctl-lr_d input", lr)
        self.page.click("#btn-apply")
        return f"Apply lr_d={lr}"

    def tab(self) -> str:
        """A secondary tab whose button is shown (none in presenter view; a phone shows
        some and folds the rest into a menu)."""
        name = self.rng.choice(TABS)
        self.close_drawer()
        button = self.page.locator(f"#tab-{name}-button")
        if not button.is_visible():
            return f"tab {name} (hidden here: none opened)"
        button.scroll_into_view_if_needed()
        button.click()
        return f"tab {name}"

    def language_switch(self) -> str:
        self.language = "zh-CN" if self.language == "en" else "en"
        self.open_drawer()
        choice = "简体中文" if self.language == "zh-CN" else "English"
        self.page.locator("#language").get_by_text(choice, exact=True).click()
        return f"language {self.language}"

    def presenter(self) -> str:
        self.open_drawer()
        self.page.locator("#presenter input").click()  # presenter view closes the drawer
        return "presenter view on/off"

    def resize(self) -> str:
        width, height = self.rng.choice(SIZES)
        self.page.set_viewport_size({"width": width, "height": height})
        return f"window {width}×{height}"

    def layer(self) -> str:
        self.close_drawer()
        boxes = self.page.locator("#data-layers input[type=checkbox]")
        index = self.rng.randrange(max(1, boxes.count()))
        if not boxes.count() or not boxes.nth(index).is_visible():  # images; presenter view
            return f"data layer {index} (hidden here: unchanged)"
        boxes.nth(index).scroll_into_view_if_needed()
        boxes.nth(index).click()
        return f"data layer {index} on/off"

    def open_accordion(self, selector: str, inside: str, label: re.Pattern[str]) -> bool:
        """Open accordion `selector` unless `inside` is already showing; False if the
        accordion is not on the page here (images have no drawing; presenter view)."""
        accordion = self.page.locator(selector)
        if not accordion.is_visible():
            return False
        if not self.page.locator(inside).is_visible():
            accordion.get_by_text(label).first.click()
            self.page.locator(inside).wait_for(state="visible")
        return True

    def rewind(self) -> str:
        """Back to a random earlier iteration with the drawer's timeline."""
        self.open_drawer()
        number = self.page.locator("#timeline input[type='number']")
        self.open_accordion("#playback", "#timeline input[type='number']", PLAYBACK)
        target = self.rng.randint(0, int(float(number.get_attribute("max") or 0)))
        number.fill(str(target))
        number.press("Enter")
        return f"rewind to {target}"

    def draw(self) -> str:
        """Paint a blob on the data view and train on the drawing (2-D data only)."""
        self.close_drawer()
        if not self.open_accordion("#drawing", "#draw-on input", DRAWING):
            return "draw (hidden here: nothing drawn)"
        self.page.locator("#draw-on input").check()
        plot = self.page.locator("#view-data .nsewdrag").first
        plot.scroll_into_view_if_needed()
        box = plot.bounding_box()
        for _ in range(2):
            x = box["x"] + box["width"] * self.rng.uniform(0.25, 0.75)
            y = box["y"] + box["height"] * self.rng.uniform(0.25, 0.75)
            self.page.mouse.move(x, y)
            self.page.mouse.down()
            for i in range(12):
                self.page.mouse.move(x + 2 * i, y + i)
            self.page.mouse.up()
        self.page.locator("#draw-on input").uncheck()
        self.click("#btn-draw-train")
        return "draw two strokes, Train on my drawing"

    def choose(self) -> Callable[[], str]:
        press = self.button
        weighted = [
            (press("#btn-step-d", "Step D"), 3), (press("#btn-step-g", "Step G"), 3),
            (press("#btn-step", "Step"), 4), (self.run, 3), (self.play, 1), (self.preset, 2),
            (self.tour, 1), (self.tour_next, 2), (self.apply_live, 1),
            (press("#btn-explain", "Explain next iteration"), 2),
            (press("#btn-next", "Next ▶"), 3), (press("#btn-back", "◀ Back"), 1),
            (self.tab, 2), (self.language_switch, 1), (self.presenter, 1), (self.resize, 1),
            (self.layer, 1), (self.rewind, 1), (self.draw, 1),
        ]  # fmt: skip
        actions, weights = zip(*weighted, strict=True)
        return self.rng.choices(actions, weights)[0]

    # ------------------------------------------------------------ invariants
    def check(self) -> list[str]:
        """The invariants. A view scrolled out of the window is drawn when it comes into
        view (the page keeps its newest figure): it is brought into view first."""
        view = self.page.locator("#view-data")
        box, height = view.bounding_box(), self.page.viewport_size["height"]
        if box is None or box["y"] + 120 > height or box["y"] + box["height"] < 120:
            view.scroll_into_view_if_needed()
            self.page.wait_for_timeout(300)
            self.settle()
        seen = self.page.evaluate(READ_PAGE)
        problems = list(self.errors)
        self.errors.clear()
        match = re.search(r"Iteration (\d+)|第 (\d+) 轮迭代", seen["status"])
        if not match:
            return [*problems, f"no iteration in the status line: {seen['status']!r}"]
        iteration = int(match[1] or match[2])
        plot = seen["plot"]
        if plot is None:
            problems.append("the data view has no plot")
        else:
            shown = re.search(r"iteration (\d+)|第 (\d+) 轮", plot["title"])
            if shown and int(shown[1] or shown[2]) != iteration:
                problems.append(f"data view at {plot['title']!r}, status at {iteration}")
            if plot["width"] > plot["box"] + 2:
                problems.append(f"data view drawn {plot['width']} wide in a {plot['box']} box")
            real = seen["real"]
            if real and plot["scale"] == "x":  # 2-D points: the axes hold the real data
                xs, ys = sorted(real["x"]), sorted(real["y"])
                lo, hi = int(0.02 * len(xs)), int(0.98 * len(xs)) - 1
                inside = (
                    plot["x"][0] <= xs[lo] and xs[hi] <= plot["x"][1]
                    and plot["y"][0] <= ys[lo] and ys[hi] <= plot["y"][1]
                )  # fmt: skip
                if not inside:
                    problems.append(f"data view axes {plot['x']} {plot['y']} cut the data")
        ticks = [t for t in seen["sparkTicks"] if t.isdigit()]
        if iteration and ticks and int(ticks[-1]) != iteration:
            problems.append(f"sparkline ends at {ticks[-1]}, status at {iteration}")
        numbers, status = seen["numbersBox"], seen["statusBox"]
        if numbers and status and numbers["bottom"] > status["bottom"] + 1:
            problems.append("the status line's numbers are cut off")
        end, caption = seen["captionEnd"], seen["caption"]
        if seen["touring"] and end and caption and end["bottom"] > caption["bottom"] + 1:
            problems.append(f"the tour's caption ends at {end['bottom']}, its box at {caption}")
        for node in seen["nodes"]:
            if not node["rect"]:
                continue
            left, width = node["rect"]
            for x, w in node["texts"]:
                if x < left - 2 or x + w > left + width + 2:
                    problems.append(f"graph label of {node['node']} overflows its box")
        smallest = seen["smallest"]
        if self.page.viewport_size["width"] == 1280 and smallest and smallest[0] < 11.95:
            problems.append(f"{smallest[1]!r} drawn {smallest[0]:.1f} px high (< 12 px)")
        if seen["badges"]:
            problems.append("an error badge is on the page")
        if self.language == "en" and CJK.search(seen["words"]):
            problems.append(f"Chinese on an English page: {CJK.search(seen['words'])[0]}")
        switch = {"English": "en", "简体中文": "zh-CN"}.get(seen["language"])
        if switch != self.language:
            problems.append(f"the language switch shows {seen['language']!r}")
        if self.language == "zh-CN" and "Iteration" in seen["status"]:
            problems.append("English status line on a Chinese page")
        return problems


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_keep_every_view_current_and_whole(browser, app_url, seed) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-US")
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#view-data .js-plotly-plot")).to_be_attached(timeout=60_000)
    expect(page.locator("#status")).to_contain_text("Iteration 0 ", timeout=30_000)
    run = Sequence(page, seed, app_url)
    run.settle()
    for index in range(ACTIONS):
        run.history.append(run.choose()())
        run.settle()
        problems = run.check()
        if problems:
            page.screenshot(path=str(SHOTS / f"sequence-seed{seed}-fails.png"))
            steps = "\n".join(f"  {i + 1}. {a}" for i, a in enumerate(run.history))
            raise AssertionError(
                f"seed {seed}: after action {index + 1} of the shortest failing prefix:\n"
                f"{steps}\nbroke: {problems}\nrequests left open: {run.stale}"
            )
    page.screenshot(path=str(SHOTS / f"sequence-seed{seed}-end.png"))
    context.close()
    for request in run.stale:  # the views stayed whole and current: said, not failed
        message = f"seed {seed}: a request stayed open {STALE_REQUEST:.0f} s: {request}"
        warnings.warn(message, stacklevel=1)
