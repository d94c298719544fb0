"""Deploy checks that read the files and ask the built binaries for facts.

Each check takes a deploy_context.Context, records problems with
context.fail and raises deploy_context.Skip when a tool it needs is missing.
"""

import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import yaml

import deploy_files
from deploy_context import Skip, effective_ports, server_command_lines, server_deployment, server_flag_names


def check_files_parse(context):
    """Every YAML and JSON file under deploy/ and monitoring/ parses."""
    count = 0
    for folder in (context.deploy, context.monitoring):
        if not folder.is_dir():
            print(f"note: {folder} does not exist yet")
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json") or "node_modules" in path.parts:
                continue
            count += 1
            try:
                documents = deploy_files.load_structured(path)
            except Exception as error:  # noqa: BLE001 - any parser error is the finding
                context.fail(f"{path.relative_to(context.repo)}: {error}")
                continue
            if not documents:
                context.fail(f"{path.relative_to(context.repo)}: no document")
    print(f"parsed {count} files")
    if count == 0:
        context.fail("no YAML or JSON file found under deploy/")


def runtime_package_closure(runtime_packages):
    """Return the installed packages that apt brings in with RUNTIME_PACKAGES.

    Follows Depends and Pre-Depends of installed packages. Of an
    alternative (a | b), apt installs the first one unless another is
    already chosen, so only the first is followed, or an alternative that is
    itself in the runtime role. A virtual package stands for its installed
    providers.
    """
    listing = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Provides}\t${Depends}, ${Pre-Depends}\n"],
        capture_output=True, text=True, check=True,
    ).stdout
    installed = {}
    providers = {}
    for line in listing.splitlines():
        package, status, provides, depends = line.split("\t")
        if status != "install ok installed":
            continue
        installed[package] = depends
        for provided in provides.split(","):
            name = provided.strip().split(" ")[0].split(":")[0]
            if name:
                providers.setdefault(name, set()).add(package)

    def resolve(name):
        name = name.split(":")[0]
        if name in installed:
            return {name}
        return providers.get(name, set())

    closure = set()
    pending = [p for p in runtime_packages if p in installed]
    while pending:
        package = pending.pop()
        if package in closure:
            continue
        closure.add(package)
        for group in installed[package].split(","):
            alternatives = [a.strip().split(" ")[0] for a in group.split("|") if a.strip()]
            if not alternatives:
                continue
            chosen = [a for a in alternatives if a.split(":")[0] in runtime_packages] or alternatives[:1]
            for alternative in chosen:
                pending.extend(resolve(alternative) - closure)
    return closure


def library_owners(paths):
    """Return {ldd path: owning package} through one dpkg -S call.

    Tries each path as ldd printed it, its real path (alternatives are
    symbolic links), and both spellings of merged /usr.
    """
    candidates = {}
    for path in paths:
        forms = {path, os.path.realpath(path)}
        for form in list(forms):
            if form.startswith("/usr/"):
                forms.add(form[len("/usr"):])
            else:
                forms.add("/usr" + form)
        for form in forms:
            candidates.setdefault(form, set()).add(path)
    result = subprocess.run(
        ["dpkg", "-S", *sorted(candidates)], capture_output=True, text=True, check=False
    )
    owners = {}
    for line in result.stdout.splitlines():
        packages, _, owned_path = line.rpartition(": ")
        if owned_path not in candidates or packages.startswith("diversion"):
            continue
        package = packages.split(",")[0].strip().split(":")[0]
        for original in candidates[owned_path]:
            # The real path wins: it names the package whose file is loaded.
            if owned_path == os.path.realpath(original) or original not in owners:
                owners[original] = package
    return owners


def check_runtime_packages(context):
    """apt-get only through install-deps.sh; the runtime role covers every library."""
    dockerfile = context.dockerfile()
    for stage in dockerfile.stages:
        for keyword, argument in stage["instructions"]:
            if keyword != "RUN":
                continue
            if re.search(r"\b(apt-get|apt|aptitude)\s+(-\S+\s+)*install\b|\bdpkg\s+-i\b", argument):
                context.fail(f"Dockerfile stage {stage['name']}: installs packages by name: RUN {argument}")

    def roles_installed(stage):
        roles = []
        for argument in dockerfile.instructions("RUN", stage):
            for match in re.finditer(r"install-deps\.sh((?:\s+[a-z]+)+)", argument):
                roles.extend(match.group(1).split())
        return roles

    build_stages = [s for s in dockerfile.stages if s is not dockerfile.final_stage()]
    if not any(roles_installed(s) == ["build"] for s in build_stages):
        context.fail("Dockerfile: no build stage runs scripts/install-deps.sh build")
    if roles_installed(dockerfile.final_stage()) != ["runtime"]:
        context.fail(
            "Dockerfile: the runtime stage must run scripts/install-deps.sh runtime and nothing else, "
            f"found roles {roles_installed(dockerfile.final_stage())}"
        )

    runtime = subprocess.run(
        [str(context.repo / "scripts" / "install-deps.sh"), "--list", "runtime"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    closure = runtime_package_closure(set(runtime))

    # The image also carries synesthesia-local, which the CLI runs from its
    # own directory for local mode.
    binaries = [context.server]
    if context.cli is not None:
        binaries.append(context.cli)
        local_mode = context.cli.parent / "synesthesia-local"
        if local_mode.exists():
            binaries.append(local_mode)
    for binary in binaries:
        ldd = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
        if "not found" in ldd:
            context.fail(f"{binary.name}: ldd finds no file for some libraries:\n{ldd}")
        libraries = re.findall(r"=>\s+(/\S+)", ldd)
        owners = library_owners(libraries)
        for library in libraries:
            package = owners.get(library)
            if package is None:
                context.fail(f"{binary.name}: {library} belongs to no Debian package")
            elif package not in closure:
                context.fail(
                    f"{binary.name}: {library} comes from {package}, which the runtime role of "
                    f"scripts/debian-packages.txt does not install; add it there with role runtime"
                )
        print(f"{binary.name}: {len(libraries)} libraries from {len(set(owners.values()))} packages")


def check_flags(context):
    """Every server flag in the deploy files exists, and each command line parses."""
    known = server_flag_names(context)
    command_lines = server_command_lines(context)
    for source, args in command_lines.items():
        for name in deploy_files.flag_names(args):
            if name not in known:
                context.fail(f"{source}: --{name} is not a flag of synesthesia-server")
        dry_run(context, source, args)
    check_healthcheck_cli(context)


def dry_run(context, source, args):
    """Run the server with ARGS so that it parses and validates every flag.

    Appending --auth_token_file with a missing file makes the server stop
    right after flag validation, before it binds a port or loads a model:
    exit code 1 with that file named means every flag was accepted.
    """
    with tempfile.TemporaryDirectory(prefix="synesthesia-deploy-") as scratch:
        missing = pathlib.Path(scratch) / "missing-token"
        probe_args = [*args, f"--model={scratch}", f"--auth_token_file={missing}"]
        result = subprocess.run(
            [str(context.server), *probe_args], capture_output=True, text=True, timeout=60,
            cwd=scratch,
        )
    output = result.stdout + result.stderr
    if result.returncode != 1 or "cannot read --auth_token_file" not in output:
        context.fail(
            f"{source}: synesthesia-server rejects {' '.join(args)} "
            f"(exit code {result.returncode}):\n{output.strip()}"
        )
    else:
        print(f"{source}: server accepts {' '.join(args)}")


def check_healthcheck_cli(context):
    """The Dockerfile's HEALTHCHECK uses options that `synesthesia health` has."""
    command = context.dockerfile().healthcheck_command()
    if command is None:
        context.fail("Dockerfile: no HEALTHCHECK")
        return
    if command[:2] != ["synesthesia", "health"]:
        context.fail(f"Dockerfile: HEALTHCHECK must run `synesthesia health`, runs {command}")
        return
    if context.cli is None:
        print("note: the synesthesia CLI is not built here; HEALTHCHECK options not checked")
        return
    help_text = subprocess.run(
        [str(context.cli), "health", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for option in (a for a in command[2:] if a.startswith("--")):
        if not re.search(rf"^\s+{re.escape(option)}\b", help_text, re.MULTILINE):
            context.fail(f"Dockerfile HEALTHCHECK: `synesthesia health` has no option {option}")


def check_ports(context):
    """Exposed, published, probed and Service ports match --listen and --metrics_address."""
    command_lines = server_command_lines(context)

    dockerfile = context.dockerfile()
    grpc_port, metrics_port = effective_ports(command_lines["Dockerfile ENTRYPOINT and CMD"])
    listen = deploy_files.flag_values(dockerfile.entrypoint()).get("listen", "")
    if not listen.startswith(("0.0.0.0:", "[::]:")):
        context.fail(f"Dockerfile: ENTRYPOINT must listen on all addresses, has --listen={listen}")
    if dockerfile.exposed_ports() != {grpc_port, metrics_port}:
        context.fail(f"Dockerfile: EXPOSE {sorted(dockerfile.exposed_ports())}, "
                     f"server listens on {grpc_port} and {metrics_port}")
    health = dockerfile.healthcheck_command() or []
    if "--server" in health and health[health.index("--server") + 1] != f"127.0.0.1:{grpc_port}":
        context.fail(f"Dockerfile: HEALTHCHECK asks {health[health.index('--server') + 1]}, "
                     f"server listens on {grpc_port}")

    check_compose_ports(context, *effective_ports(command_lines["compose.yaml"]))
    check_kubernetes_ports(context, *effective_ports(command_lines["k8s Deployment"]))

    environment = context.unit_environment()
    for name in ("SYNESTHESIA_LISTEN", "SYNESTHESIA_METRICS_ADDRESS"):
        if not re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[0-9.]+|[A-Za-z0-9.-]+):\d+", environment.get(name, "")):
            context.fail(f"synesthesia.env: {name} must be HOST:PORT, is '{environment.get(name)}'")


def published_container_ports(service):
    """Return the container ports of a Compose service's ports: list."""
    ports = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).rsplit(":", 1)[-1].split("/")[0]))
    return ports


def prometheus_port(service):
    """Return the port a Compose service running Prometheus listens on."""
    command = service.get("command", [])
    address = deploy_files.flag_values(command).get("web.listen-address", ":9090")
    return deploy_files.address_port(address)


def check_compose_ports(context, grpc_port, metrics_port):
    services = context.compose()["services"]
    published = published_container_ports(services["synesthesia"])
    for port, port_kind in ((grpc_port, "gRPC"), (metrics_port, "metrics")):
        if port not in published:
            context.fail(f"compose.yaml: the {port_kind} port {port} is not published")

    # Grafana listens on 3000 unless GF_SERVER_HTTP_PORT sets another port.
    grafana = services.get("grafana", {})
    grafana_port = int(grafana.get("environment", {}).get("GF_SERVER_HTTP_PORT", 3000))
    for name, port in (("prometheus", prometheus_port(services.get("prometheus", {}))),
                       ("grafana", grafana_port)):
        if port not in published_container_ports(services.get(name, {})):
            context.fail(f"compose.yaml: {name}'s port {port} is not published")


def resolve_target_port(target, container_ports):
    """Return the container port number a Service targetPort names, or None."""
    if isinstance(target, int):
        return target if target in container_ports.values() else None
    return container_ports.get(target)


def check_kubernetes_ports(context, grpc_port, metrics_port):
    base = context.kustomize_base()
    container = server_deployment(context)
    container_ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    if container_ports.get("grpc") != grpc_port:
        context.fail(f"k8s Deployment: containerPort grpc is {container_ports.get('grpc')}, "
                     f"server listens on {grpc_port}")
    if container_ports.get("metrics") != metrics_port:
        context.fail(f"k8s Deployment: containerPort metrics is {container_ports.get('metrics')}, "
                     f"metrics are on {metrics_port}")

    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(probe_name)
        if probe is None:
            context.fail(f"k8s Deployment: no {probe_name}")
        elif probe.get("grpc", {}).get("port") != grpc_port:
            context.fail(f"k8s Deployment: {probe_name} must be a gRPC probe on port {grpc_port}, "
                         f"is {probe}")

    services = base.find("Service")
    headless = [s for s in services if s["spec"].get("clusterIP") == "None"]
    cluster_ip = [s for s in services if s["spec"].get("clusterIP") != "None"]
    if not headless or not cluster_ip:
        context.fail("k8s: needs a ClusterIP Service and a headless Service (clusterIP: None)")
    for service in services:
        name = service["metadata"]["name"]
        for port in service["spec"]["ports"]:
            target = resolve_target_port(port.get("targetPort", port["port"]), container_ports)
            if target is None:
                context.fail(f"k8s Service {name}: targetPort {port.get('targetPort')} names no container port")
        targets = {resolve_target_port(p.get("targetPort", p["port"]), container_ports)
                   for p in service["spec"]["ports"]}
        if grpc_port not in targets:
            context.fail(f"k8s Service {name}: no port reaches gRPC port {grpc_port}")

    overlay = context.deploy / "k8s" / "overlays" / "prometheus-operator"
    for monitor in deploy_files.Kustomization(overlay).find("ServiceMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"]
        endpoint_ports = {e["port"] for e in monitor["spec"]["endpoints"]}
        reached = set()
        for service in cluster_ip:
            labels = dict(service["metadata"].get("labels", {}))
            labels.update(context.kustomize_base().config.get("labels", [{}])[0].get("pairs", {}))
            if all(labels.get(k) == v for k, v in selector.items()):
                for port in service["spec"]["ports"]:
                    if port["name"] in endpoint_ports:
                        reached.add(resolve_target_port(port.get("targetPort"), container_ports))
        if reached != {metrics_port}:
            context.fail(f"ServiceMonitor: reaches container ports {reached}, metrics are on {metrics_port}")


def check_grace_periods(context):
    """Kubernetes, Compose and systemd wait longer than the server's drain."""
    command_lines = server_command_lines(context)

    def grace_s(args):
        return deploy_files.parse_duration_s(
            deploy_files.flag_values(args).get("shutdown_grace_period", "10s")
        )

    pod = context.kustomize_base().find("Deployment", "synesthesia")[0]["spec"]["template"]["spec"]
    container = server_deployment(context)
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    pre_stop_s = 0.0
    command = pre_stop.get("exec", {}).get("command", [])
    if command[:1] == ["sleep"]:
        pre_stop_s = float(command[1])
    elif "sleep" in pre_stop:
        pre_stop_s = float(pre_stop["sleep"]["seconds"])
    k8s_grace = grace_s(command_lines["k8s Deployment"])
    termination = pod.get("terminationGracePeriodSeconds", 30)
    print(f"k8s: terminationGracePeriodSeconds {termination}, preStop {pre_stop_s} s, "
          f"--shutdown_grace_period {k8s_grace} s")
    if termination <= pre_stop_s + k8s_grace:
        context.fail(f"k8s: terminationGracePeriodSeconds {termination} must exceed the preStop "
                     f"pause {pre_stop_s} s plus --shutdown_grace_period {k8s_grace} s")

    compose_grace = grace_s(command_lines["compose.yaml"])
    stop = deploy_files.parse_duration_s(
        context.compose()["services"]["synesthesia"].get("stop_grace_period", "10s")
    )
    print(f"compose: stop_grace_period {stop} s, --shutdown_grace_period {compose_grace} s")
    if stop <= compose_grace:
        context.fail(f"compose.yaml: stop_grace_period {stop} s must exceed "
                     f"--shutdown_grace_period {compose_grace} s")

    unit = context.unit()
    unit_grace = grace_s(command_lines["systemd ExecStart"])
    timeout_stop = deploy_files.parse_duration_s(unit.value("Service", "TimeoutStopSec", "90s"))
    print(f"systemd: TimeoutStopSec {timeout_stop} s, --shutdown_grace_period {unit_grace} s")
    if timeout_stop <= unit_grace:
        context.fail(f"synesthesia.service: TimeoutStopSec {timeout_stop} s must exceed "
                     f"--shutdown_grace_period {unit_grace} s")
    if unit.value("Service", "KillSignal", "SIGTERM") != "SIGTERM":
        context.fail("synesthesia.service: KillSignal must be SIGTERM")


def unit_for_build_tree(context, scratch):
    """Write a copy of the unit whose ExecStart runs the built server; return its path."""
    text = (context.deploy / "systemd" / "synesthesia.service").read_text()
    text = re.sub(r"(ExecStart=)\S*synesthesia-server", rf"\g<1>{context.server}", text)
    path = pathlib.Path(scratch) / "synesthesia.service"
    path.write_text(text)
    return path


def check_systemd_unit(context):
    """systemd-analyze verify accepts the unit, and its sandbox rates OK or better."""
    if shutil.which("systemd-analyze") is None:
        raise Skip("systemd-analyze is not installed (Debian package systemd)")
    with tempfile.TemporaryDirectory(prefix="synesthesia-unit-") as scratch:
        path = unit_for_build_tree(context, scratch)
        verify = subprocess.run(
            ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=120
        )
        if verify.returncode != 0 or verify.stderr.strip():
            context.fail(f"systemd-analyze verify (exit code {verify.returncode}):\n{verify.stderr}")
        security = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(path)],
            capture_output=True, text=True, timeout=120,
        )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", security.stdout)
    if match is None:
        context.fail(f"systemd-analyze security printed no exposure level:\n{security.stdout}{security.stderr}")
        return
    exposure = float(match.group(1))
    print(f"systemd-analyze security: exposure {exposure}")
    # The score runs from 0.0 to 10.0 (most exposed); systemd 252 labels this
    # unit's 1.5 "OK". The bound 2.0 catches a loosened sandbox.
    if exposure >= 2.0:
        context.fail(f"synesthesia.service: exposure {exposure} is 2.0 or more; tighten the sandbox")

    environment = context.unit_environment()
    exec_start = deploy_files.expand_exec_start(context.unit().value("Service", "ExecStart"), environment)
    for variable in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", context.unit().value("Service", "ExecStart")):
        if variable not in environment:
            context.fail(f"synesthesia.service: ExecStart uses ${variable}, which synesthesia.env does not set")
    print(f"ExecStart expands to: {' '.join(exec_start)}")


def check_kustomize(context):
    """kubectl kustomize builds the base and the overlay, with the generated ConfigMap wired in."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise Skip("kubectl is not installed; the structure checks still read the manifests")
    for directory in ("base", "overlays/prometheus-operator"):
        result = subprocess.run(
            [kubectl, "kustomize", str(context.deploy / "k8s" / directory)],
            capture_output=True, text=True, timeout=120,
        )
        if result.returncode != 0:
            context.fail(f"kubectl kustomize {directory}: {result.stderr}")
            continue
        documents = [d for d in yaml.safe_load_all(result.stdout) if d]
        kinds = sorted(d["kind"] for d in documents)
        print(f"{directory}: {', '.join(kinds)}")
        config_maps = {d["metadata"]["name"] for d in documents if d["kind"] == "ConfigMap"}
        for deployment in (d for d in documents if d["kind"] == "Deployment"):
            for volume in deployment["spec"]["template"]["spec"].get("volumes", []):
                name = volume.get("configMap", {}).get("name")
                if name is not None and name not in config_maps:
                    context.fail(f"{directory}: volume {volume['name']} mounts ConfigMap {name}, "
                                 f"which the build does not contain ({config_maps})")
        expected = {"ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Service"}
        if directory != "base":
            expected.add("ServiceMonitor")
        if set(kinds) != expected:
            context.fail(f"{directory}: builds {sorted(set(kinds))}, expected {sorted(expected)}")


def check_monitoring_wiring(context):
    """compose.yaml and the Kubernetes files fit what monitoring/ expects.

    Prometheus' configuration, its rule files, Grafana's provisioning and
    dashboards must lie on Compose mounts; the scrape target, the data
    source URL and the job name must name the services that exist.
    """
    if not (context.monitoring / "prometheus.yml").exists():
        raise Skip("monitoring/prometheus.yml does not exist yet")
    services = context.compose()["services"]
    metrics_port = effective_ports(server_command_lines(context)["compose.yaml"])[1]
    prometheus = services["prometheus"]
    prometheus_mounts = compose_mounts(context, prometheus)
    grafana_mounts = compose_mounts(context, services["grafana"])

    config_file = pathlib.PurePosixPath(
        deploy_files.flag_values(prometheus.get("command", [])).get(
            "config.file", "/etc/prometheus/prometheus.yml"))
    host_config = host_path_for(prometheus_mounts, config_file)
    if host_config is None or not pathlib.Path(host_config).is_file():
        context.fail(f"compose.yaml: Prometheus' {config_file} is not a mounted file")
        return
    config = deploy_files.load_yaml_documents(host_config)[0]
    config_display_path = pathlib.Path(host_config).relative_to(context.repo)

    # The rules and dashboards select job="synesthesia"; in Kubernetes the
    # ServiceMonitor's job label is the name of the Service it finds.
    job_name = "synesthesia"
    jobs = {job["job_name"]: job for job in config.get("scrape_configs", [])}
    if job_name not in jobs:
        context.fail(f"{config_display_path}: no scrape job '{job_name}'")
    else:
        targets = {t for sc in jobs[job_name].get("static_configs", []) for t in sc.get("targets", [])}
        if f"synesthesia:{metrics_port}" not in targets:
            context.fail(f"{config_display_path}: job {job_name} scrapes {sorted(targets)}, but the server's "
                         f"metrics are at synesthesia:{metrics_port} in compose.yaml")
    cluster_ip = [s for s in context.kustomize_base().find("Service") if s["spec"].get("clusterIP") != "None"]
    if [s["metadata"]["name"] for s in cluster_ip] != [job_name]:
        context.fail(f"k8s: the ServiceMonitor's job label is the Service name, which must be {job_name}")

    for pattern in config.get("rule_files", []):
        host_pattern = host_path_for(prometheus_mounts, config_file.parent / pattern)
        if host_pattern is None:
            context.fail(f"{config_display_path}: rule_files {pattern} lies on no mount of compose.yaml")
        elif not list(pathlib.Path("/").glob(str(host_pattern).lstrip("/"))):
            context.fail(f"{config_display_path}: rule_files {pattern} matches no file in {host_pattern.parent}")

    check_grafana_provisioning(context, services, grafana_mounts)


def check_grafana_provisioning(context, services, grafana_mounts):
    """Grafana sees the provisioning files, the data source URL names Prometheus' service."""
    provisioning = context.monitoring / "grafana" / "provisioning"
    for path in sorted(provisioning.glob("*/*.y*ml")):
        inside = pathlib.PurePosixPath("/etc/grafana/provisioning") / path.parent.name / path.name
        host = host_path_for(grafana_mounts, inside)
        if host is None or pathlib.Path(host) != path.resolve():
            context.fail(f"compose.yaml: Grafana does not see {path.relative_to(context.repo)} at {inside}")

    for path in sorted(provisioning.glob("datasources/*.y*ml")):
        for document in deploy_files.load_yaml_documents(path):
            for source in document.get("datasources", []):
                if source.get("type") != "prometheus":
                    continue
                match = re.fullmatch(r"https?://([^:/]+):(\d+)/?", source.get("url", ""))
                service = services.get(match.group(1)) if match else None
                if service is None or int(match.group(2)) != prometheus_port(service):
                    context.fail(f"{path.relative_to(context.repo)}: data source URL {source.get('url')} "
                                 "is not a Prometheus service of compose.yaml")

    for path in sorted(provisioning.glob("dashboards/*.y*ml")):
        for document in deploy_files.load_yaml_documents(path):
            for provider in document.get("providers", []):
                folder = provider.get("options", {}).get("path")
                host = host_path_for(grafana_mounts, pathlib.PurePosixPath(folder)) if folder else None
                if host is None or not list(pathlib.Path(host).glob("*.json")):
                    context.fail(f"{path.relative_to(context.repo)}: dashboards path {folder} is not a "
                                 "mounted folder of dashboards in compose.yaml")


def compose_mounts(context, service):
    """Return {container path: host path} of a Compose service's bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith((".", "/")):
            mounts[pathlib.PurePosixPath(target)] = (context.deploy / source).resolve()
    return mounts


def host_path_for(mounts, container_path):
    """Return the host path behind CONTAINER_PATH, or None if no mount holds it."""
    # The deepest mount that holds the path wins, as in the container.
    for target, source in sorted(mounts.items(), key=lambda item: -len(item[0].parts)):
        try:
            relative = container_path.relative_to(target)
        except ValueError:
            continue
        return pathlib.PurePosixPath(source) / relative
    return None
