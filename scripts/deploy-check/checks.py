"""Consistency checks of the deployment files, run by scripts/check-deploy.sh in its venv.

Each subcommand prints what it found wrong, one line each, and exits 1 if anything was; the
linters and validators proper (hadolint, docker-compose config, kubectl kustomize,
kubernetes-validate) run from the shell script. What is checked here is what those tools cannot
know: that the files agree with the code (binaries, Rust version, configuration keys) and with
each other (secrets, selectors, ports, grace periods), and that NetworkPolicies let each
component reach only what it should.

    checks.py dockerfile ROOT                  build logic of the Dockerfile, and its context
    checks.py compose ROOT RENDERED...         `docker-compose config` outputs
    checks.py schemas VERSIONS RENDERED...     kubernetes-validate, strict, for each version
    checks.py k8s ROOT RENDERED...             what the overlays promise (probes, policies, ...)
    checks.py yaml FILE...                     files parse as YAML
    checks.py rules RENDERED OUT               PrometheusRule groups, for promtool
    checks.py links MARKDOWN...                relative links of the deployment docs resolve
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

PROBLEMS: list[str] = []

# The binaries the image must ship, as the README and the services' docs name them.
EXPECTED_BINARIES = {
    "chatalot", "gateway", "auth-svc", "community-svc", "message-svc", "keys-svc", "signal-svc",
}
# Kubernetes kinds without a schema in kubernetes-validate (CRDs); checked for shape only.
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
# What a Chatalot component may reach: TCP/UDP ports of NetworkPolicy egress rules.
ALLOWED_EGRESS = {
    "gateway": {53, 4222, 6379, 443},
    "service": {53, 4222, 6379, 5432},
    # message-svc sends Web Push to the browsers' push services (HTTPS).
    "message": {53, 4222, 6379, 5432, 443},
}
SERVICE_COMPONENTS = {"auth", "community", "message", "keys", "signal"}


def problem(message: str) -> None:
    PROBLEMS.append(message)
    print(f"  problem: {message}", file=sys.stderr)


def finish(what: str) -> int:
    if PROBLEMS:
        print(f"{what}: {len(PROBLEMS)} problem(s)", file=sys.stderr)
        return 1
    print(f"{what}: ok", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ configuration keys


def config_keys(root: Path) -> set[str]:
    """CHATALOT_<SECTION>__<KEY> names of every setting, from shared/src/config.rs."""
    source = (root / "shared/src/config.rs").read_text()
    structs: dict[str, list[str]] = {}
    for match in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", source, re.S):
        structs[match.group(1)] = re.findall(r"^\s*pub (\w+):", match.group(2), re.M)
    sections = re.search(r"pub struct Config \{(.*?)\n\}", source, re.S)
    if not sections:
        problem("shared/src/config.rs: no `pub struct Config` found")
        return set()
    keys = {"CHATALOT_CONFIG"}
    for name, struct in re.findall(r"pub (\w+): (\w+),", sections.group(1)):
        fields = structs.get(struct)
        if fields is None:
            problem(f"shared/src/config.rs: struct {struct} (section {name}) not found")
            continue
        keys.update(f"CHATALOT_{name.upper()}__{field.upper()}" for field in fields)
    return keys


def check_env_name(name: str, keys: set[str], where: str) -> None:
    if not name.startswith("CHATALOT_"):
        return
    # The image's entrypoint reads CHATALOT_<SECTION>__<KEY>__FILE (deploy/docker/entrypoint.sh).
    setting = name[: -len("__FILE")] if name.endswith("__FILE") else name
    if setting not in keys:
        problem(f"{where}: {name} is not a Chatalot setting (Chatalot refuses to start with it)")


# ------------------------------------------------------------------ Dockerfile


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    current = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        word, _, rest = current.partition(" ")
        out.append((word.upper(), rest.strip()))
        current = ""
    return out


def dockerignore_patterns(root: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """(is_exception, regex) per .dockerignore line, in order, the way Docker reads them."""
    patterns = []
    for raw in (root / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        line = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        regex = ""
        i = 0
        while i < len(line):
            c = line[i]
            if line.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
                continue
            if line.startswith("**", i):
                regex += ".*"
                i += 2
                continue
            regex += {"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c))
            i += 1
        patterns.append((exception, re.compile(f"^{regex}$")))
    return patterns


def excluded(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for exception, regex in patterns:
        if any(regex.match(p) for p in prefixes):
            result = not exception
    return result


def build_context(root: Path) -> set[str]:
    """Files Docker would send as the build context (relative POSIX paths)."""
    patterns = dockerignore_patterns(root)
    has_exceptions = any(exc for exc, _ in patterns)
    files: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        keep = []
        for d in dirnames:
            # A directory excluded with no exception pattern at all is never entered (target/).
            if excluded(rel_dir + d, patterns) and not has_exceptions:
                continue
            if d in (".git", "target", "node_modules") and excluded(rel_dir + d, patterns):
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in filenames:
            rel = rel_dir + f
            if not excluded(rel, patterns):
                files.add(rel)
    return files


def workspace_bins(root: Path) -> dict[str, str]:
    """{binary name: package name} of every [[bin]] target of the workspace."""
    try:
        out = subprocess.run(
            ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout
        bins = {}
        for package in json.loads(out)["packages"]:
            for target in package["targets"]:
                if "bin" in target["kind"]:
                    bins[target["name"]] = package["name"]
        return bins
    except (OSError, subprocess.CalledProcessError):
        pass
    # No cargo: read the manifests (every binary here is declared as [[bin]]).
    workspace = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]
    bins = {}
    for member in workspace["members"]:
        manifest = tomllib.loads((root / member / "Cargo.toml").read_text())
        for target in manifest.get("bin", []):
            bins[target["name"]] = manifest["package"]["name"]
    return bins


def check_dockerfile(root: Path) -> int:
    dockerfile = root / "Dockerfile"
    instructions = dockerfile_instructions(dockerfile)
    keys = config_keys(root)

    # Stages, and ARG defaults before the first FROM or inside a stage.
    stages: list[str] = []
    args: dict[str, str] = {}
    for word, rest in instructions:
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name.strip()] = value.strip().strip('"')
        if word == "FROM":
            m = re.search(r"\bAS\s+(\S+)", rest, re.I)
            stages.append(m.group(1) if m else str(len(stages)))
    if not stages:
        problem("Dockerfile: no FROM")
        return finish("Dockerfile")

    # The Rust version is the one rust-toolchain.toml pins.
    channel = tomllib.loads((root / "rust-toolchain.toml").read_text())["toolchain"]["channel"]
    if args.get("RUST_VERSION") != channel:
        problem(f"Dockerfile: ARG RUST_VERSION={args.get('RUST_VERSION')} but rust-toolchain.toml "
                f"pins {channel}")

    # Every shipped binary is a [[bin]] of the workspace, and all seven are shipped.
    binaries = set(args.get("BINARIES", "").split())
    bins = workspace_bins(root)
    for name in sorted(binaries - set(bins)):
        problem(f"Dockerfile: BINARIES names {name}, which is no [[bin]] of the workspace")
    for name in sorted(EXPECTED_BINARIES - binaries):
        problem(f"Dockerfile: BINARIES lacks {name}")

    runs = [rest for word, rest in instructions if word == "RUN"]
    build = [r for r in runs if "cargo build" in r]
    if not build:
        problem("Dockerfile: no `cargo build` step")
    else:
        cmd = build[0]
        for needle in ("--release", "--locked", '--bin "$bin"', "$BINARIES", "target/release/$bin"):
            if needle not in cmd:
                problem(f"Dockerfile: the cargo build step lacks {needle!r}")
        if "cargo build -p" in cmd or "--workspace" in cmd:
            problem("Dockerfile: build the named binaries only, not the whole workspace")
    if not (root / "Cargo.lock").is_file():
        problem("Cargo.lock is missing (the image builds with --locked)")

    # COPY sources exist in the build context; --from names a stage.
    context = build_context(root)
    context_dirs = {"/".join(p.split("/")[: i + 1]) for p in context for i in range(p.count("/"))}
    for word, rest in instructions:
        if word not in ("COPY", "ADD"):
            continue
        tokens = rest.split()
        flags = [t for t in tokens if t.startswith("--")]
        paths = [t for t in tokens if not t.startswith("--")]
        source_from = [f.split("=", 1)[1] for f in flags if f.startswith("--from=")]
        if source_from:
            if source_from[0] not in stages:
                problem(f"Dockerfile: COPY --from={source_from[0]}: no such stage")
            continue
        for src in paths[:-1]:
            src = src.rstrip("/")
            if src == ".":
                continue
            if src not in context and src not in context_dirs:
                problem(f"Dockerfile: COPY source {src} is not in the build context "
                        "(missing, or excluded by .dockerignore)")

    # The context holds the whole workspace (every tracked file of every member) and no secrets.
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                             cwd=root, capture_output=True, text=True, check=False).stdout.split()
    workspace = tomllib.loads((root / "Cargo.toml").read_text())["workspace"]["members"]
    for path in tracked:
        if not (root / path).exists():
            continue  # deleted in the work tree
        needed = path in ("Cargo.toml", "Cargo.lock", "rust-toolchain.toml") or any(
            path.startswith(m + "/") for m in workspace)
        if needed and path not in context:
            problem(f".dockerignore leaves out {path}, which the cargo build needs")
    for path in sorted(context):
        if re.search(r"(^|/)(\.git|target|\.data|secrets|node_modules)(/|$)", path) or \
                path.endswith((".pem", ".key")):
            problem(f".dockerignore lets {path} into the build context")
    size = sum((root / p).stat().st_size for p in context if (root / p).is_file())
    print(f"  build context: {len(context)} files, {size / 1e6:.1f} MB", file=sys.stderr)

    # The runtime stage: non-root, health check on /readyz, entrypoint, valid settings.
    final = []
    for word, rest in instructions:
        if word == "FROM":
            final = []
        final.append((word, rest))
    users = [rest for word, rest in final if word == "USER"]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        problem("Dockerfile: the runtime stage must end with a non-root USER")
    if not any(word == "HEALTHCHECK" and "chatalot-healthcheck" in rest for word, rest in final):
        problem("Dockerfile: the runtime stage has no HEALTHCHECK running chatalot-healthcheck")
    healthcheck = (root / "deploy/docker/healthcheck.sh").read_text()
    if "/readyz" not in healthcheck or "CHATALOT_ADMIN__LISTEN" not in healthcheck:
        problem("deploy/docker/healthcheck.sh must query /readyz on CHATALOT_ADMIN__LISTEN")
    if not any(word == "ENTRYPOINT" and "chatalot-entrypoint" in rest for word, rest in final):
        problem("Dockerfile: the runtime stage's ENTRYPOINT must be chatalot-entrypoint")
    for word, rest in final:
        if word == "ENV":
            for name in re.findall(r"(\w+)=", rest):
                check_env_name(name, keys, "Dockerfile ENV")
    admin = re.search(r"CHATALOT_ADMIN__LISTEN=(\S+)", " ".join(r for w, r in final if w == "ENV"))
    if not admin or not admin.group(1).startswith("0.0.0.0:"):
        problem("Dockerfile: CHATALOT_ADMIN__LISTEN must listen on 0.0.0.0 (probes, Prometheus)")
    print(f"  binaries: {' '.join(sorted(binaries))}; stages: {' '.join(stages)}", file=sys.stderr)
    return finish("Dockerfile")


# ------------------------------------------------------------------ compose


def check_compose(root: Path, rendered: list[Path]) -> int:
    keys = config_keys(root)
    for path in rendered:
        doc = yaml.safe_load(path.read_text())
        secrets = doc.get("secrets", {})
        for name, secret in secrets.items():
            file = Path(secret.get("file", ""))
            if not file.is_file():
                problem(f"{path.name}: secret {name}: {file} does not exist "
                        "(deploy/generate-secrets.sh makes it)")
            elif stat.S_IMODE(file.stat().st_mode) != 0o600:
                problem(f"{path.name}: secret {name}: {file} is not mode 0600")
        for service_name, service in doc.get("services", {}).items():
            where = f"{path.name}: service {service_name}"
            env = service.get("environment") or {}
            if isinstance(env, list):
                env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
            mounted = set()
            for s in service.get("secrets", []) or []:
                source = s["source"] if isinstance(s, dict) else s
                target = s.get("target", source) if isinstance(s, dict) else s
                if source not in secrets:
                    problem(f"{where}: uses undeclared secret {source}")
                mounted.add(target if target.startswith("/") else f"/run/secrets/{target}")
            for name, value in env.items():
                check_env_name(name, keys, where)
                if name.endswith("__FILE") or name.endswith("_PASSWORD_FILE"):
                    if value and value not in mounted:
                        problem(f"{where}: {name}={value} is not one of its mounted secrets")
            ports = [str(p) for p in service.get("ports", []) or []]
            image = str(service.get("image", ""))
            for p in ports:
                if "9090" in p:
                    problem(f"{where}: publishes the admin port (9090)")
            if ports and service_name not in ("chatalot", "gateway", "caddy"):
                problem(f"{where}: publishes ports {ports}; only the gateway and the proxy may")
            if image.startswith(("postgres", "nats", "redis")):
                nets = service.get("networks") or {}
                if set(nets) - {"backend"}:
                    problem(f"{where}: must sit on the internal backend network only")
        print(f"  {path.name}: {len(doc.get('services', {}))} services", file=sys.stderr)
    return finish("compose")


# ------------------------------------------------------------------ Kubernetes


def labels_match(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and value is None:
            return False
        if op == "DoesNotExist" and value is not None:
            return False
    return True


def check_schemas(versions: list[str], rendered: list[Path]) -> int:
    """Every object against the JSON schemas of each Kubernetes version, rejecting unknown
    fields (kubernetes-validate --strict); CRDs, which it has no schema for, for shape only."""
    from kubernetes_validate import utils  # from the venv

    count = 0
    for path in rendered:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                count += 1
                validate_schema(utils, path, doc, versions)
    print(f"  {count} objects against Kubernetes {', '.join(versions)}", file=sys.stderr)
    return finish("kubernetes-validate --strict")


def validate_schema(utils, path: Path, doc: dict, versions: list[str]) -> None:
    name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    if doc.get("kind") in CRD_KINDS:
        if not isinstance(doc.get("spec"), dict):
            problem(f"{path.name}: {name} has no spec")
        return
    for version in versions:
        try:
            utils.validate(doc, version, strict=True)
        except utils.ValidationError as err:
            location = ".".join(str(p) for p in err.path)
            problem(f"{path.name}: {name} against Kubernetes {version}: {location}: {err.message}")
        except utils.SchemaNotFoundError as err:
            problem(f"{path.name}: {name}: {err.message}")
        except utils.VersionNotSupportedError:
            problem(f"kubernetes-validate has no schemas for Kubernetes {version}")


def egress_ports(policies: list[dict], labels: dict) -> set[int]:
    ports: set[int] = set()
    for policy in policies:
        spec = policy["spec"]
        if "Egress" not in spec.get("policyTypes", []) or not labels_match(spec["podSelector"], labels):
            continue
        for rule in spec.get("egress") or []:
            if not rule.get("ports"):
                ports.add(-1)  # every port
            for p in rule.get("ports") or []:
                ports.add(int(p["port"]))
    return ports


def ingress_ports(policies: list[dict], labels: dict) -> set[int]:
    ports: set[int] = set()
    for policy in policies:
        spec = policy["spec"]
        if "Ingress" not in spec.get("policyTypes", []) or not labels_match(spec["podSelector"], labels):
            continue
        for rule in spec.get("ingress") or []:
            if not rule.get("from"):
                problem(f"NetworkPolicy {policy['metadata']['name']}: ingress from anywhere")
            for p in rule.get("ports") or [{"port": -1}]:
                ports.add(int(p["port"]))
    return ports


def http_probe(container: dict, kind: str) -> tuple[str | None, object]:
    probe = container.get(kind) or {}
    get = probe.get("httpGet") or {}
    return get.get("path"), get.get("port")


def check_k8s(root: Path, rendered: list[Path]) -> int:
    keys = config_keys(root)
    for path in rendered:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        by_kind: dict[str, list[dict]] = {}
        for d in docs:
            by_kind.setdefault(d["kind"], []).append(d)
            ns = d.get("metadata", {}).get("namespace")
            if d["kind"] not in CLUSTER_SCOPED and ns != "chatalot":
                problem(f"{path.name}: {d['kind']}/{d['metadata']['name']} is in namespace {ns!r}, "
                        "not chatalot")
        configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
        services = by_kind.get("Service", [])
        pdbs = by_kind.get("PodDisruptionBudget", [])
        policies = by_kind.get("NetworkPolicy", [])
        deployments = by_kind.get("Deployment", [])
        for data in configmaps.values():
            for name in data:
                check_env_name(name, keys, f"{path.name}: ConfigMap")
        deny_all = [p for p in policies
                    if p["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/part-of": "chatalot"}}
                    and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                    and not p["spec"].get("ingress") and not p["spec"].get("egress")]
        if not deny_all:
            problem(f"{path.name}: no default-deny NetworkPolicy for Chatalot's pods")

        components = set()
        for dep in deployments:
            name = dep["metadata"]["name"]
            where = f"{path.name}: Deployment {name}"
            pod = dep["spec"]["template"]
            labels = pod["metadata"]["labels"]
            component = labels.get("app.kubernetes.io/component", "")
            components.add(component)
            if not labels_match(dep["spec"]["selector"], labels):
                problem(f"{where}: its selector does not match its pod labels")
            spec = pod["spec"]
            sc = spec.get("securityContext", {})
            if not sc.get("runAsNonRoot"):
                problem(f"{where}: runAsNonRoot is not set")
            for c in spec["containers"]:
                cwhere = f"{where}, container {c['name']}"
                if c.get("image", "") == "chatalot" and "overlay" in path.name:
                    problem(f"{cwhere}: the image is not set (kustomize `images`)")
                for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
                    if kind not in c:
                        problem(f"{cwhere}: no {kind}")
                if http_probe(c, "readinessProbe") != ("/readyz", "admin"):
                    problem(f"{cwhere}: readinessProbe must GET /readyz on the admin port")
                if http_probe(c, "livenessProbe") != ("/healthz", "admin"):
                    problem(f"{cwhere}: livenessProbe must GET /healthz on the admin port")
                res = c.get("resources", {})
                for part in ("requests", "limits"):
                    for r in ("cpu", "memory"):
                        if r not in res.get(part, {}):
                            problem(f"{cwhere}: no {part}.{r}")
                csc = c.get("securityContext", {})
                if csc.get("allowPrivilegeEscalation") is not False or \
                        "ALL" not in (csc.get("capabilities", {}).get("drop") or []):
                    problem(f"{cwhere}: must drop all capabilities and forbid privilege escalation")
                env_names = [e["name"] for e in c.get("env", [])]
                for e in c.get("env", []):
                    check_env_name(e["name"], keys, cwhere)
                    ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                    if ref and ref["name"] != "chatalot-secrets":
                        problem(f"{cwhere}: {e['name']} reads Secret {ref['name']}")
                merged_env = dict.fromkeys(env_names)
                for source in c.get("envFrom", []):
                    cm = source.get("configMapRef", {}).get("name")
                    if cm not in configmaps:
                        problem(f"{cwhere}: envFrom ConfigMap {cm} is not in the output")
                    else:
                        merged_env.update(dict.fromkeys(configmaps[cm]))
                if "CHATALOT_ADMIN__LISTEN" not in merged_env:
                    problem(f"{cwhere}: CHATALOT_ADMIN__LISTEN is not set (probes need 0.0.0.0)")
                if component in SERVICE_COMPONENTS and "CHATALOT_DATABASE__URL" not in merged_env:
                    problem(f"{cwhere}: no CHATALOT_DATABASE__URL")
                if component == "gateway":
                    for secret_name in ("CHATALOT_DATABASE__URL", "CHATALOT_JWT__PRIVATE_KEY"):
                        if secret_name in merged_env:
                            problem(f"{cwhere}: gateways must not get {secret_name}")
                    # preStop sleep + drain + slack fit in the grace period.
                    pre = ((c.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command", [])
                    sleep = int(pre[-1]) if pre[:1] == ["sleep"] else None
                    drain_ms = None
                    for source in c.get("envFrom", []):
                        cm = configmaps.get(source.get("configMapRef", {}).get("name"), {})
                        drain_ms = drain_ms or cm.get("CHATALOT_GATEWAY__DRAIN_TIMEOUT_MS")
                    grace = spec.get("terminationGracePeriodSeconds", 30)
                    if sleep is None:
                        problem(f"{cwhere}: no preStop sleep before the drain")
                    elif drain_ms is None:
                        problem(f"{cwhere}: CHATALOT_GATEWAY__DRAIN_TIMEOUT_MS is not set")
                    elif grace < sleep + int(drain_ms) / 1000 + 5:
                        problem(f"{cwhere}: terminationGracePeriodSeconds {grace} < preStop {sleep} "
                                f"+ drain {int(drain_ms) / 1000} + 5")
                    if "replicas" in dep["spec"]:
                        problem(f"{where}: `replicas` would fight the HorizontalPodAutoscaler")
            if not any(labels_match({"matchLabels": s["spec"].get("selector", {})}, labels)
                       for s in services):
                problem(f"{where}: no Service selects its pods")
            if not any(labels_match(p["spec"]["selector"], labels) for p in pdbs):
                problem(f"{where}: no PodDisruptionBudget covers it")
            # NetworkPolicies: what this component may reach and be reached on.
            kind = "gateway" if component == "gateway" else "service"
            allowed = ALLOWED_EGRESS.get(component, ALLOWED_EGRESS[kind])
            out = egress_ports(policies, labels)
            if out - allowed:
                problem(f"{where}: NetworkPolicies let it reach ports {sorted(out - allowed)}")
            for needed in (53, 4222, 6379) + ((5432,) if kind == "service" else ()):
                if needed not in out:
                    problem(f"{where}: NetworkPolicies block port {needed}, which it needs")
            inbound = ingress_ports(policies, labels)
            allowed_in = {8080, 9090} if kind == "gateway" else {9090}
            if inbound - allowed_in:
                problem(f"{where}: NetworkPolicies let it be reached on {sorted(inbound - allowed_in)}")
        missing = {"gateway"} | SERVICE_COMPONENTS
        if components != missing:
            problem(f"{path.name}: Deployments for {sorted(components)}, expected {sorted(missing)}")

        for hpa in by_kind.get("HorizontalPodAutoscaler", []):
            target = hpa["spec"]["scaleTargetRef"]["name"]
            if target not in {d["metadata"]["name"] for d in deployments}:
                problem(f"{path.name}: HPA {hpa['metadata']['name']} targets missing {target}")
            if not any(m["type"] == "Resource" for m in hpa["spec"].get("metrics", [])):
                problem(f"{path.name}: HPA {hpa['metadata']['name']} does not scale on CPU")
        if not by_kind.get("HorizontalPodAutoscaler"):
            problem(f"{path.name}: no HorizontalPodAutoscaler for the gateways")
        service_ports = {(s["metadata"]["name"], p.get("name")) for s in services for p in s["spec"]["ports"]}
        for ing in by_kind.get("Ingress", []):
            for rule in ing["spec"].get("rules", []):
                for p in rule["http"]["paths"]:
                    svc = p["backend"]["service"]
                    if (svc["name"], svc["port"].get("name")) not in service_ports:
                        problem(f"{path.name}: Ingress {ing['metadata']['name']} sends to "
                                f"{svc['name']}:{svc['port']}, which no Service has")
            if ing["spec"].get("ingressClassName") == "nginx":
                notes = ing["metadata"].get("annotations", {})
                if any(p["path"] == "/ws" for r in ing["spec"]["rules"] for p in r["http"]["paths"]):
                    if int(notes.get("nginx.ingress.kubernetes.io/proxy-read-timeout", "60")) < 300:
                        problem(f"{path.name}: Ingress {ing['metadata']['name']}: /ws needs a long "
                                "proxy-read-timeout")
        counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_kind.items()))
        print(f"  {path.name}: {counts}", file=sys.stderr)
    return finish("kubernetes")


# ------------------------------------------------------------------ misc


def check_yaml(files: list[Path]) -> int:
    for f in files:
        try:
            docs = [d for d in yaml.safe_load_all(f.read_text()) if d is not None]
            if not docs:
                problem(f"{f}: no YAML document")
        except yaml.YAMLError as err:
            problem(f"{f}: {err}")
    return finish(f"YAML ({len(files)} files)")


def extract_rules(rendered: Path, out: Path) -> int:
    groups = []
    for d in yaml.safe_load_all(rendered.read_text()):
        if d and d.get("kind") == "PrometheusRule":
            groups.extend(d["spec"]["groups"])
    if not groups:
        problem(f"{rendered}: no PrometheusRule")
    out.write_text(yaml.safe_dump({"groups": groups}))
    return finish("PrometheusRule extraction")


def check_links(files: list[Path]) -> int:
    count = 0
    for f in files:
        for target in re.findall(r"\]\(([^)\s]+)\)", f.read_text()):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            count += 1
            path = (f.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                problem(f"{f}: link to {target}, which does not exist")
    print(f"  {count} relative links in {len(files)} files", file=sys.stderr)
    return finish("links")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[1], argv[2:]
    if command == "dockerfile":
        return check_dockerfile(Path(args[0]))
    if command == "compose":
        return check_compose(Path(args[0]), [Path(a) for a in args[1:]])
    if command == "schemas":
        return check_schemas(args[0].split(","), [Path(a) for a in args[1:]])
    if command == "k8s":
        return check_k8s(Path(args[0]), [Path(a) for a in args[1:]])
    if command == "yaml":
        return check_yaml([Path(a) for a in args])
    if command == "links":
        return check_links([Path(a) for a in args])
    if command == "rules":
        return extract_rules(Path(args[0]), Path(args[1]))
    print(f"unknown command {command}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
