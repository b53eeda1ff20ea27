"""A playground served to a room: hostile input against the launched app (gradio_client and
the browser). Each bad request must get its specific message within 2 s, show no server
path or file content, and leave the server and the session working."""

from __future__ import annotations

import io
import json
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gradio_client import Client, handle_file

from playground.io.presets import load_preset
from playground.ui.handlers_files import free, session_folder
from playground.ui.layout import CONTROL_NAMES
from playground.ui.session import Session

SUMMARY = 10


def _controls(**changes: Any) -> list[Any]:
    config = load_preset("classroom").config
    values = [getattr(config, name) for name in CONTROL_NAMES]
    for name, value in changes.items():
        values[CONTROL_NAMES.index(name)] = value
    return values


def _refused(call: Callable[[], Any], message: str) -> str:
    """`call` fails within 2 s with an error containing `message`; returns the error text."""
    start = time.monotonic()
    with pytest.raises(Exception) as caught:
        call()
    assert time.monotonic() - start < 2.0, "the refusal took too long"
    text = str(caught.value)
    assert message in text, text
    assert "verbose error reporting" not in text
    return text


def _still_works(client: Client) -> None:
    before = client.predict(api_name="/step")[SUMMARY]["iteration"]
    assert client.predict(api_name="/step")[SUMMARY]["iteration"] == before + 1


@pytest.fixture
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_browser_users_cannot_name_server_files(client: Client, served_data: Path) -> None:
    secret = served_data.parent / "secret.txt"
    for dataset, path in (
        ("points-file", str(secret)),
        ("points-file", "/etc/passwd"),
        ("idx", "/dev/zero"),
        ("points-file", "../secret.txt"),
    ):
        values = _controls(dataset=dataset, data_path=path)
        text = _refused(
            lambda values=values: client.predict(*values, api_name="/reset"),
            "is not a file you uploaded in this tab",
        )
        assert "API_KEY" not in text and "/tmp" not in text
    _still_works(client)


def test_links_and_configs_cannot_name_server_files(client: Client, tmp_path: Path) -> None:
    config = load_preset("classroom").config.to_dict()
    config.update(dataset="points-file", data_path="/etc/passwd")
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"config": config}))
    _refused(
        lambda: client.predict(handle_file(str(path)), api_name="/import_config"),
        "is not a file you uploaded in this tab",
    )
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    _refused(
        lambda: client.predict(handle_file(str(deep)), api_name="/import_config"),
        "config file: nested too deeply",
    )
    _still_works(client)


def test_the_served_folder_gives_names_inside_it_only(served_app_url: str) -> None:
    client = Client(served_app_url, verbose=False)
    for name, message in (
        ("../secret.txt", "is not a file name in the served data folder"),
        ("/etc/passwd", "is not a file name in the served data folder"),
        ("escape.csv", "is not in the served data folder"),  # a link pointing out
        ("pipe.csv", "is not a regular file"),  # a FIFO would block forever
        ("folder.csv", "is not a regular file"),
        ("missing.csv", "no file 'missing.csv'"),
    ):
        values = _controls(dataset="points-file", data_path=name)
        text = _refused(lambda values=values: client.predict(*values, api_name="/reset"), message)
        assert "API_KEY" not in text
    values = _controls(dataset="points-file", data_path="circle.csv")
    summary = client.predict(*values, api_name="/reset")[SUMMARY]
    assert summary["dataset"] == "points-file" and summary["iteration"] == 0
    _still_works(client)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("g_hidden", 30000, "g_hidden: must be between 1 and 8192"),
        ("g_layers", 10**6, "g_layers: must be between 1 and 32"),
        ("d_steps", 10**6, "d_steps: must be between 1 and 1000"),
        ("d_steps", 500, "d_steps: at most 20 here"),
        ("seed", 2**70, "seed: must be between 0 and"),
        ("batch_size", "abc", "batch_size: enter a number"),
        ("lr_d", None, "lr_d: please enter a value"),
    ],
)
def test_every_setting_is_bounded_and_named(
    client: Client, field: str, value: Any, message: str
) -> None:
    values = _controls(**{field: value})
    _refused(lambda: client.predict(*values, api_name="/apply"), message)
    _still_works(client)


def test_a_run_and_its_rewind_buffer_fit_the_budget(client: Client) -> None:
    values = _controls(g_hidden=2048, d_hidden=2048, g_layers=8, d_layers=8)
    _refused(lambda: client.predict(*values, api_name="/reset"), "MiB")
    _refused(lambda: client.predict("abc", api_name="/run"), "N: enter a number")
    _refused(lambda: client.predict(10**9, api_name="/run"), "N: run between 1 and")
    _still_works(client)


def test_a_zip_bomb_checkpoint_is_refused_before_unpacking(client: Client, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    chunk = bytes(2**20)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("state.json", "{}")
        with archive.open("model.safetensors", "w", force_zip64=True) as member:
            for _ in range(600):  # 600 MiB of zeros, about 0.6 MB packed
                member.write(chunk)
    assert bomb.stat().st_size < 2 * 2**20
    text = _refused(
        lambda: client.predict(handle_file(str(bomb)), api_name="/load"), "over the 512 MiB limit"
    )
    assert "/tmp" not in text and "gradio" not in text
    _still_works(client)


def test_the_rewind_buffer_is_counted_in_bytes() -> None:
    from playground.engine import budget

    config = load_preset("classroom").config.replace(
        g_hidden=1024, d_hidden=1024, snapshot_every=1, snapshot_capacity=500
    )
    with pytest.raises(ValueError, match=r"snapshot_capacity: 500 snapshots of .* MiB need"):
        budget.check(config, (2,), 8)
    cost = budget.check(config.replace(snapshot_capacity=2), (2,), 8)
    assert 2 * cost.snapshot_bytes <= budget.REWIND_BYTES


def test_the_mmd_term_is_bounded_for_a_browser_session() -> None:
    from playground.engine import budget

    config = load_preset("ring8").config.replace(batch_size=1024, mmd_samples=256)
    budget.check(config, (2,), 8)
    with pytest.raises(ValueError, match="^mmd_samples: at most 256 here"):
        budget.check(config.replace(mmd_samples=1024), (2,), 8)


def test_analytics_are_off(app_url: str) -> None:
    config = json.load(urllib.request.urlopen(app_url + "config", timeout=10))
    assert config["analytics_enabled"] is False


def test_a_freed_session_leaves_no_files() -> None:
    session = Session.from_preset("classroom")
    folder = session_folder(session)
    (folder / "samples.npz").write_bytes(b"x")
    session.start_autoplay(100)
    free(session)
    assert not folder.exists() and not session.playing and session.trainer is None


def test_injected_markup_and_paths_in_a_link_stay_text(browser_page_factory) -> None:
    page = browser_page_factory(
        "?preset=%3Ca%20href%3D%22http%3A%2F%2Fevil.example%2Flogin%22%3ESession%20expired"
        "%3C%2Fa%3E"
    )
    status = page.locator("#status")
    from playwright.sync_api import expect

    expect(status).to_contain_text("link: unknown preset", timeout=60_000)
    assert page.locator("#status a, #status form, #status input").count() == 0
    page = browser_page_factory("?compare=..%2F..%2Fetc%2Fx%3Cb%3Ehi%3C%2Fb%3E")
    expect(page.locator("#status")).to_contain_text("link: unknown comparison", timeout=60_000)
    assert page.locator("#status b").count() == 0


@pytest.mark.parametrize(
    "query,message",
    [
        ("tour=..%2F..%2F..%2F..%2Fetc%2Fx", "link: unknown tour"),
        ("dataset=points-file&data_path=%2Fetc%2Fpasswd", "link: data_path cannot be set"),
        ("modes=1000000000", "modes: must be between"),
    ],
)
def test_a_link_that_reaches_for_files_or_sizes_is_refused_by_name(
    query: str, message: str
) -> None:
    """What a page says for these links (the status line, as the markup test above shows it):
    the link's own words, from the handler that reads the page's URL."""
    import urllib.parse

    from playground.io.presets import all_presets
    from playground.teaching.tours import load_tour, tour_names
    from playground.ui.handlers import Context
    from playground.ui.handlers_lecture import from_link

    ctx = Context(
        "classroom",
        {p.name: p for p in all_presets()},
        {name: load_tour(name) for name in tour_names()},
        {},
    )
    request = SimpleNamespace(query_params=dict(urllib.parse.parse_qsl(query)))
    with pytest.raises(ValueError, match=message):
        from_link(ctx, request, "en")


def test_a_closed_tab_is_freed_within_a_minute(browser_page_factory, app_url: str) -> None:
    from playwright.sync_api import expect

    def health() -> dict[str, int]:
        return json.load(urllib.request.urlopen(app_url + "playground/health", timeout=10))

    page = browser_page_factory("")
    page.click("#btn-play")
    expect(page.locator("#btn-play")).to_contain_text("Pause", timeout=10_000)
    deadline = time.monotonic() + 30
    while health()["autoplay_threads"] < 1:
        assert time.monotonic() < deadline, health()
        time.sleep(0.5)
    assert health()["worker_runs"] >= 1  # the app trains a playing tab in a worker process
    assert health()["play_workers"] >= 1
    page.context.close()
    deadline = time.monotonic() + 60
    while health()["autoplay_threads"] > 0 or health()["worker_runs"] > 0:
        assert time.monotonic() < deadline, f"still training 60 s after the tab closed: {health()}"
        time.sleep(1)


@pytest.fixture
def browser_page_factory(app_url: str):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )

        def open_page(query: str):
            page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            page.goto(app_url + query)
            expect(page.locator("#view-data .js-plotly-plot")).to_be_attached(timeout=60_000)
            return page

        yield open_page
        browser.close()


def test_uploads_are_bounded(app_url: str) -> None:
    body = io.BytesIO(b"x" * (65 * 2**20))
    request = urllib.request.Request(
        app_url + "gradio_api/upload",
        data=b"--b\r\nContent-Disposition: form-data; name=files; filename=big.csv\r\n\r\n"
        + body.getvalue()
        + b"\r\n--b--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413


def test_comparisons_and_code_export_take_names_and_flags_only(client: Client) -> None:
    # Gradio's dropdown refuses a name outside its choices before any handler runs
    for bad in ("../../etc/passwd", {"a": 1}):
        _refused(
            lambda bad=bad: client.predict(bad, api_name="/compare_start"),
            "is not in the list of choices",
        )
    path = client.predict("yes", api_name="/export_script")  # not True: no weights
    with zipfile.ZipFile(path) as archive:
        assert "weights.safetensors" not in archive.namelist()
        assert all("/" not in name and ".." not in name for name in archive.namelist())
    _still_works(client)
