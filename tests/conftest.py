import os

import pytest

from models import presets


def gguf_path(name: str):
    """Return a cached preset's path; skip (or fail under `make test`) when it was never fetched."""
    try:
        return presets.resolve(name, fetch_missing=False)
    except presets.ModelFetchError as err:
        if os.environ.get("LUMOS_REQUIRE_GGUF"):
            pytest.fail(f"{name} is not in the model cache: {err}")
        pytest.skip(f"{name} is not fetched (run `lumos models fetch {name}`)")


@pytest.fixture(scope="session")
def smollm2_path():
    return gguf_path("smollm2-135m")


@pytest.fixture(scope="session")
def default_model_path():
    return gguf_path(presets.DEFAULT_PRESET)
