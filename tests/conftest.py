import os
import subprocess
import uuid

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


SMALL_PRESET = "qwen2.5-coder-0.5b"  # the smallest preset that follows the protocol (Makefile TEST_MODELS)


@pytest.fixture(scope="session")
def small_model_path():
    return gguf_path(SMALL_PRESET)


@pytest.fixture(scope="session")
def llama_server_binary():
    """Return llama-server's binary; skip (or fail under `make test`, which builds it first) without it."""
    from models import llama_server

    try:
        return llama_server.binary(build=False)  # `lumos serve --build-only` builds it
    except llama_server.ServerBuildError as err:
        if os.environ.get("LUMOS_REQUIRE_SERVER"):
            pytest.fail(str(err))
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def browser():
    """Skip (or fail under `make test`) when Chromium, chromedriver or miniwob are missing."""
    from tools import web

    try:
        web.browser_paths()
        import miniwob  # noqa: F401
    except (web.WebError, ImportError) as err:
        if os.environ.get("LUMOS_REQUIRE_BROWSER"):
            pytest.fail(f"no browser: {err}")
        pytest.skip(f"no browser: {err}")


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server's URL; skip (or fail under `make test`) without its binaries."""
    from pgserver import postgres_server

    try:
        server = postgres_server()
        url = server.__enter__()
    except (FileNotFoundError, OSError, subprocess.SubprocessError) as err:
        if os.environ.get("LUMOS_REQUIRE_POSTGRES"):
            pytest.fail(f"no PostgreSQL server: {err}")
        pytest.skip(f"no PostgreSQL server: {err}")
    yield url
    server.__exit__(None, None, None)


@pytest.fixture
def postgres_db(postgres_url):
    """The URL of a new, empty database on the throwaway server (one per test)."""
    import psycopg

    name = f"lumos_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"
