"""Run untrusted, model-written Python inside a bubblewrap sandbox, or not at all.

The boundary is the kernel, set up by bubblewrap (``bwrap``), a tool made for exactly this:

* new user, PID, mount, network, IPC, UTS and cgroup namespaces; the code runs as uid/gid 65534
  with no capabilities and ``no_new_privs``, cannot create user namespaces, and is in a session of
  its own (no terminal to inject keystrokes into);
* a root filesystem that holds only the interpreter (its binary, shared library and standard
  library, with ``site-packages`` hidden), the system's shared libraries and a minimal ``/dev``,
  all read-only, plus a small fresh tmpfs as working directory: no ``/etc``, ``/root``,
  ``/home``, ``/proc``, ``/sys``, ``/run``, the project, the model cache or any database;
* no network interface but loopback, and no host UNIX socket reachable;
* a seccomp filter (libseccomp, through pyseccomp) refusing process and thread creation, namespace
  and mount calls, keyrings, ptrace, BPF, io_uring and file-handle opens;
* rlimits on memory, CPU time, file size and open files, and a wall-clock kill of the whole sandbox:
  bubblewrap is PID 1 of the namespace, so when it dies the kernel kills everything inside, and
  ``--die-with-parent`` ties it to the agent, so nothing outlives a killed agent either.

Source, output and the seccomp program travel through unlinked temporary files, so nothing is left
on disk even after a ``kill -9``. Inside the child an audit hook also refuses sockets, subprocesses,
ctypes and writes outside the working directory: defence in depth, not the boundary. Without
bubblewrap and libseccomp nothing runs, and the error says what to install.
"""

import contextlib
import errno
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import IO

MAX_SOURCE_CHARS = 20_000
MAX_FILE_BYTES = 1 << 20  # RLIMIT_FSIZE: caps stdout, stderr and every file the code writes
WORKDIR = "/tmp"  # inside the sandbox: a fresh tmpfs
WORKDIR_BYTES = 16 << 20  # the tmpfs's size: code cannot fill the host's memory through it
SANDBOX_UID = 65534  # "nobody"
_PROBE_TIMEOUT_S = 20.0
_STDERR_TAIL_BYTES = 8192  # only the end of stderr is read: the exception line is there
MAX_ERROR_CHARS = 1000  # of that line, what an error message keeps
INSTALL_HINT = (
    "install bubblewrap and libseccomp (Debian/Ubuntu: `apt-get install bubblewrap libseccomp2`; "
    "Fedora: `dnf install bubblewrap libseccomp`); `make install` (and so `make run`) does it as root"
)

# Syscalls the code never needs, refused with EPERM: new processes or threads (the sandbox runs
# one), namespace and mount changes, the kernel keyrings (keyed by uid, so shared with the host's
# user), tracing, BPF, io_uring, file handles (the classic container escape) and kernel modules.
DENIED_SYSCALLS = (
    "fork", "vfork", "clone", "clone3", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev", "bpf",
    "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at", "init_module", "finit_module", "delete_module",
    "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl",
)  # fmt: skip

# The probe passes only if the child really sees no network interface but loopback.
_PROBE = "import socket, sys; sys.exit([n for _, n in socket.if_nameindex()] != ['lo'])"

CHILD = Path(__file__).with_name("sandbox_child.py")  # the program the sandbox runs, as source


@functools.cache
def _child_source() -> str:
    return CHILD.read_text(encoding="utf-8")


class SandboxError(RuntimeError):
    """Code could not be run, or it failed; the message says why."""


def interpreter() -> Path:
    """Return the real interpreter binary (a virtual environment's python is a link to it)."""
    return Path(os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable))


def _interpreter_binds() -> list[str]:
    """Return bwrap arguments exposing the interpreter read-only, without its site-packages."""
    stdlib = sysconfig.get_paths()["stdlib"]  # the base interpreter's, also inside a venv
    args = ["--ro-bind", str(interpreter()), str(interpreter()), "--ro-bind", stdlib, stdlib]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        for name in {sysconfig.get_config_var("INSTSONAME"), sysconfig.get_config_var("LDLIBRARY")}:
            library = os.path.join(libdir, name or "")
            if name and os.path.isfile(library):
                args += ["--ro-bind", library, library]
    site = os.path.join(stdlib, "site-packages")
    if os.path.isdir(site):
        args += ["--tmpfs", site]
    return args


def _system_binds() -> list[str]:
    """Return bwrap arguments for the system's shared libraries, read-only (links kept as links)."""
    args = []
    for path in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return [*args, "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]


def bwrap_command(bwrap: str, seccomp_fd: int) -> list[str]:
    """Return the bubblewrap command line that starts the sandboxed interpreter (arguments follow)."""
    return [
        bwrap,
        *("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session"),
        *("--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--hostname", "sandbox", "--clearenv"),
        *_system_binds(),
        *_interpreter_binds(),
        *("--dev", "/dev", "--size", str(WORKDIR_BYTES), "--tmpfs", WORKDIR, "--chdir", WORKDIR),
        *("--seccomp", str(seccomp_fd)),
        *(str(interpreter()), "-I", "-S", "-B", "-X", "utf8"),
    ]


def _seccomp_program() -> bytes:
    """Return the compiled seccomp filter (BPF) that refuses DENIED_SYSCALLS."""
    try:
        import pyseccomp
    except (ImportError, OSError) as err:  # pyseccomp loads libseccomp.so.2 at import
        raise SandboxError(f"the sandbox needs libseccomp ({err}); {INSTALL_HINT}") from err
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        with contextlib.suppress(RuntimeError):  # a syscall this architecture does not have
            rules.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
    with tempfile.TemporaryFile() as out:
        rules.export_bpf(out)
        out.seek(0)
        return out.read()


@functools.cache
def _sandbox() -> tuple[str, bytes]:
    """Return bwrap's path and the seccomp program once a probe ran in the sandbox; raise if it cannot."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxError(f"refusing to run code without a sandbox: bwrap is not installed; {INSTALL_HINT}")
    program = _seccomp_program()
    try:
        returncode, _, stderr = _spawn(bwrap, program, ["-c", _PROBE], "", _PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise SandboxError("refusing to run code: the sandbox probe did not finish") from None
    if returncode != 0:
        raise SandboxError(
            "refusing to run code: bubblewrap could not start an isolated interpreter "
            f"(exit status {returncode}: {_last_line(stderr) or 'no message'}); it needs user namespaces "
            "(as root, or with unprivileged user namespaces enabled)"
        )
    return bwrap, program


def available() -> bool:
    """Tell whether code can run here (bubblewrap, libseccomp and namespaces all work)."""
    try:
        _sandbox()
    except SandboxError:
        return False
    return True


def _temporary(data: bytes = b"") -> IO[bytes]:
    """Return an unlinked temporary file holding ``data``: nothing to clean up, even after a kill."""
    handle = tempfile.TemporaryFile()
    handle.write(data)
    handle.seek(0)
    return handle


def _tail(handle: IO[bytes], limit: int) -> str:
    """Return up to the last ``limit`` bytes written to ``handle``."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - limit))
    return handle.read().decode("utf-8", errors="replace")


def _spawn(
    bwrap: str, program: bytes, args: list[str], source: str, timeout_s: float, max_output: int = 4000
) -> tuple[int, str, str]:
    """Run the sandboxed interpreter with ``args``; return its status, stdout head and stderr tail."""
    with (
        _temporary(program) as seccomp,
        _temporary(source.encode("utf-8", errors="surrogatepass")) as stdin,
        _temporary() as stdout,
        _temporary() as stderr,
    ):
        process = subprocess.Popen(
            [*bwrap_command(bwrap, seccomp.fileno()), *args],
            env={},
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            pass_fds=(seccomp.fileno(),),
            start_new_session=True,  # its own process group: a timeout kills bwrap and so the namespace
        )
        try:
            returncode = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # it may have exited just now
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        stdout.seek(0)
        # a character is at most 4 bytes: read enough for max_output characters and one more
        head = stdout.read(4 * max_output + 4).decode("utf-8", errors="replace")
        return returncode, head, _tail(stderr, _STDERR_TAIL_BYTES)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


def _last_line(text: str) -> str:
    """Return the last non-empty line (the exception line of a traceback), at most MAX_ERROR_CHARS."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last if len(last) <= MAX_ERROR_CHARS else last[:MAX_ERROR_CHARS] + " ... (truncated)"


def _failure(returncode: int, stderr: str) -> SandboxError:
    """Describe why the child failed, from its exit status and stderr."""
    last = _last_line(stderr)
    if "File too large" in last:
        return SandboxError(f"Code wrote more than {MAX_FILE_BYTES} bytes of output or file data")
    if returncode < 0 or returncode > 128:  # killed: bwrap reports its child's signal as 128 + n
        number = -returncode if returncode < 0 else returncode - 128
        if number == signal.SIGXCPU:
            return SandboxError("Code used too much CPU time")
        if number == signal.SIGXFSZ:
            return SandboxError(f"Code wrote more than {MAX_FILE_BYTES} bytes of output or file data")
        name = signal.Signals(number).name if number in signal.valid_signals() else number
        return SandboxError(f"Code was killed by signal {name}" + (f": {last}" if last else ""))
    if _EXCEPTION_LINE.match(last):  # a traceback's last line says it all: `ValueError: ...`
        return SandboxError(last)
    ending = f"; its error output ends with: {last}" if last else ", writing no error message"
    return SandboxError(f"Code exited with status {returncode}{ending}")


def run_python(source: str, *, timeout_s: float = 5.0, memory_mb: int = 256, max_output: int = 4000) -> str:
    """Run untrusted Python in the sandbox and return what it printed.

    If nothing was printed and the code ends with an expression, or with an assignment to one
    name, that value's repr is returned (REPL style). Failures, timeouts and a missing sandbox
    raise SandboxError.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxError(f"Code is too long ({len(source)} characters, limit {MAX_SOURCE_CHARS})")
    bwrap, program = _sandbox()
    cpu_s = max(1, int(timeout_s) + 1)  # CPU time backs up the wall clock if the parent cannot kill
    args = ["-c", _child_source(), WORKDIR, str(memory_mb), str(cpu_s), str(MAX_FILE_BYTES)]
    try:
        returncode, output, errors = _spawn(bwrap, program, args, source, timeout_s, max_output)
    except subprocess.TimeoutExpired:
        raise SandboxError(f"Code timed out after {timeout_s:g} s") from None
    if returncode != 0:
        raise _failure(returncode, errors)
    output = output.strip()
    if len(output) > max_output:
        output = output[:max_output] + "\n... (output truncated)"
    return output
