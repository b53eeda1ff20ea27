"""Narrated slow motion: captions complete in both languages and quoting the real numbers."""

from __future__ import annotations

import re
import string

import pytest

from playground import GANConfig, Trainer
from playground.teaching.lecture import SUB_STEPS, narrate_iteration
from playground.text import LANGUAGES, normalise_language, table


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_caption_key_exists_in_every_language_with_the_same_placeholders() -> None:
    english = table("en")
    for language in LANGUAGES:
        missing = set(english) ^ set(table(language))
        assert not missing, f"{language} is missing or has extra keys: {sorted(missing)}"
        for key, template in english.items():
            assert _fields(table(language)[key]) == _fields(template), (language, key)
            assert table(language)[key].strip(), (language, key)
    for key, _ in SUB_STEPS:
        assert key in english and f"{key}.title" in english


@pytest.mark.parametrize("language", LANGUAGES)
def test_captions_quote_this_iterations_numbers(language: str) -> None:
    trainer = Trainer(GANConfig(dataset="ring8", batch_size=16, seed=1))
    narration = narrate_iteration(trainer)
    assert trainer.iteration == 1 and trainer.d_step_count == 1 and trainer.g_step_count == 1
    texts = [narration.caption(i, language) for i in range(len(SUB_STEPS))]
    assert all(f"{i + 1} / 10" in t for i, t in enumerate(texts))
    assert f"{float(narration.d.scores[0]):.2f}" in texts[3]  # "D gave this fake 0.52"
    assert f"{narration.d.loss_d:.4f}" in texts[4]
    assert f"{narration.d.delta_d:.5f}" in texts[6]
    assert narration.g.delta_d == 0.0
    assert re.search(r"‖Δθ_D‖ = 0\*\*", texts[8])  # sub-step 9: D frozen, change exactly 0
    assert f"{narration.g.delta_g:.5f}" in texts[9]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_penalty_on_top_of_the_rows_mean_is_narrated(language: str) -> None:
    """With R1 in the D step and an MMD term in the G step, loss ≠ the rows' mean: the
    captions give the mean, the penalty and their sum, so the numbers on screen add up."""
    config = GANConfig(
        dataset="ring8",
        batch_size=16,
        seed=1,
        r1_gamma=1.0,
        g_noise=True,
        mmd_weight=1.0,
        mmd_samples=8,
    )
    narration = narrate_iteration(Trainer(config))
    d, g = narration.d, narration.g
    assert d.penalty > 0 and g.penalty > 0  # the first D and G steps carry both terms
    loss, g_step = narration.caption(4, language), narration.caption(7, language)
    for record, text, total in ((d, loss, d.loss_d), (g, g_step, g.loss_g)):
        mean = float(record.loss_terms.mean())
        assert f"{mean:.4f}" in text and f"{record.penalty:.4f}" in text
        assert f"**{total:.4f}**" in text
        assert abs(mean + record.penalty - total) < 1e-4


def test_browser_language_codes_are_normalised() -> None:
    assert normalise_language("zh-Hans-CN") == "zh-CN"
    assert normalise_language("zh") == "zh-CN"
    assert normalise_language("en-GB") == "en"
    assert normalise_language(None) == "en"


def test_every_shipped_tour_loads_in_both_languages() -> None:
    from playground.teaching.tours import load_tour, tour_names

    names = tour_names()
    assert {"mode-collapse", "saturating-loss", "d-too-strong", "lr-too-high"} <= set(names)
    for name in names:
        tour = load_tour(name)
        for i in range(len(tour.steps)):
            for language in LANGUAGES:
                assert f"{i + 1} / {len(tour.steps)}" in tour.caption(i, language)


def test_a_broken_tour_is_reported_by_step(tmp_path) -> None:
    import json

    from playground.teaching.tours import load_tour

    steps = [{"preset": "ring8", "view": 9, "caption": {"en": "a", "zh-CN": "甲"}}]
    (tmp_path / "bad.json").write_text(
        json.dumps({"title": {"en": "t", "zh-CN": "t"}, "steps": steps})
    )
    with pytest.raises(ValueError, match="tour bad, step 1: view must be 1-7"):
        load_tour("bad", tmp_path)
    steps[0]["view"] = 1
    steps[0]["caption"] = {"en": "only English"}
    (tmp_path / "bad.json").write_text(
        json.dumps({"title": {"en": "t", "zh-CN": "t"}, "steps": steps})
    )
    with pytest.raises(ValueError, match="step 1: caption: missing the zh-CN text"):
        load_tour("bad", tmp_path)


def test_a_tour_step_with_an_unknown_layer_is_reported(tmp_path) -> None:
    import json

    from playground.teaching.tours import load_tour

    caption = {"en": "a", "zh-CN": "甲"}
    steps = [{"preset": "ring8", "layers": ["real", "glow"], "caption": caption}]
    (tmp_path / "bad.json").write_text(json.dumps({"title": caption, "steps": steps}))
    with pytest.raises(ValueError, match="tour bad, step 1: unknown layer 'glow'; use real,"):
        load_tour("bad", tmp_path)
    steps[0]["layers"] = "real"
    (tmp_path / "bad.json").write_text(json.dumps({"title": caption, "steps": steps}))
    with pytest.raises(ValueError, match="step 1: layers must be a list of layer names"):
        load_tour("bad", tmp_path)
