"""Deploy checks that run synesthesia-server on loopback the way a deployment does.

The server runs on tests/data/distilbert-tiny, with ports chosen by the
kernel; each check stops it before returning. Each check takes a
deploy_context.Context, records problems with context.fail and raises
deploy_context.Skip when a tool or kernel feature it needs is missing.
"""

import ctypes
import errno
import pathlib
import re
import shutil
import subprocess
import tempfile
import urllib.request

import server_process
from deploy_context import Skip


def syscall_group_members(group, cache):
    """Return the system calls of a systemd syscall group, nested groups expanded."""
    if group in cache:
        return cache[group]
    listing = subprocess.run(
        ["systemd-analyze", "syscall-filter", "--no-pager", group],
        capture_output=True, text=True, check=True,
    ).stdout
    names = set()
    for line in listing.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names |= syscall_group_members(line, cache) if line.startswith("@") else {line}
    cache[group] = names
    return names


def allowed_syscalls(unit):
    """Return the system calls the unit's SystemCallFilter= lines allow."""
    cache = {}
    allowed = None
    for value in unit.values("Service", "SystemCallFilter"):
        deny = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= syscall_group_members(item, cache) if item.startswith("@") else {item}
        if allowed is None:
            allowed = set() if not deny else None
        if deny:
            if allowed is not None:
                allowed -= names
        else:
            allowed |= names
    return allowed


def exercise_server(context, server):
    """Send the calls a deployed server receives: health, a metrics scrape, and colorize."""
    server.wait_serving(120)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=10) as response:
        response.read()
    if context.cli is not None:
        bench = subprocess.run(
            [str(context.cli), "bench", f"--server=127.0.0.1:{server.port}", "--requests=8",
             "--concurrency=2"], capture_output=True, text=True, timeout=300,
        )
        if bench.returncode != 0:
            context.fail(f"synesthesia bench failed under strace:\n{bench.stdout}{bench.stderr}")
    else:
        print("note: the synesthesia CLI is not built here; only the warm-up forward pass runs")


def check_sandbox_syscalls(context):
    """The server's system calls and file writes fit the unit and the pod's read-only root."""
    if shutil.which("strace") is None:
        raise Skip("strace is not installed")
    if shutil.which("systemd-analyze") is None:
        raise Skip("systemd-analyze is not installed (Debian package systemd)")
    probe = subprocess.run(["strace", "-qq", "-o", "/dev/null", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise Skip(f"strace cannot trace here: {probe.stderr.strip()}")

    with tempfile.TemporaryDirectory(prefix="synesthesia-strace-") as scratch:
        trace = pathlib.Path(scratch) / "trace"
        wrapper = pathlib.Path(scratch) / "traced-server"
        wrapper.write_text(f'#!/bin/sh\nexec strace -f -qq -o {trace} {context.server} "$@"\n')
        wrapper.chmod(0o755)
        with server_process.Server(wrapper, [f"--model={context.test_model()}"], wrapped=True) as server:
            exercise_server(context, server)
            code, _ = server.terminate(timeout_s=60)
            if code != 0:
                context.fail(f"server under strace exited with {code}:\n{server.log()}")
        lines = trace.read_text(errors="replace").splitlines()

    used = set()
    for line in lines:
        match = re.match(r"\d+\s+(?:<\.\.\. )?([a-z_0-9]+)[( ]", line)
        if match and match.group(1) not in ("exited", "killed", "resumed"):
            used.add(match.group(1))
    allowed = allowed_syscalls(context.unit())
    if allowed is None:
        context.fail("synesthesia.service: no SystemCallFilter= allow list")
    else:
        for name in sorted(used - allowed):
            context.fail(f"synesthesia.service: SystemCallFilter= blocks {name}, which the server calls")
    print(f"the server made {len(used)} distinct system calls")

    families = set(re.findall(r"socket\((AF_[A-Z0-9]+)", "\n".join(lines)))
    permitted = set(context.unit().value("Service", "RestrictAddressFamilies", "").split())
    for family in sorted(families - permitted):
        context.fail(f"synesthesia.service: RestrictAddressFamilies= lacks {family}, which the server opens")

    # The pod's root filesystem is read-only: only the --port_file that
    # server_process.Server passes may be written.
    for line in lines:
        match = re.search(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]+)", [^)]*(O_WRONLY|O_RDWR|O_CREAT)', line)
        if match and not match.group(1).endswith("/ports") and not match.group(1).startswith("/dev/"):
            context.fail(f"the server writes {match.group(1)}; the read-only root filesystem would refuse it")


PR_SET_MDWE = 65


PR_MDWE_REFUSE_EXEC_GAIN = 1


def check_memory_deny_write_execute(context):
    """MemoryDenyWriteExecute= is on exactly when the server works under it.

    Linux 6.3+ applies the same rule to a process through
    prctl(PR_SET_MDWE): no mapping may become writable and executable.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, 0, 0, 0, 0) == -1 and ctypes.get_errno() == errno.EINVAL:
        # Setting no bits is allowed on kernels that know PR_SET_MDWE.
        raise Skip("this kernel has no PR_SET_MDWE (Linux 6.3 or later)")

    def deny_write_execute():
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_MDWE)")

    with server_process.Server(
        context.server, [f"--model={context.test_model()}"], preexec_fn=deny_write_execute
    ) as server:
        try:
            server.wait_serving(120)
            works = True
        except RuntimeError as error:
            works = False
            print(f"the server fails under PR_SET_MDWE:\n{str(error)[-2000:]}")

    setting = context.unit().value("Service", "MemoryDenyWriteExecute", "no")
    enabled = setting.lower() in ("yes", "true", "on", "1")
    print(f"works under MDWE: {works}; unit sets MemoryDenyWriteExecute={setting}")
    if enabled and not works:
        context.fail("synesthesia.service sets MemoryDenyWriteExecute=yes, but the server fails under it")
    if works and not enabled:
        context.fail("the server works under MDWE now; set MemoryDenyWriteExecute=yes in synesthesia.service")


def check_stops_as_pid1(context):
    """As PID 1 of its own PID namespace, as in a container, SIGTERM stops the server with 0."""
    if shutil.which("unshare") is None:
        raise Skip("unshare is not installed")
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise Skip(f"cannot create a PID namespace here: {probe.stderr.strip()}")

    with tempfile.TemporaryDirectory(prefix="synesthesia-pid1-") as scratch:
        wrapper = pathlib.Path(scratch) / "pid1-server"
        wrapper.write_text(f'#!/bin/sh\nexec unshare --pid --fork --kill-child "{context.server}" "$@"\n')
        wrapper.chmod(0o755)
        with server_process.Server(wrapper, [f"--model={context.test_model()}"], wrapped=True) as server:
            server.wait_serving(120)
            # NSpid lists the process id in each nested PID namespace, innermost last.
            namespace_pid = server.status()["NSpid"][-1]
            if namespace_pid != "1":
                context.fail(f"the server is PID {namespace_pid} in its namespace, not 1")
            code, seconds = server.terminate(timeout_s=60)
            print(f"the server as PID 1 exited with {code} {seconds:.2f} s after SIGTERM")
            if code != 0:
                context.fail(f"the server as PID 1 exited with {code} after SIGTERM:\n{server.log()}")
