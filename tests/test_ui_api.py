"""The launched app driven through gradio_client: named endpoints, per-session state."""

from __future__ import annotations

import numpy as np
import pytest
from gradio_client import Client

SUMMARY = 10  # the views come first in every step endpoint; the JSON summary is the 11th


@pytest.fixture
def client(app_url: str) -> Client:
    return Client(app_url, verbose=False)


def test_step_d_then_step_g_report_the_frozen_network(client: Client) -> None:
    out = client.predict(api_name="/step_d")
    summary = out[SUMMARY]
    assert (summary["d_steps"], summary["g_steps"], summary["iteration"]) == (1, 0, 0)
    assert summary["d_step_delta_g"] == 0.0 and summary["d_step_delta_d"] > 0
    table = out[2]["value"]  # the table comes as an update: its headers follow the language
    assert table["headers"][:4] == ["row", "part", "x", "label y"]
    labels = [row[3] for row in table["data"]]
    assert labels == sorted(labels) and set(labels) == {0, 1}  # fakes (0) first, then reals (1)
    batch = out[1]  # the stacked batch as SVG markup
    assert batch.count("<rect data-row=") == 128 and "all 128 rows" in batch
    summary = client.predict(api_name="/step_g")[SUMMARY]
    assert summary["g_step_delta_d"] == 0.0 and summary["g_step_delta_g"] > 0
    assert summary["iteration"] == 1
    assert "‖Δθ_D‖ = 0**" in client.predict(api_name="/step")[3]


def test_run_reset_and_sample(client: Client, tmp_path) -> None:
    summary = client.predict(50, api_name="/run")[SUMMARY]
    assert summary["iteration"] == 50
    assert summary["loss_d"] is not None and summary["device"].startswith("CPU")
    path = client.predict(api_name="/sample")  # the .npz offered for download
    with np.load(path) as data:
        assert data["x"].shape == (1000, 2) and data["z"].shape[0] == 1000
    controls = _default_controls()
    out = client.predict(*controls, api_name="/reset")
    assert out[SUMMARY]["iteration"] == 0


def test_two_sessions_do_not_see_each_other(app_url: str) -> None:
    a, b = Client(app_url, verbose=False), Client(app_url, verbose=False)
    assert a.predict(30, api_name="/run")[SUMMARY]["iteration"] == 30
    assert b.predict(api_name="/step")[SUMMARY]["iteration"] == 1
    assert a.predict(api_name="/step")[SUMMARY]["iteration"] == 31


def test_bad_input_is_a_clear_error_and_the_session_survives(client: Client) -> None:
    client.predict(api_name="/step")
    with pytest.raises(Exception, match=r"N: run between 1 and \d+ iterations"):
        client.predict(0, api_name="/run")
    controls = _default_controls()
    controls[11] = -1.0  # lr_d
    with pytest.raises(Exception, match="lr_d: must be positive"):
        client.predict(*controls, api_name="/apply")
    assert client.predict(api_name="/step")[SUMMARY]["iteration"] == 2


def test_live_settings_apply_without_rebuilding(client: Client) -> None:
    client.predict(5, api_name="/run")
    controls = _default_controls()
    lr_d_index = 11
    controls[lr_d_index] = 0.0003
    summary = client.predict(*controls, api_name="/apply")[SUMMARY]
    assert summary["iteration"] == 5  # same run, continued
    assert "applied live" in summary["message"] and "lr_d" in summary["message"]
    controls[3] = 48  # g_hidden: architecture
    summary = client.predict(*controls, api_name="/apply")[SUMMARY]
    assert summary["iteration"] == 0 and "rebuilt" in summary["message"]


def test_rewind_to_a_snapshot_and_continue(client: Client) -> None:
    client.predict(120, api_name="/run")  # a snapshot every 50 iterations
    summary = client.predict(60, api_name="/rewind")[SUMMARY]
    assert summary["iteration"] == 50 and "rewound to iteration 50" in summary["message"]
    assert client.predict(api_name="/step")[SUMMARY]["iteration"] == 51


def _default_controls() -> list:
    from playground.io.presets import load_preset
    from playground.ui.layout import CONTROL_NAMES
    from playground.ui.session import DEFAULT_PRESET

    assert CONTROL_NAMES[3] == "g_hidden" and CONTROL_NAMES[11] == "lr_d"
    config = load_preset(DEFAULT_PRESET).config
    return [getattr(config, name) for name in CONTROL_NAMES]


def test_image_preset_checkpoint_round_trip(client: Client) -> None:
    from gradio_client import handle_file

    from playground.ui.layout import CONTROL_NAMES

    out = client.predict("digits-cgan", api_name="/preset")
    summary = out[1 + len(CONTROL_NAMES) + SUMMARY]  # preset text, then the controls, then views
    assert summary["dataset"] == "digits" and summary["iteration"] == 0
    summary = client.predict(3, api_name="/run")[SUMMARY]
    assert summary["iteration"] == 3
    interpolation = client.predict(6, "slerp", 4, api_name="/interpolate")
    assert "latent interpolation" in interpolation["plot"]
    *sliders, latent = client.predict("pca", 4, api_name="/latent_axes")
    assert sliders[0]["label"].startswith("PC1 · ") and sliders[15]["label"].startswith("PC16 · ")
    assert all(slider["value"] == 0.0 for slider in sliders)
    assert "class 4" in latent["plot"]  # cGAN: G(z) for the class picked
    zip_path = client.predict(api_name="/save")
    loaded = client.predict(handle_file(zip_path), api_name="/load")
    summary = loaded[len(CONTROL_NAMES) + SUMMARY]
    assert summary["iteration"] == 3 and summary["dataset"] == "digits"
    assert "loaded checkpoint at iteration 3" in summary["message"]


def test_exported_setup_with_tour_position_imports_back(client: Client) -> None:
    import json

    from gradio_client import handle_file

    client.predict("lr-too-high", api_name="/start_tour")
    path = client.predict(api_name="/export_config")
    data = json.loads(open(path, encoding="utf-8").read())
    assert data["preset"] == "lr-too-high" and data["tour"] == "lr-too-high"
    assert data["tour_step"] == 0 and data["config"]["optimizer"] == "sgd"
    fresh = Client(client.src, verbose=False)
    out = fresh.predict(handle_file(path), api_name="/import_config")
    from playground.ui.layout import CONTROL_NAMES

    caption = out[2 + len(CONTROL_NAMES)]  # preset, description, setup controls, caption
    assert "Learning rate too high · 1 / 3" in caption


def test_export_script_gives_the_run_as_code_in_the_tabs_language(client: Client) -> None:
    import zipfile

    from safetensors.numpy import load

    client.predict(20, api_name="/run")
    path = client.predict(False, api_name="/export_script")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["train_gan.ipynb", "train_gan.py"]
        script = archive.read("train_gan.py").decode()
    assert "def d_step() -> float:" in script and "freeze D" in script
    assert "loss_D and loss_G match the playground's run" in script
    client.predict("简体中文", api_name="/language")
    path = client.predict(True, api_name="/export_script")  # from this run's weights
    with zipfile.ZipFile(path) as archive:
        assert "weights.safetensors" in archive.namelist()
        script = archive.read("train_gan.py").decode()
        weights = load(archive.read("weights.safetensors"))
    assert "冻结 D" in script and "第 20 轮迭代时的权重" in script
    assert any(k.startswith("G.net.") for k in weights) and any(k.startswith("D.") for k in weights)


def test_a_comparison_over_the_api_steps_both_runs(client: Client) -> None:
    client.predict("minimax-vs-nonsat", api_name="/compare_start")
    summary = client.predict(20, api_name="/run")[SUMMARY]
    both = summary["comparison"]
    assert both["name"] == "minimax-vs-nonsat"
    assert both["differences"] == [["loss", "minimax", "nonsat"]]
    assert both["A"]["iteration"] == both["B"]["iteration"] == 20 == summary["iteration"]
    assert both["A"]["config"]["seed"] == both["B"]["config"]["seed"]
    assert both["B"]["grad_g"] > both["A"]["grad_g"]  # the non-saturating loss pushes G harder
    summary = client.predict(api_name="/step")[SUMMARY]
    assert summary["comparison"]["B"]["iteration"] == 21
    both = client.predict(api_name="/compare_step")  # answered with both runs only
    assert both["A"]["iteration"] == both["B"]["iteration"] == 22
    both = client.predict(8, api_name="/compare_run")
    assert both["A"]["iteration"] == both["B"]["iteration"] == 30
    fresh = Client(client.src, verbose=False)
    with pytest.raises(Exception, match="comparison: start one first"):
        fresh.predict(api_name="/compare_step")


def test_train_on_a_drawing_over_the_api(client: Client) -> None:
    from playground.engine.drawing import encode

    rng = np.random.default_rng(0)
    points = np.array([[-1, -1], [1, 1]])[rng.integers(0, 2, 200)] + rng.normal(0, 0.1, (200, 2))
    client.predict(encode(points), api_name="/train_on_drawing")
    summary = client.predict(50, api_name="/run")[SUMMARY]
    assert summary["dataset"] == "drawn" and summary["iteration"] == 50
    metrics = client.predict(api_name="/evaluate")
    assert "modes were fitted to your points" in str(metrics)
    with pytest.raises(Exception, match="drawn: not a drawing"):
        client.predict("<img src=x onerror=alert(1)>", api_name="/train_on_drawing")
    assert client.predict(api_name="/step")[SUMMARY]["dataset"] == "drawn"  # session intact


def test_the_api_listing_is_what_the_docs_name(client: Client) -> None:
    """Every endpoint a script sees has a name docs/api.md lists, and every parameter and
    return a label: no `/wrapper_3`, no `value_85` (internal events are private)."""
    import re
    from pathlib import Path

    api_doc = Path(__file__).resolve().parents[1] / "docs" / "api.md"
    text = api_doc.read_text(encoding="utf-8")
    paragraph = text[text.index("Named API endpoints") :].split("```")[0]
    documented = set(re.findall(r"`(/[a-z_]+)`", paragraph))
    api = client.view_api(return_format="dict", print_info=False)
    assert not api["unnamed_endpoints"]
    assert set(api["named_endpoints"]) == documented
    unlabelled = [
        (name, item["label"])
        for name, endpoint in api["named_endpoints"].items()
        for item in endpoint["parameters"] + endpoint["returns"]
        if re.fullmatch(r"value_\d+", str(item["label"]))
    ]
    assert not unlabelled


def test_a_page_from_a_restarted_server_is_told_to_reload(app_url: str) -> None:
    """The page (and gradio_client's /config) carries the server process's identity as a
    cookie; an event from a page another process served (a restart, a dead replica behind
    the proxy) is answered 410 "reload", not with a silent fresh run at iteration 0."""
    import httpx

    from playground.ui.server_identity import cookie_name

    port = app_url.rstrip("/").rsplit(":", 1)[1]
    name = cookie_name({"host": f"127.0.0.1:{port}"})
    page = httpx.get(app_url)
    assert page.cookies.get(name)  # the page sets it
    fresh = Client(app_url, verbose=False)  # keeps the cookie from /config
    assert fresh.cookies.get(name) == page.cookies.get(name)
    assert fresh.predict(api_name="/step")[SUMMARY]["iteration"] == 1
    stale = Client(app_url, verbose=False, httpx_kwargs={"cookies": {name: "0123456789abcdef"}})
    with pytest.raises(Exception, match="410 Gone"):  # gradio_client shows the status only
        stale.predict(api_name="/step")
    told = httpx.post(
        app_url + "gradio_api/call/step",
        json={"data": [], "session_hash": "abc"},
        cookies={name: "0123456789abcdef"},
    )
    assert told.status_code == 410
    assert "the server restarted, so this tab's run is gone" in told.json()["detail"]
    answer = httpx.post(
        app_url + "playground/step/some-token/step",
        cookies={name: "0123456789abcdef"},
        headers={"accept-language": "zh-CN,zh;q=0.9"},
    )
    assert answer.status_code == 410 and "服务器已重启" in answer.json()["detail"]
    assert httpx.post(app_url + "playground/step/some-token/step").status_code == 404  # no cookie
