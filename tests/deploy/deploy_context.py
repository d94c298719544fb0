"""What the deploy checks share: paths, the files read, and server command lines.

server_command_lines() returns, for each deployment, the arguments it passes
to synesthesia-server: the image's ENTRYPOINT plus Compose's command or the
pod's args (with --flagfile expanded from its ConfigMap source), and the
systemd ExecStart= expanded with synesthesia.env.
"""

import pathlib
import re
import subprocess

import deploy_files


class Skip(Exception):
    """Raised when a check cannot run here; the message gives the reason."""


class Context:
    """Paths of the repository and binaries, and the deploy files read once."""

    def __init__(self, options):
        self.repo = pathlib.Path(options.repo).resolve()
        self.server = pathlib.Path(options.server).resolve()
        self.cli = pathlib.Path(options.cli).resolve() if options.cli else None
        self.deploy = self.repo / "deploy"
        self.monitoring = self.repo / "monitoring"
        self.problems = []

    def fail(self, message):
        self.problems.append(message)

    def dockerfile(self):
        return deploy_files.Dockerfile(self.deploy / "docker" / "Dockerfile")

    def compose(self):
        return deploy_files.load_yaml_documents(self.deploy / "compose.yaml")[0]

    def kustomize_base(self):
        return deploy_files.Kustomization(self.deploy / "k8s" / "base")

    def unit(self):
        return deploy_files.SystemdUnit(self.deploy / "systemd" / "synesthesia.service")

    def unit_environment(self):
        return deploy_files.read_environment_file(self.deploy / "systemd" / "synesthesia.env")

    def test_model(self):
        return self.repo / "tests" / "data" / "distilbert-tiny"


def server_deployment(context):
    """Return the Deployment's server container (the one running the image)."""
    deployment = context.kustomize_base().find("Deployment", "synesthesia")[0]
    return deployment["spec"]["template"]["spec"]["containers"][0]


def expand_flagfiles(context, args, container):
    """Replace --flagfile=PATH in a container's ARGS by the flags of PATH.

    PATH must lie on a volume mounted from a ConfigMap that the base's
    configMapGenerator creates from a file in the repository.
    """
    base = context.kustomize_base()
    volumes = {
        v["name"]: v for v in base.find("Deployment", "synesthesia")[0]["spec"]["template"]["spec"]["volumes"]
    }
    expanded = []
    for arg in args:
        match = re.fullmatch(r"--flagfile=(.+)", arg)
        if not match:
            expanded.append(arg)
            continue
        path = pathlib.PurePosixPath(match.group(1))
        source = None
        for mount in container.get("volumeMounts", []):
            if path.parent == pathlib.PurePosixPath(mount["mountPath"]):
                config_map = volumes[mount["name"]].get("configMap", {}).get("name")
                if config_map:
                    source = base.generated_config_map_file(config_map, path.name)
        if source is None or not source.exists():
            context.fail(f"k8s: --flagfile={path} is not a file of a generated ConfigMap mounted there")
            continue
        expanded.extend(deploy_files.read_flagfile(source))
    return expanded


def server_command_lines(context):
    """Return {deployment name: server arguments} for every deployment file."""
    dockerfile = context.dockerfile()
    entrypoint = dockerfile.entrypoint()
    image_flags = entrypoint[1:]

    compose_server = context.compose()["services"]["synesthesia"]
    container = server_deployment(context)

    unit = context.unit()
    exec_start = deploy_files.expand_exec_start(
        unit.value("Service", "ExecStart"), context.unit_environment()
    )

    return {
        "Dockerfile ENTRYPOINT and CMD": image_flags + dockerfile.cmd(),
        "compose.yaml": image_flags + list(compose_server.get("command", [])),
        "k8s Deployment": image_flags
        + expand_flagfiles(context, list(container.get("args", [])), container),
        "systemd ExecStart": exec_start[1:],
    }


def server_flag_names(context):
    """Return the flag names that synesthesia-server --helpfull lists."""
    result = subprocess.run(
        [str(context.server), "--helpfull"], capture_output=True, text=True, timeout=60
    )
    names = set(re.findall(r"^\s+--([A-Za-z0-9_]+) \(", result.stdout + result.stderr, re.MULTILINE))
    if "listen" not in names:
        raise RuntimeError(f"no flags found in {context.server} --helpfull:\n{result.stdout}")
    return names


def effective_ports(args):
    """Return (gRPC port, metrics port) of server ARGS, with the server's defaults."""
    values = deploy_files.flag_values(args)
    listen = values.get("listen", "127.0.0.1:50051")
    metrics = values.get("metrics_address", "127.0.0.1:9464")
    return deploy_files.address_port(listen), deploy_files.address_port(metrics)
