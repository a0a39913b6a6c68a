"""`Services.switch_model`: the one seam that replaces the model after construction."""

from __future__ import annotations

from dataclasses import replace

import pytest

from .fakes import FakeModel


class Named(FakeModel):
    def __init__(self, name: str) -> None:
        super().__init__()
        self._info = replace(self._info, name=name)


def test_switch_loads_the_new_model_and_settings_follow(make_services, fake_model):
    seen = []

    def load(settings):
        seen.append(settings.model)
        return Named(settings.model or "embedded")

    services = make_services(model_loader=load)
    assert services.model() is fake_model
    new = services.switch_model("/models/other.gguf")
    assert services.model() is new and new.info.name == "/models/other.gguf"
    assert services.settings.model == "/models/other.gguf" and seen == ["/models/other.gguf"]
    services.switch_model(None)
    assert services.model().info.name == "embedded" and services.settings.model is None


def test_a_model_that_fails_to_load_leaves_the_old_one_and_the_settings(make_services,
                                                                        fake_model):
    def load(settings):
        raise RuntimeError("bad file")

    services = make_services(model_loader=load)
    before = services.settings
    with pytest.raises(RuntimeError, match="bad file"):
        services.switch_model("/models/broken.gguf")
    assert services.model() is fake_model and services.settings is before


def test_the_loader_seam_also_loads_the_first_model(make_services):
    services = make_services(model=None, model_loader=lambda s: Named("lazy"))
    assert not services.model_loaded
    assert services.model().info.name == "lazy"
