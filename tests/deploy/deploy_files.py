"""Readers for the deployment files under deploy/, for check_deploy.py.

Each reader returns plain Python values (lists of arguments, dicts of
settings), so that the checks compare numbers and flags, not text.
"""

import json
import pathlib
import re
import shlex

import yaml


def parse_duration_s(text):
    """Return the seconds of a duration such as 10s, 1m30s, 500ms, 2min or 30.

    Accepts absl's, Go's (Compose) and systemd's spellings; a bare number is
    seconds, as in systemd and Kubernetes.
    """
    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    units = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600}
    total = 0.0
    position = 0
    for match in re.finditer(r"\s*(\d+(?:\.\d+)?)\s*(ms|sec|min|hr|s|m|h)", text):
        if match.start() != position:
            break
        total += float(match.group(1)) * units[match.group(2)]
        position = match.end()
    if position != len(text) or position == 0:
        raise ValueError(f"invalid duration '{text}'")
    return total


def flag_values(args):
    """Return {flag name: value} of --name=value arguments; the last one wins."""
    values = {}
    for arg in args:
        match = re.fullmatch(r"--([A-Za-z0-9_]+)(?:=(.*))?", arg, re.DOTALL)
        if match:
            values[match.group(1)] = match.group(2) if match.group(2) is not None else ""
    return values


def flag_names(args):
    """Return the names of the --flags in ARGS, in order."""
    return [m.group(1) for a in args if (m := re.match(r"--([A-Za-z0-9_]+)", a))]


def address_port(address):
    """Return the port of HOST:PORT or [V6]:PORT as an int."""
    return int(address.rsplit(":", 1)[1])


def read_flagfile(path):
    """Return the flags of an absl --flagfile: one per line, '#' comments."""
    flags = []
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            flags.append(line)
    return flags


def load_yaml_documents(path):
    """Return every document of a YAML file, skipping empty ones."""
    with open(path) as stream:
        return [d for d in yaml.safe_load_all(stream) if d is not None]


def load_structured(path):
    """Parse a YAML or JSON file; raises on a syntax error."""
    if path.suffix == ".json":
        return [json.loads(path.read_text())]
    return load_yaml_documents(path)


class Dockerfile:
    """The instructions of a Dockerfile, grouped by build stage.

    stages: a list of dicts with 'base', 'name' and 'instructions', each
    instruction a (KEYWORD, argument text) pair with continuations joined.
    """

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.stages = []
        for keyword, argument in self._instructions(self.path.read_text()):
            if keyword == "FROM":
                words = argument.split()
                name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
                self.stages.append({"base": words[0], "name": name, "instructions": []})
            elif self.stages:
                self.stages[-1]["instructions"].append((keyword, argument))

    @staticmethod
    def _instructions(text):
        logical = ""
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("#") or (not stripped and not logical):
                continue
            if stripped.endswith("\\"):
                logical += stripped[:-1] + " "
                continue
            logical += stripped
            if logical.strip():
                keyword, _, argument = logical.strip().partition(" ")
                yield keyword.upper(), argument.strip()
            logical = ""

    def final_stage(self):
        return self.stages[-1]

    def instructions(self, keyword, stage=None):
        """Return the arguments of every KEYWORD instruction (of STAGE, or all)."""
        stages = [stage] if stage is not None else self.stages
        return [arg for s in stages for k, arg in s["instructions"] if k == keyword]

    @staticmethod
    def exec_form(argument):
        """Return the argument list of an exec-form (JSON array) instruction."""
        return json.loads(argument)

    def entrypoint(self):
        return self.exec_form(self.instructions("ENTRYPOINT", self.final_stage())[-1])

    def cmd(self):
        found = self.instructions("CMD", self.final_stage())
        return self.exec_form(found[-1]) if found else []

    def exposed_ports(self):
        ports = set()
        for argument in self.instructions("EXPOSE", self.final_stage()):
            ports.update(int(p.split("/")[0]) for p in argument.split())
        return ports

    def healthcheck_command(self):
        """Return the HEALTHCHECK's CMD as a list, or None."""
        found = self.instructions("HEALTHCHECK", self.final_stage())
        if not found:
            return None
        _, _, command = found[-1].partition("CMD")
        command = command.strip()
        return json.loads(command) if command.startswith("[") else shlex.split(command)


class SystemdUnit:
    """A systemd unit file: {section: [(key, value), ...]} with continuations joined."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.sections = {}
        section = None
        logical = ""
        for line in self.path.read_text().splitlines():
            stripped = line.strip()
            if not logical and (not stripped or stripped[0] in "#;"):
                continue
            if stripped.endswith("\\"):
                logical += stripped[:-1].rstrip() + " "
                continue
            logical += stripped
            if logical.startswith("[") and logical.endswith("]"):
                section = logical[1:-1]
                self.sections.setdefault(section, [])
            else:
                key, _, value = logical.partition("=")
                self.sections[section].append((key.strip(), value.strip()))
            logical = ""

    def values(self, section, key):
        return [v for k, v in self.sections.get(section, []) if k == key]

    def value(self, section, key, default=None):
        found = self.values(section, key)
        return found[-1] if found else default


def read_environment_file(path):
    """Return the NAME=VALUE pairs of a systemd EnvironmentFile as a dict."""
    environment = {}
    for line in pathlib.Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        environment[name.strip()] = value
    return environment


def expand_exec_start(command, environment):
    """Expand a systemd ExecStart= line the way systemd does.

    ${NAME} becomes one argument (or part of one); a word that is exactly
    $NAME is split at whitespace into zero or more arguments.
    """
    args = []
    for word in shlex.split(command):
        if re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", word):
            args.extend(environment.get(word[1:], "").split())
            continue
        args.append(
            re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: environment.get(m.group(1), ""), word)
        )
    return args


class Kustomization:
    """A kustomize base: its kustomization.yaml and the resources it lists."""

    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        self.config = load_yaml_documents(self.directory / "kustomization.yaml")[0]
        self.resources = []
        for resource in self.config.get("resources", []):
            path = self.directory / resource
            if path.is_dir():
                self.resources.extend(Kustomization(path).resources)
            else:
                self.resources.extend(load_yaml_documents(path))

    def find(self, kind, name=None):
        return [
            r for r in self.resources
            if r.get("kind") == kind and (name is None or r["metadata"]["name"] == name)
        ]

    def generated_config_map_file(self, name, key):
        """Return the path of file KEY of the configMapGenerator NAME, or None."""
        for generator in self.config.get("configMapGenerator", []):
            if generator["name"] != name:
                continue
            for entry in generator.get("files", []):
                file_key, _, file_path = entry.partition("=")
                file_path = file_path or file_key
                if pathlib.Path(file_key).name == key:
                    return self.directory / file_path
        return None
