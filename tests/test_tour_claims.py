"""Every tour's words agree with its pictures: each claim a tour step makes (`expect`) holds on
seeds 0-4, and captions quote the measured numbers."""

from __future__ import annotations

import pytest
from conftest import SEEDS, TOUR_WALKS

from playground.teaching.claims import Claim, caption_values
from playground.teaching.tour_check import StepResult, claiming_tours, walk_named
from playground.teaching.tours import load_tour

CLAIMING = claiming_tours()


@pytest.fixture(scope="module")
def walks(request: pytest.FixtureRequest) -> dict[tuple[str, int], list[StepResult]]:
    """The walks conftest started when the tests were collected (run in one background
    process while the other tests ran); walked here only if it did not."""
    started = request.config.stash.get(TOUR_WALKS, None)
    if started is None:
        jobs = [(name, seed) for name in CLAIMING for seed in SEEDS]
        return {job: walk_named(*job) for job in jobs}
    return {job: future.result() for job, future in started.items()}


def test_the_failure_tours_make_claims() -> None:
    assert {"mode-collapse", "saturating-loss", "d-too-strong", "lr-too-high"} <= set(CLAIMING)


@pytest.mark.parametrize("name", CLAIMING)
def test_every_claim_holds_on_seeds_0_to_4(
    name: str, walks: dict[tuple[str, int], list[StepResult]]
) -> None:
    failures = [
        f"seed {seed}, step {r.index + 1}: {claim} (measured {got:.4g})"
        for seed in SEEDS
        for r in walks[(name, seed)]
        for claim, got in r.failed
    ]
    assert not failures, "\n".join(failures)


def test_the_textbook_pictures(walks: dict[tuple[str, int], list[StepResult]]) -> None:
    """The issue's numbers, read from the same walks: collapse onto ≤3 of 8 modes with most
    samples sharp; minimax G gradient ≥10× below non-saturating; D(real) > 0.99 and
    D(G(z)) < 0.01 with a too-strong D, and G's gradient collapsed from its peak to below a
    thousandth of it; lr 5 diverges while lr 0.01 trains; a fast G against a slow D sits on
    one mode that D has begun to score lowest of the 8, then on another (mode hopping),
    each stop found within its step's budget."""
    for seed in SEEDS:
        collapse = walks[("mode-collapse", seed)][2].values
        assert collapse["modes_covered"] <= 3 and collapse["hq_percent"] >= 60
        sat = walks[("saturating-loss", seed)][1].values
        assert sat["grad_g"] * 10 <= sat["b.grad_g"] and sat["d_fake"] <= 0.05
        early, strong = (r.values for r in walks[("d-too-strong", seed)][1:3])
        assert strong["d_real"] > 0.99 and strong["d_fake"] < 0.01
        assert early["grad_g"] >= 1 and strong["grad_g"] <= 1e-3 * strong["grad_g_peak"]
        settled, hopped = (r.values for r in walks[("mode-collapse", seed)][4:6])
        for sitting in (settled, hopped):
            assert sitting["modes_covered"] <= 3 and sitting["hq_percent"] >= 90
        assert settled["d_marks_g"] == 1 and settled["d_gap"] > 0  # D scores G's mode lowest
        assert hopped["covered"] != settled["covered"]  # mode hopping, between two stops
        assert settled["iteration"] < 3000 and hopped["iteration"] < settled["iteration"] + 2000
        lr = walks[("lr-too-high", seed)][2].values
        assert lr["diverged"] == 1 and lr["b.diverged"] == 0


def test_captions_quote_the_measured_numbers(
    walks: dict[tuple[str, int], list[StepResult]],
) -> None:
    tour = load_tour("mode-collapse")
    values = walks[("mode-collapse", 0)][2].values
    caption = tour.caption(2, "en", values)
    assert f"onto {values['modes_covered']} of the 8 modes" in caption
    assert f"{values['hq_percent']:.0f} % of them" in caption
    assert "{" not in caption and "?" not in caption.split("Question:")[0]
    chinese = tour.caption(2, "zh-CN", values)
    assert f"8 个模式中的 {values['modes_covered']} 个" in chinese


def test_a_caption_without_measurements_shows_a_question_mark() -> None:
    caption = load_tour("mode-collapse").caption(2, "en", {})
    assert "onto ? of the 8 modes" in caption


@pytest.mark.parametrize(
    ("name", "text", "values", "holds"),
    [
        ("modes_covered", "<=3", {"modes_covered": 3}, True),
        ("modes_covered", "<=3", {"modes_covered": 4}, False),
        ("hq_percent", ">=60", {"hq_percent": 59.9}, False),
        ("grad_g/b.grad_g", "<=0.1", {"grad_g": 1.0, "b.grad_g": 20.0}, True),
        ("grad_g/b.grad_g", "<=0.1", {"grad_g": 3.0, "b.grad_g": 20.0}, False),
        ("d_fake", "<0.01", {}, False),  # not measured: a claim never holds by default
    ],
)
def test_claims_compare_what_was_measured(name: str, text: str, values: dict, holds: bool) -> None:
    assert Claim.parse(name, text, "test").holds(values) is holds


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("modes", "<=3", "unknown measure 'modes'"),
        ("modes_covered", "about 3", "is not like '<=3'"),
        ("b.grad_g/nothing", "<=1", "unknown measure 'nothing'"),
    ],
)
def test_a_bad_claim_names_the_tour_step(name: str, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        Claim.parse(name, text, "tour x, step 2")
    assert str(info.value).startswith("tour x, step 2: claim")


def test_caption_values_round_for_reading() -> None:
    shown = caption_values({"modes_covered": 2.0, "covered": [0, 4], "b.grad_g": 12.5})
    assert shown == {"modes_covered": 2, "covered": "1, 5", "b_grad_g": 12.5}


def _small_run():
    from playground.engine.config import GANConfig
    from playground.engine.trainer import Trainer

    return Trainer(GANConfig(g_hidden=16, d_hidden=16, batch_size=32, device="cpu"))


def test_grad_g_peak_is_the_largest_recent_mean_of_the_run() -> None:
    """What a collapse claim (`grad_g/grad_g_peak`) divides by: the run's highest 20-iteration
    mean of ‖∇G‖, never below the current one."""
    import numpy as np

    from playground.teaching.claims import RECENT, measure

    run = _small_run()
    run.run(60)
    values = measure(run)
    series = np.asarray(run.history["grad_g"])
    means = [series[i : i + RECENT].mean() for i in range(len(series) - RECENT + 1)]
    assert values["grad_g_peak"] == pytest.approx(max(means))
    assert values["grad_g_peak"] >= values["grad_g"]
    assert Claim.parse("grad_g/grad_g_peak", "<=1", "test").holds(values)


def test_run_until_stops_at_the_first_check_where_its_claims_hold() -> None:
    from playground.teaching.claims import measure, run_until

    run = _small_run()
    until = [Claim.parse("iteration", ">=120", "test")]
    done = run_until(run.run, lambda: measure(run), 1000, until, every=50)
    assert done == 150 and run.iteration == 150
    never = [Claim.parse("iteration", ">=5000", "test")]
    assert run_until(run.run, lambda: measure(run), 120, never, every=50) == 120
    assert run.iteration == 270  # the last chunk is cut to the most asked for
    assert run_until(run.run, lambda: measure(run), 30, (), every=50) == 30


def test_run_until_stops_when_the_run_diverges() -> None:
    """As the playground runs a tour step: the guard stops lr-too-high at iteration 1, and
    the step does not go on calling a diverged run for the rest of its budget."""
    from playground.teaching.claims import run_until
    from playground.ui.session import Session

    session = Session.from_preset("lr-too-high", device="cpu")
    never = [Claim.parse("iteration", ">=5000", "test")]
    assert run_until(session.run, session.measure, 1000, never, every=50) == 50
    assert session.diverged and session.trainer.iteration < 50


def test_until_needs_a_run_of_its_own(tmp_path) -> None:
    import json

    from playground.teaching.tours import load_tour

    caption = {"en": "a", "zh-CN": "甲"}
    steps = [{"preset": "ring8", "until": {"hq_percent": ">=90"}, "caption": caption}]
    (tmp_path / "t.json").write_text(json.dumps({"title": caption, "steps": steps}))
    with pytest.raises(ValueError, match="tour t, step 1: until needs a run of its own"):
        load_tour("t", tmp_path)
    steps[0]["run"] = 500
    (tmp_path / "t.json").write_text(json.dumps({"title": caption, "steps": steps}))
    assert [str(c) for c in load_tour("t", tmp_path).steps[0].until] == ["hq_percent >= 90"]
    steps[0]["until"] = {"modes": ">=1"}
    (tmp_path / "t.json").write_text(json.dumps({"title": caption, "steps": steps}))
    with pytest.raises(ValueError, match="unknown measure 'modes'"):
        load_tour("t", tmp_path)


def test_d_marks_g_names_the_mode_d_scores_lowest() -> None:
    """What the mode-hopping stop claims: `d_lowest` is the mode centre D scores lowest
    (1-based, as captions name modes), `d_marks_g` says whether G covers it, and `d_gap` is
    D's mean score on the empty modes minus its mean on G's."""
    import numpy as np

    from playground.engine.trainer import Trainer
    from playground.io.presets import load_preset
    from playground.teaching.claims import measure

    run = Trainer(load_preset("mode-hopping").config.replace(seed=1, device="cpu"))
    run.run(300)
    values = measure(run)
    scores = run.score(run.dataset.centres).numpy()
    assert values["d_lowest"] == int(np.argmin(scores)) + 1
    covered = values["covered"]
    assert values["d_marks_g"] == float(values["d_lowest"] - 1 in covered)
    empty = [k for k in range(8) if k not in covered]
    assert values["d_gap"] == pytest.approx(scores[empty].mean() - scores[covered].mean())
