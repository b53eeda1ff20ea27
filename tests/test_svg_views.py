"""The main screen's SVG views (playground/views/svg_views.py) on real trainers' records: the
stacked batch shows every row in [fake; real] order with its y, D(x) and loss term, and the
sparkline follows the history."""

from __future__ import annotations

import base64
import io
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from playground import GANConfig
from playground.engine.trainer import Trainer
from playground.views.figures import log_spaced
from playground.views.svg_views import BATCH_STAGES, batch_rows, batch_svg, sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # well-formed XML, or this raises


def _rows(root: ET.Element) -> list[ET.Element]:
    return [el for el in root.iter(f"{SVG}rect") if "data-row" in el.attrib]


@pytest.fixture(scope="module")
def points() -> Trainer:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=32, z_dim=3))
    trainer.run(3)
    return trainer


def test_every_row_is_drawn_fake_half_first_with_its_point_and_numbers(points: Trainer) -> None:
    d = points.last_d
    root = _parse(batch_svg(d, probability=True))
    rows = _rows(root)
    assert [int(r.get("data-row")) for r in rows] == list(range(64))
    tops = [float(r.get("y")) for r in rows]
    assert tops == sorted(tops)  # stacked top to bottom in batch order
    x = d.x.numpy()
    for r in (rows[0], rows[40]):
        i = int(r.get("data-row"))
        assert float(r.get("data-x")) == pytest.approx(x[i, 0], abs=1e-3)
        assert float(r.get("data-y")) == pytest.approx(x[i, 1], abs=1e-3)
        tip = r.find(f"{SVG}title").text
        assert f"y = {int(d.y[i])}" in tip and f"D(x) = {d.scores[i]:.3f}" in tip
    assert "y = 0" in rows[31].find(f"{SVG}title").text
    assert "y = 1" in rows[32].find(f"{SVG}title").text
    # y as one block per half; each half's bars one path, drawn to each row's value
    fake, real = (
        root.find(f".//{SVG}rect[@class='y-fake']"),
        root.find(f".//{SVG}rect[@class='y-real']"),
    )
    assert float(fake.get("y")) + float(fake.get("height")) == pytest.approx(
        float(real.get("y")), abs=0.2
    )
    d_fake = root.find(f".//{SVG}path[@class='bars-d bars-fake']").get("d")
    assert d_fake.count("M") == 32
    ends = np.array([float(v) for v in re.findall(r"H([-0-9.]+)v", d_fake)])
    # each bar ends where its score lies on the D(x) axis (0..1 mapped to the column)
    slope, start = np.polyfit(d.scores.numpy()[:32], ends, 1)
    assert slope > 0
    assert np.abs(start + slope * d.scores.numpy()[:32] - ends).max() <= 0.06


def test_thinned_past_256_rows_and_the_title_says_so() -> None:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=512))
    trainer.step_d()
    markup = batch_svg(trainer.last_d, probability=True)
    assert "256 of 1024 rows" in markup
    assert len(_rows(_parse(markup))) == 256
    rows = batch_rows(512, images=False)  # evenly through each half, both ends kept
    assert (rows[0], rows[127], rows[128], rows[255]) == (0, 511, 512, 1023)


@pytest.mark.parametrize("stage", BATCH_STAGES)
def test_slow_motion_stages_hold_only_what_exists(points: Trainer, stage: str) -> None:
    markup = batch_svg(points.last_d, probability=True, stage=stage)
    root = _parse(markup)
    level = BATCH_STAGES.index(stage)
    assert (">z (3)<" in markup) == (level == 0)
    assert ('class="y-fake"' in markup) == (level >= 2)
    assert ("bars-d " in markup) == (level >= 3)
    assert ("bars-loss " in markup) == (level >= 4)
    assert len(_rows(root)) == (64 if level >= 2 else 32)
    assert ("data-x" in markup) == (level >= 1)


def test_images_and_classes_of_a_cgan() -> None:
    trainer = Trainer(GANConfig(dataset="digits", conditional=True, batch_size=16, z_dim=8))
    trainer.run(2)
    d = trainer.last_d
    markup = batch_svg(d, probability=True, language="zh-CN")
    root = _parse(markup)
    assert "全部" not in markup and "16 行中的 16 行" not in markup  # 16 of 32 rows drawn
    assert "32 行中的 16 行" in markup
    image = root.find(f".//{SVG}image")
    data = image.get("href").split(",", 1)[1]
    picture = Image.open(io.BytesIO(base64.b64decode(data)))
    assert picture.size == (8, 16 * 10)  # 16 thumbnails of 8×8 with a white line each side
    rows = _rows(root)
    assert "data-x" not in markup
    for r in rows:
        i = int(r.get("data-row"))
        assert r.find(f"{SVG}title").text.startswith(f"第 {i} 行")
    classes = [el for el in root.iter(f"{SVG}text") if el.get("class") == "class"]
    labels = d.labels.numpy()[batch_rows(16, images=True)]
    assert [str(k) for k in labels] == [c.text for c in classes]
    assert all(float(c.get("font-size")) >= 12.5 for c in classes)  # >= 12 px at 1280x720
    values = [el for el in root.iter(f"{SVG}text") if el.get("class") == "value"]
    assert len(values) == 2 * 16 and all(float(v.get("font-size")) >= 12 for v in values)


def test_presenter_scale_enlarges_the_fonts(points: Trainer) -> None:
    size = re.compile(r'class="title"[^>]*font-size="([0-9.]+)"')
    normal = float(size.search(batch_svg(points.last_d, True)).group(1))
    big = float(size.search(batch_svg(points.last_d, True, scale=1.5)).group(1))
    assert big >= 1.5 * normal


def test_an_empty_history_still_draws() -> None:
    markup = sparkline_svg({k: [] for k in ("iteration", "loss_d", "loss_g", "d_real", "d_fake")})
    _parse(markup)  # an empty history still draws (its panels and legend)
    assert markup.count("<polyline") == 0


def test_sparkline_follows_the_history(points: Trainer) -> None:
    points.run(400)
    history = points.history
    root = _parse(sparkline_svg(history))
    lines = {el.get("class"): el.get("points").split() for el in root.iter(f"{SVG}polyline")}
    assert set(lines) == {"loss_d", "loss_g", "d_real", "d_fake"}
    assert len(lines["loss_d"]) == len(log_spaced(len(history["iteration"]), 150))
    xs = [float(p.split(",")[0]) for p in lines["loss_d"]]
    assert xs == sorted(xs) and xs[-1] > xs[0]
    # a non-finite value (a diverged run) leaves a gap instead of breaking the drawing
    broken = {k: list(v) for k, v in history.items()}
    broken["loss_g"][-1] = float("nan")
    root = _parse(sparkline_svg(broken))
    shorter = [el for el in root.iter(f"{SVG}polyline") if el.get("class") == "loss_g"][0]
    assert len(shorter.get("points").split()) == len(lines["loss_g"]) - 1


def test_the_sparkline_legend_fits_across_in_presenter_view(points: Trainer) -> None:
    for scale in (1.0, 1.5):
        root = _parse(sparkline_svg(points.history, scale=scale))
        width = float(root.get("viewBox").split()[2])
        names = ("loss_D", "loss_G", "D(real)", "D(G(z))")
        legend = [el for el in root.iter(f"{SVG}text") if el.text in names]
        assert len(legend) == 4
        for el in legend:  # 0.62 em a character, as the layout assumes
            size = float(el.get("font-size"))
            assert float(el.get("x")) + 0.62 * size * len(el.text) <= width


def test_a_diverged_batch_still_draws() -> None:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=16))
    trainer.step_d()
    d = trainer.last_d
    for tensor in (d.x, d.scores, d.loss_terms):
        tensor[:3] = float("nan")
        tensor[3:5] = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no invalid casts on the way
        markup = batch_svg(d, probability=False)
    root = _parse(markup)
    assert len(_rows(root)) == 32
    paths = [el.get("d") for el in root.iter(f"{SVG}path") if el.get("d")]
    assert paths and not any("nan" in p or "inf" in p for p in paths)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", el.get("fill")) for el in root.iter(f"{SVG}path"))
