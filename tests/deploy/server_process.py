"""Start synesthesia-server on loopback and query it, for the deploy checks.

The server listens on 127.0.0.1 with ports chosen by the kernel. The gRPC
health check goes through python3-grpcio with hand-encoded messages, so no
generated code is needed.
"""

import os
import pathlib
import signal
import subprocess
import tempfile
import time

import grpc

# grpc.health.v1.HealthCheckResponse with status = SERVING (field 1, value 1).
_SERVING_RESPONSE = b"\x08\x01"


def health_status(port, timeout_s=2.0):
    """Return True when grpc.health.v1.Health/Check on PORT reports SERVING."""
    # Proxy variables in the environment must not redirect loopback calls.
    options = [("grpc.enable_http_proxy", 0)]
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        try:
            response = check(b"", timeout=timeout_s)
        except grpc.RpcError:
            return False
    return response == _SERVING_RESPONSE


def proc_status(pid):
    """Return /proc/PID/status as a dict of field name to its values (a list)."""
    fields = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.split()
    return fields


class Server:
    """A synesthesia-server child process on 127.0.0.1 with kernel-chosen ports.

    BINARY may be a wrapper (strace, unshare) that runs the server as its
    only child process: pass WRAPPED=True, and signals go to that child.
    Use as a context manager: leaving the block sends SIGTERM, then SIGKILL
    if the process is still running after KILL_AFTER_S.
    """

    KILL_AFTER_S = 60

    def __init__(self, binary, args, env=None, preexec_fn=None, wrapped=False):
        self._wrapped = wrapped
        self._scratch = tempfile.TemporaryDirectory(prefix="synesthesia-deploy-")
        self._port_file = pathlib.Path(self._scratch.name) / "ports"
        self._log_path = pathlib.Path(self._scratch.name) / "server.log"
        self._log = open(self._log_path, "wb")
        command = [
            str(binary),
            "--listen=127.0.0.1:0",
            "--metrics_address=127.0.0.1:0",
            f"--port_file={self._port_file}",
            *args,
        ]
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec_fn
        )
        self.port = None
        self.metrics_port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.KILL_AFTER_S)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._scratch.cleanup()

    def server_pid(self):
        """Return the server's process id: the wrapper's only child when WRAPPED."""
        if not self._wrapped:
            return self.process.pid
        pid = self.process.pid
        children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if len(children) != 1:
            raise RuntimeError(f"wrapper {pid} has children {children}, expected one")
        return int(children[0])

    def send_signal(self, number):
        """Send signal NUMBER to the server, if it is still running."""
        try:
            os.kill(self.server_pid(), number)
        except (ProcessLookupError, FileNotFoundError, RuntimeError):
            pass

    def log(self):
        """Return what the server has written to stdout and stderr so far."""
        self._log.flush()
        return self._log_path.read_text(errors="replace")

    def wait_serving(self, timeout_s):
        """Wait until the server reports SERVING; return the seconds it took.

        Raises RuntimeError with the server's log when it exits first or
        TIMEOUT_S passes.
        """
        start = time.monotonic()
        deadline = start + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with code {self.process.returncode}:\n{self.log()}"
                )
            if self.port is None and self._port_file.exists():
                lines = self._port_file.read_text().split()
                if len(lines) == 2:
                    self.port, self.metrics_port = int(lines[0]), int(lines[1])
            if self.port is not None and health_status(self.port):
                return time.monotonic() - start
            time.sleep(0.2)
        raise RuntimeError(f"server not SERVING after {timeout_s} s:\n{self.log()}")

    def status(self):
        """Return /proc/PID/status of the server as a dict."""
        return proc_status(self.server_pid())

    def terminate(self, timeout_s):
        """Send SIGTERM to the server; return (exit code, seconds until exit).

        With a wrapper, the exit code is the wrapper's, which strace and
        unshare take from the server.
        """
        start = time.monotonic()
        self.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout_s)
        return code, time.monotonic() - start


def environment(**overrides):
    """Return a copy of the environment with OVERRIDES; None removes a name."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env
