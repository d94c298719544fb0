#!/usr/bin/python3
"""Checks that the deployment files under deploy/ agree with the server.

No Docker engine or Kubernetes cluster is needed: the checks read the files,
ask the built synesthesia-server for its flags, run it on loopback where a
behaviour must be seen, and use dpkg, systemd-analyze, strace and kubectl
(kustomize) where they exist. tests/deploy/CMakeLists.txt registers each
check as one ctest test (label deploy).

Usage: check_deploy.py CHECK --repo DIR --server BIN [--cli BIN]
Exit codes: 0 passed, 1 failed (each problem is printed), 77 skipped (a
tool or file the check needs is missing; the reason is printed).
"""

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import file_checks  # noqa: E402
import process_checks  # noqa: E402
from deploy_context import Context, Skip  # noqa: E402

EXIT_SKIP = 77

CHECKS = {
    "files-parse": file_checks.check_files_parse,
    "runtime-packages": file_checks.check_runtime_packages,
    "flags": file_checks.check_flags,
    "ports": file_checks.check_ports,
    "grace-periods": file_checks.check_grace_periods,
    "systemd-unit": file_checks.check_systemd_unit,
    "sandbox-syscalls": process_checks.check_sandbox_syscalls,
    "memory-deny-write-execute": process_checks.check_memory_deny_write_execute,
    "pid1": process_checks.check_stops_as_pid1,
    "kustomize": file_checks.check_kustomize,
    "monitoring-wiring": file_checks.check_monitoring_wiring,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("--repo", required=True, help="repository root")
    parser.add_argument("--server", required=True, help="built synesthesia-server")
    parser.add_argument("--cli", help="built synesthesia CLI, if any")
    options = parser.parse_args()

    context = Context(options)
    try:
        CHECKS[options.check](context)
    except Skip as skip:
        print(f"skipped: {skip}")
        return EXIT_SKIP
    for problem in context.problems:
        print(f"FAIL: {problem}")
    if context.problems:
        return 1
    print(f"{options.check}: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
