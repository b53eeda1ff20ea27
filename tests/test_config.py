import json

import pytest

from playground import GANConfig


def test_json_round_trip_keeps_every_field() -> None:
    config = GANConfig(
        dataset="digits", conditional=True, loss="hinge", lr_g=3e-4, pack=2, batch_size=64
    )
    again = GANConfig.from_dict(json.loads(config.to_json()))
    assert again == config
    assert json.loads(config.to_json())["loss"] == "hinge"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"loss": "wasserstein"}, "loss"),
        ({"lr_g": 0.0}, "lr_g"),
        ({"batch_size": 10, "pack": 3}, "pack"),
        ({"beta1": 1.0}, "beta1"),
        ({"d_steps": 0}, "d_steps"),
        ({"dataset": "npz"}, "data_path"),
        ({"model": "dcgan"}, "model"),
        ({"z_dim": "8"}, "z_dim"),
        ({"conditional": 1}, "conditional"),
    ],
)
def test_bad_values_name_their_field(changes: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}:"):
        GANConfig(**changes)


def test_unknown_field_is_an_error_not_ignored() -> None:
    with pytest.raises(ValueError, match="^lr: unknown config field"):
        GANConfig.from_dict({"lr": 0.1})


def test_int_is_accepted_for_float_fields() -> None:
    assert GANConfig(radius=2).radius == 2.0
