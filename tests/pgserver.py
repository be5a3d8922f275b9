"""A throwaway PostgreSQL server for the tests: Debian's binaries, a cluster in a temporary directory.

The cluster listens on loopback only, on a free port, trusts local connections, and is removed when
the server stops. PostgreSQL refuses to run as root, so under root (CI) it runs as the `postgres`
user the Debian package creates (else `nobody`).
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from models.llama_server import free_port


def binary(name: str) -> str | None:
    """Return a PostgreSQL server binary: on PATH, else in Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a fresh cluster and yield its URL; stop it and delete it afterwards."""
    initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise FileNotFoundError("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    root = tempfile.mkdtemp(prefix="lumos-pg-")
    data, sockets, log = (os.path.join(root, part) for part in ("data", "sockets", "server.log"))
    os.mkdir(sockets)
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _has_user("postgres") else "nobody"
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        run_as = ["runuser", "-u", user, "--"]
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off -c full_page_writes=off"
    try:
        subprocess.run(
            [
                *run_as,
                initdb,
                "-D",
                data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [*run_as, pg_ctl, "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
            timeout=90,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(
                [*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=60
            )
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
