"""The page in headless Debian Chromium via Playwright: click, watch every view update.
Waits are on DOM content, never fixed sleeps. Screenshots land in test-output/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

SHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[Page]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#view-batch .js-plotly-plot")).to_be_attached(timeout=60_000)
    yield page
    context.close()


def _iteration(page: Page) -> int:
    match = re.search(r"Iteration (\d+)", page.locator("#status").inner_text())
    assert match, page.locator("#status").inner_text()
    return int(match.group(1))


def _plot_text(page: Page, view: str) -> str:
    """The rendered SVG/HTML of a Plotly view: changes whenever the figure is redrawn."""
    return page.locator(f"#{view} .js-plotly-plot").first.inner_html()


def _open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_step_d_then_step_g_updates_the_views(page: Page) -> None:
    status = page.locator("#status")
    page.click("#btn-step-d")
    expect(status).to_contain_text("D steps 1 · G steps 0", timeout=30_000)
    expect(page.locator("#view-batch")).to_contain_text("D step: x = [fake; real], 128 rows")
    table = page.locator("#batch-table")
    expect(table).to_contain_text("fake G(z)")
    expect(table).to_contain_text("real")
    page.screenshot(path=str(SHOTS / "01-step-d.png"), full_page=True)

    page.click("#btn-step-g")
    expect(status).to_contain_text("Iteration 1 · D steps 1 · G steps 1", timeout=30_000)
    _open_tab(page, "2 · G step (D_on_G)")
    g_md = page.locator("#g-step-md")
    expect(g_md).to_contain_text("‖Δθ_D‖ = 0")
    expect(g_md).to_contain_text("(D frozen)")
    expect(page.locator("#view-g")).to_contain_text("D_on_G = D(G(z)), target 1")
    page.screenshot(path=str(SHOTS / "02-step-g.png"), full_page=True)

    for tab, view, text in (
        ("3 · D scores", "view-scores", "D scores"),
        ("4 · losses", "view-loss", "losses"),
        ("5 · data / samples", "view-data", "decision field"),
    ):
        _open_tab(page, tab)
        expect(page.locator(f"#{view}")).to_contain_text(text)
        expect(page.locator(f"#{view} .js-plotly-plot")).to_be_visible()
    page.screenshot(path=str(SHOTS / "03-data-view.png"), full_page=True)


def test_step_draws_into_the_plot_on_screen_and_later_events_still_redraw(page: Page) -> None:
    """Step's figures are drawn straight into the plot on screen (the live feed); gr.Plot
    still redraws afterwards, also when its new figure equals the one it held before the
    step, and the plot still follows the window's width."""
    no_step = "No D step yet"
    expect(page.locator("#view-batch")).to_contain_text(no_step)
    plot = page.locator("#view-batch .js-plotly-plot").first
    handle = plot.element_handle()
    page.click("#btn-step")
    expect(page.locator("#view-batch")).to_contain_text("128 rows", timeout=30_000)
    # the same chart element, redrawn in place rather than rebuilt
    assert page.evaluate("(el) => el.isConnected", handle)
    width = float(page.locator("#view-batch .main-svg").first.get_attribute("width"))
    page.set_viewport_size({"width": 1000, "height": 1000})
    page.wait_for_function(
        "(w) => +document.querySelector('#view-batch .main-svg').getAttribute('width') < w",
        arg=width - 50,
        timeout=30_000,
    )
    page.click("#btn-reset")  # a fresh run: the same "no D step" figure as on page load
    expect(page.locator("#status")).to_contain_text("Iteration 0 ", timeout=30_000)
    expect(page.locator("#view-batch")).to_contain_text(no_step, timeout=30_000)
    # a refused Run draws nothing: the figures of the last step must not come back
    page.locator("#run-n input").fill("0")
    page.click("#btn-run")
    expect(page.get_by_text("N: run between 1 and 100000 iterations").first).to_be_visible()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    expect(page.locator("#view-batch")).to_contain_text(no_step)


def test_play_then_pause(page: Page) -> None:
    frames: list[str] = []  # autoplay's frame requests (the plots' live feed)
    page.on("request", lambda r: frames.append(r.url) if "/playground/frame/" in r.url else None)
    page.click("#btn-play")
    expect(page.locator("#btn-play")).to_contain_text("Pause", timeout=10_000)
    page.wait_for_function(
        "() => /Iteration ([0-9]+)/.exec(document.querySelector('#status').innerText)[1] >= 200",
        timeout=60_000,
    )
    _open_tab(page, "4 · losses")
    before = _plot_text(page, "view-loss")
    page.wait_for_function(
        "(old) => document.querySelector('#view-loss .js-plotly-plot').innerHTML !== old",
        arg=before,
        timeout=30_000,
    )  # the loss curve keeps redrawing while playing
    page.click("#btn-play")
    expect(page.locator("#btn-play")).to_contain_text("Play", timeout=10_000)
    # paused: the iteration count settles and stays put
    page.wait_for_function(
        """() => new Promise(resolve => {
            const read = () => document.querySelector('#status').innerText;
            const first = read();
            setTimeout(() => resolve(read() === first), 1500);
        })""",
        timeout=30_000,
        polling=2000,
    )
    stopped = _iteration(page)
    assert stopped >= 200
    # the plots came as frames fetched with this tab's token, which Pause retired
    assert len(frames) >= 10 and len(set(frames)) == 1
    assert page.request.get(frames[0]).status == 404
    assert page.request.get(frames[0][:-4] + "abcd").status == 404
    page.screenshot(path=str(SHOTS / "04-after-play.png"), full_page=True)
    page.click("#btn-step")
    expect(page.locator("#status")).to_contain_text(f"Iteration {stopped + 1} ", timeout=30_000)


def test_a_diverging_run_pauses_and_says_so(browser, app_url: str) -> None:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(app_url + "?preset=lr-too-high")
    expect(page.locator("#view-batch .js-plotly-plot")).to_be_attached(timeout=60_000)
    page.click("#btn-play")
    status = page.locator("#status")
    expect(status).to_contain_text("diverged at iteration", timeout=60_000)
    expect(status).to_contain_text("Rewind with the timeline")
    expect(page.locator("#btn-play")).to_have_text("▶ Play", timeout=10_000)
    page.screenshot(path=str(SHOTS / "07-diverged.png"), full_page=True)
    page.context.close()


def _slide_and_see_g_of_z_change(page: Page, steps: int) -> None:
    """Move the first latent slider `steps` notches, release it, wait for G(z) to redraw."""
    before = _plot_text(page, "view-latent")
    slider = page.locator("#z-slider-0 input[type=range]")
    slider.focus()
    for _ in range(steps):
        slider.press("ArrowRight")
    slider.dispatch_event("pointerup")
    slider.dispatch_event("change")
    page.wait_for_function(
        "(old) => document.querySelector('#view-latent .js-plotly-plot').innerHTML !== old",
        arg=before,
        timeout=30_000,
    )


def test_latent_slider_regenerates_g_of_z(page: Page) -> None:
    _open_tab(page, "6 · latent space")
    expect(page.locator("#view-latent .js-plotly-plot")).to_be_visible(timeout=30_000)
    _slide_and_see_g_of_z_change(page, 10)
    # the sliders switch to G's principal directions, captioned with their share of variance,
    # and PC1 moves G(z) too
    page.get_by_text("PCA directions of G").click()
    expect(page.locator("#z-slider-0")).to_contain_text("PC1 · ", timeout=30_000)
    expect(page.locator("#z-slider-0")).to_contain_text("%")
    _slide_and_see_g_of_z_change(page, 20)
    page.click("#btn-interp")
    expect(page.locator("#view-interp")).to_contain_text("latent interpolation", timeout=30_000)
    page.screenshot(path=str(SHOTS / "05-latent.png"), full_page=True)


@pytest.mark.parametrize(
    ("locale", "first_title", "frozen_title", "next_label", "iteration_one"),
    [
        (
            "en-US",
            "Sub-step 1 / 10 · sample noise z",
            "Sub-step 9 / 10 · D is frozen",
            "Next ▶",
            "Iteration 1 ",
        ),
        (
            "zh-CN",
            "第 1 / 10 步 · 采样噪声 z",
            "第 9 / 10 步 · D 被冻结",
            "下一步 ▶",
            "第 1 轮迭代",
        ),
    ],
)
def test_slow_motion_walks_one_iteration_in_both_languages(
    browser,
    app_url: str,
    locale: str,
    first_title: str,
    frozen_title: str,
    next_label: str,
    iteration_one: str,
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#view-batch .js-plotly-plot")).to_be_attached(timeout=60_000)
    expect(page.locator("#btn-next")).to_have_text(next_label, timeout=30_000)
    caption = page.locator("#lecture-caption")
    page.click("#btn-explain")
    expect(caption).to_contain_text(first_title, timeout=30_000)
    expect(page.locator("#status")).to_contain_text(iteration_one)
    titles = [first_title]
    for n in range(2, 11):
        page.click("#btn-next")
        expect(caption).to_contain_text(f"{n} / 10", timeout=30_000)
        titles.append(caption.inner_text().splitlines()[0])
        if n == 9:
            expect(caption).to_contain_text(frozen_title)
            expect(caption).to_contain_text("‖Δθ_D‖ = 0")
            # the matching view (tab 2, the G step) is brought up
            expect(page.locator("#tab-2-button")).to_have_attribute("aria-selected", "true")
            expect(page.locator("#g-step-md")).to_contain_text("‖Δθ_D‖ = 0")
            page.screenshot(path=str(SHOTS / f"06-slow-motion-frozen-{locale}.png"), full_page=True)
    assert len(set(titles)) == 10
    page.click("#btn-back")
    expect(caption).to_contain_text("9 / 10", timeout=30_000)
    context.close()


def test_two_tabs_have_their_own_runs(browser, app_url: str) -> None:
    first = browser.new_context(locale="zh-CN").new_page()
    first.goto(app_url)
    expect(first.locator("#btn-next")).to_have_text("下一步 ▶", timeout=60_000)
    for n in (1, 2, 3):
        first.click("#btn-step")
        expect(first.locator("#status")).to_contain_text(f"第 {n} 轮迭代", timeout=30_000)
    second = browser.new_context(locale="en-US").new_page()
    second.goto(app_url)
    expect(second.locator("#btn-next")).to_have_text("Next ▶", timeout=60_000)
    expect(second.locator("#status")).to_contain_text("Iteration 0 ")
    second.click("#btn-step")
    expect(second.locator("#status")).to_contain_text("Iteration 1 ", timeout=30_000)
    first.click("#btn-step")
    expect(first.locator("#status")).to_contain_text("第 4 轮迭代", timeout=30_000)
    first.context.close()
    second.context.close()


def test_a_tour_runs_end_to_end(page: Page) -> None:
    caption = page.locator("#lecture-caption")
    page.locator("#tour-pick input").click()
    page.get_by_role("option", name=re.compile("Mode collapse")).click()
    page.click("#btn-tour-start")
    expect(caption).to_contain_text("Mode collapse · 1 / 3", timeout=60_000)
    expect(caption).to_contain_text("❓")
    expect(page.locator("#ctl-preset input")).to_have_value(re.compile("mode collapse", re.I))
    page.click("#btn-tour-next")
    expect(caption).to_contain_text("Mode collapse · 2 / 3", timeout=180_000)
    expect(page.locator("#status")).to_contain_text("Iteration 1500 ")
    expect(page.locator("#metrics-md")).to_contain_text("modes covered")
    expect(page.get_by_role("tab", name="5 · data / samples")).to_have_attribute(
        "aria-selected", "true"
    )
    page.click("#btn-tour-next")
    expect(caption).to_contain_text("Mode collapse · 3 / 3", timeout=180_000)
    expect(page.locator("#status")).to_contain_text("Iteration 3000 ")
    page.click("#btn-tour-next")
    expect(caption).to_contain_text("End of the tour", timeout=30_000)
    page.screenshot(path=str(SHOTS / "07-tour.png"), full_page=True)


def test_a_link_restores_the_setup_and_presenter_view_hides_the_setup(
    browser, app_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(app_url + "?preset=ring8&seed=7&lr_d=0.0004&loss=hinge&tour=lr-too-high&step=0")
    caption = page.locator("#lecture-caption")
    expect(caption).to_contain_text("Learning rate too high · 1 / 2", timeout=60_000)
    # the tour's first step loads its own preset, which wins over the link's preset
    expect(page.locator("#ctl-preset input")).to_have_value(
        re.compile("learning rate too high", re.I)
    )
    page.click("#btn-share")
    link = page.locator("#share-link textarea")
    expect(link).to_have_value(
        re.compile(r"preset=lr-too-high.*tour=lr-too-high&step=0"), timeout=30_000
    )

    page.goto(app_url + "?preset=ring8&seed=7&lr_d=0.0004&loss=hinge")
    expect(page.locator("#ctl-preset input")).to_have_value(
        re.compile("Ring of 8", re.I), timeout=60_000
    )
    page.locator("#setup-panel").get_by_text("setup", exact=True).click()  # open the accordion
    expect(page.locator("#ctl-seed input")).to_have_value("7")
    expect(page.locator("#ctl-lr_d input")).to_have_value("0.0004")
    expect(page.locator("#ctl-loss input")).to_have_value("hinge")
    page.locator("#presenter input").check()
    expect(page.locator("#setup-panel")).to_be_hidden()
    expect(page.locator("#btn-step")).to_be_visible()
    page.screenshot(path=str(SHOTS / "08-presenter.png"), full_page=True)
    page.locator("#presenter input").uncheck()
    expect(page.locator("#setup-panel")).to_be_visible()
    context.close()


def test_the_language_switch_overrides_the_browser_language(page: Page) -> None:
    expect(page.locator("#btn-step")).to_have_text("Step (1 iteration)", timeout=30_000)
    page.locator("#language").get_by_text("简体中文").click()
    expect(page.locator("#btn-step")).to_have_text("走一步（1 轮迭代）", timeout=30_000)
    expect(page.locator("#tab-1-button")).to_contain_text("D 步的批次")
    expect(page.locator("#lecture-caption")).to_contain_text("讲解下一轮迭代")
    expect(page.locator("#status")).to_contain_text("第 0 轮迭代")
    page.locator("#language").get_by_text("English").click()
    expect(page.locator("#btn-step")).to_have_text("Step (1 iteration)", timeout=30_000)
    expect(page.locator("#status")).to_contain_text("Iteration 0 ")
