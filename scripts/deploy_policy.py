"""What a schema cannot see in the deployment files: the rules of running tech-health.

Called by scripts/check-deploy (which installs PyYAML); each command prints one line per problem
and exits 1 when there is any.

    deploy_policy.py manifests RENDERED.yaml [EXAMPLE-SECRET.yaml]
    deploy_policy.py dockerfile
    deploy_policy.py compose CONFIG.json
"""

import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PORT = 7070
STANDARDS = ("checks", "golden-tech")
DEFAULT_REQUEST_TIMEOUT_SECS = 30


class Problems(list):
    def check(self, ok, message):
        if not ok:
            self.append(message)
        return ok


def settings_keys():
    """The top-level keys of the settings file: SettingsFile's fields in camelCase."""
    text = (ROOT / "src/settings.rs").read_text()
    body = re.search(r"pub struct SettingsFile \{(.*?)\n\}", text, re.DOTALL).group(1)
    fields = re.findall(r"^\s*pub (\w+):", body, re.MULTILINE)
    return {re.sub(r"_(\w)", lambda m: m.group(1).upper(), f) for f in fields}


def standards_files():
    return sorted(
        str(p.relative_to(ROOT)) for d in STANDARDS for p in (ROOT / d).rglob("*") if p.is_file()
    )


def env_of(container):
    return {e["name"]: e for e in container.get("env", [])}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_settings(p, name, text):
    settings = yaml.safe_load(text) or {}
    unknown = set(settings) - settings_keys()
    p.check(not unknown, f"{name}: keys unknown to src/settings.rs: {sorted(unknown)}")
    for key in ("database", "bind"):
        p.check(key not in settings, f"{name}: `{key}` belongs in the environment, not here")
    return settings


def check_manifests(rendered, example_secret=None):
    p = Problems()
    docs = [d for d in yaml.safe_load_all(Path(rendered).read_text()) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
        p.check(
            "namespace" not in d["metadata"],
            f"{d['kind']}/{d['metadata']['name']}: sets a namespace (keep them namespace-agnostic)",
        )
    deployments = by_kind.get("Deployment", [])
    if not p.check(len(deployments) == 1, f"expected one Deployment, found {len(deployments)}"):
        return p
    dep = deployments[0]
    spec, pod = dep["spec"], dep["spec"]["template"]["spec"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    replicas = spec.get("replicas", 1)
    p.check(replicas >= 2, f"Deployment: replicas {replicas}, want several")
    p.check(
        selects(spec["selector"]["matchLabels"], labels),
        "Deployment: selector does not match its pods",
    )
    rolling = spec.get("strategy", {})
    p.check(
        rolling.get("type") == "RollingUpdate"
        and rolling.get("rollingUpdate", {}).get("maxUnavailable") == 0,
        "Deployment: want a RollingUpdate with maxUnavailable 0",
    )

    containers = [c for c in pod["containers"] if c["name"] == "tech-health"]
    if not p.check(len(containers) == 1, "Deployment: no container named tech-health"):
        return p
    c = containers[0]
    ports = {pt.get("name"): pt["containerPort"] for pt in c.get("ports", [])}
    p.check(ports.get("http") == PORT, f"container: want port `http` = {PORT}")
    env = env_of(c)

    def probe(kind, path):
        pr = c.get(kind, {}).get("httpGet", {})
        port = ports.get(pr.get("port"), pr.get("port"))
        p.check(
            pr.get("path") == path and port == PORT, f"container: {kind} must GET {path} on {PORT}"
        )

    probe("startupProbe", "/healthz")
    probe("livenessProbe", "/healthz")
    probe("readinessProbe", "/readyz")
    bind = env.get("TECH_HEALTH_BIND", {}).get("value", "")
    p.check(
        bind == f"0.0.0.0:{PORT}", f"container: TECH_HEALTH_BIND is {bind!r}, want 0.0.0.0:{PORT}"
    )
    p.check(
        env.get("TECH_HEALTH_REPLICA_ID", {})
        .get("valueFrom", {})
        .get("fieldRef", {})
        .get("fieldPath")
        == "metadata.name",
        "container: TECH_HEALTH_REPLICA_ID must come from metadata.name",
    )
    secret_refs = {}
    for name in ("DATABASE_URL", "TECH_HEALTH_ADMIN_TOKEN"):
        ref = env.get(name, {}).get("valueFrom", {}).get("secretKeyRef")
        if p.check(ref is not None, f"container: {name} must come from a Secret"):
            secret_refs[name] = ref
    for e in c.get("env", []):
        value = str(e.get("value", ""))
        p.check(
            not re.search(r"://[^/\s:@]+:[^/\s@]+@", value),
            f"container: {e['name']} holds a password; read it from a Secret",
        )

    # Graceful shutdown: routing stops during the preStop sleep, then SIGTERM lets in-flight
    # requests finish; all of it within the grace period.
    sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds")
    p.check(sleep is not None, "container: want a preStop sleep before SIGTERM")
    grace = pod.get("terminationGracePeriodSeconds", 30)

    sc, psc = c.get("securityContext", {}), pod.get("securityContext", {})
    p.check(psc.get("runAsNonRoot") is True, "pod: runAsNonRoot must be true")
    p.check(psc.get("runAsUser", 0) != 0, "pod: runAsUser must be a non-root number")
    p.check(
        (sc.get("seccompProfile") or psc.get("seccompProfile", {})).get("type") == "RuntimeDefault",
        "pod: seccompProfile RuntimeDefault",
    )
    p.check(
        sc.get("readOnlyRootFilesystem") is True, "container: readOnlyRootFilesystem must be true"
    )
    p.check(
        sc.get("allowPrivilegeEscalation") is False,
        "container: allowPrivilegeEscalation must be false",
    )
    p.check(sc.get("capabilities", {}).get("drop") == ["ALL"], "container: drop ALL capabilities")
    res = c.get("resources", {})
    p.check("memory" in res.get("requests", {}), "container: want a memory request")
    p.check("memory" in res.get("limits", {}), "container: want a memory limit")

    # Every mounted ConfigMap is in the render, and the files the service is told to read exist.
    config_maps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: volumes.get(m["name"], {}) for m in c.get("volumeMounts", [])}
    for name, v in volumes.items():
        if "configMap" in v:
            p.check(
                v["configMap"]["name"] in config_maps,
                f"volume {name}: no ConfigMap {v['configMap']['name']}",
            )
    settings = {}
    config = env.get("TECH_HEALTH_CONFIG", {}).get("value")
    if config:
        folder, _, key = config.rpartition("/")
        cm = config_maps.get(mounts.get(folder, {}).get("configMap", {}).get("name"), {})
        if p.check(
            key in cm.get("data", {}), f"TECH_HEALTH_CONFIG {config}: no ConfigMap mounted holds it"
        ):
            settings = check_settings(
                p, f"ConfigMap {cm['metadata']['name']} {key}", cm["data"][key]
            )
    timeout = settings.get("limits", {}).get("requestTimeoutSecs", DEFAULT_REQUEST_TIMEOUT_SECS)
    p.check(
        grace >= (sleep or 0) + timeout,
        f"pod: terminationGracePeriodSeconds {grace} < preStop {sleep} + request timeout {timeout}",
    )
    config_dir = env.get("TECH_HEALTH_CONFIG_DIR", {}).get("value")
    if config_dir:
        v = mounts.get(config_dir, {})
        items = {i["path"]: i["key"] for i in v.get("configMap", {}).get("items", [])}
        cm = config_maps.get(v.get("configMap", {}).get("name"), {})
        missing = [f for f in standards_files() if f not in items]
        p.check(not missing, f"TECH_HEALTH_CONFIG_DIR {config_dir}: the mount lacks {missing}")
        absent = [k for k in items.values() if k not in cm.get("data", {})]
        p.check(
            not absent, f"TECH_HEALTH_CONFIG_DIR {config_dir}: the ConfigMap lacks keys {absent}"
        )

    for svc in by_kind.get("Service", []):
        name = svc["metadata"]["name"]
        p.check(
            selects(svc["spec"].get("selector"), labels),
            f"Service {name}: selector does not match the pods",
        )
        for pt in svc["spec"]["ports"]:
            target = ports.get(pt.get("targetPort"), pt.get("targetPort"))
            p.check(target == PORT, f"Service {name}: port {pt['port']} does not reach {PORT}")
    pdbs = by_kind.get("PodDisruptionBudget", [])
    p.check(len(pdbs) == 1, f"expected one PodDisruptionBudget, found {len(pdbs)}")
    for pdb in pdbs:
        p.check(
            selects(pdb["spec"]["selector"].get("matchLabels"), labels),
            "PodDisruptionBudget: selector does not match the pods",
        )
        available = pdb["spec"].get("minAvailable", replicas - pdb["spec"].get("maxUnavailable", 0))
        p.check(
            0 < replicas - available < replicas,
            "PodDisruptionBudget: must let some but not all replicas go",
        )

    p.check(
        "Secret" not in by_kind,
        "the render holds a Secret: keep credentials out of the kustomization",
    )
    if example_secret:
        secret = yaml.safe_load(Path(example_secret).read_text())
        data = secret.get("stringData", {})
        for name, ref in secret_refs.items():
            p.check(
                ref["name"] == secret["metadata"]["name"],
                f"{name}: reads Secret {ref['name']}, the example is another",
            )
            value = data.get(ref["key"], "")
            p.check(ref["key"] in data, f"{example_secret}: no key {ref['key']} ({name})")
            p.check(
                "CHANGE-ME" in value,
                f"{example_secret}: {ref['key']} must be a CHANGE-ME placeholder",
            )
    return p


def check_dockerfile():
    p = Problems()
    text = (ROOT / "Dockerfile").read_text()
    lines = [
        ln.strip()
        for ln in re.sub(r"\\\n", " ", text).splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    stages = [i for i, ln in enumerate(lines) if ln.upper().startswith("FROM ")]
    p.check(len(stages) >= 2, "Dockerfile: want a multi-stage build")
    final = lines[stages[-1] :] if stages else []

    def final_has(pattern):
        return any(re.fullmatch(pattern, ln) for ln in final)

    user = [ln.split()[1] for ln in final if ln.upper().startswith("USER ")]
    p.check(
        bool(user) and re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1]) is not None,
        "Dockerfile: final USER must be a non-root number",
    )
    p.check(final_has(rf"EXPOSE {PORT}(/tcp)?"), f"Dockerfile: EXPOSE {PORT}")
    p.check(final_has(r"STOPSIGNAL SIGTERM"), "Dockerfile: STOPSIGNAL SIGTERM")
    p.check(final_has(r'ENTRYPOINT \["tech-health"\]'), 'Dockerfile: ENTRYPOINT ["tech-health"]')
    p.check(final_has(r'CMD \["serve"\]'), 'Dockerfile: CMD ["serve"]')
    p.check(
        final_has(r"COPY .*/etc/tech-health/standards.*"),
        "Dockerfile: the standards under /etc/tech-health/standards",
    )
    p.check("cargo build --release --locked" in text, "Dockerfile: cargo build --release --locked")

    # What cargo reads: the manifest, the lock, the sources, every explicit target's folder,
    # and the folders compiled in by include_dir! and sqlx::migrate!.
    needed = {"Cargo.toml", "Cargo.lock", "src"}
    manifest = tomllib.loads((ROOT / "Cargo.toml").read_text())
    for kind, default in (("bench", "benches"), ("test", "tests"), ("example", "examples")):
        for target in manifest.get(kind, []):
            needed.add(target.get("path", default).split("/")[0])
    for rs in (ROOT / "src").rglob("*.rs"):
        src = rs.read_text()
        needed.update(re.findall(r'include_dir!\(\s*"\$CARGO_MANIFEST_DIR/([^"/]+)', src))
        needed.update(re.findall(r'migrate!\(\s*"\./([^"/]+)', src))
    copied = set()
    for ln in lines[: stages[-1]] if stages else []:
        if ln.upper().startswith("COPY ") and "--from" not in ln:
            copied.update(a.rstrip("/") for a in ln.split()[1:-1] if not a.startswith("--"))
    p.check(
        not needed - copied, f"Dockerfile: the build stage does not copy {sorted(needed - copied)}"
    )
    ignore = ROOT / ".dockerignore"
    if ignore.exists():
        patterns = {
            ln.strip().rstrip("/")
            for ln in ignore.read_text().splitlines()
            if ln.strip() and not ln.startswith("#")
        }
        p.check(
            not needed & patterns,
            f".dockerignore: leaves out {sorted(needed & patterns)}, which the build needs",
        )
    return p


def check_compose(config_json):
    p = Problems()
    services = json.loads(Path(config_json).read_text())["services"]
    replicas = {n: s for n, s in services.items() if s.get("image", "").startswith("tech-health")}
    p.check(
        len(replicas) >= 2, f"compose: want several tech-health replicas, found {sorted(replicas)}"
    )
    ids, ports = set(), set()
    for name, s in replicas.items():
        env = s.get("environment", {})
        ids.add(env.get("TECH_HEALTH_REPLICA_ID"))
        p.check(
            env.get("DATABASE_URL", "").startswith("postgres://"),
            f"compose {name}: DATABASE_URL must be Postgres",
        )
        p.check(
            env.get("TECH_HEALTH_BIND") == f"0.0.0.0:{PORT}",
            f"compose {name}: TECH_HEALTH_BIND 0.0.0.0:{PORT}",
        )
        p.check(s.get("read_only") is True, f"compose {name}: read_only")
        ports.update(pt.get("published") for pt in s.get("ports", []))
    p.check(
        None not in ids and len(ids) == len(replicas),
        "compose: each replica needs its own TECH_HEALTH_REPLICA_ID",
    )
    p.check(len(ports) == len(replicas), "compose: each replica needs its own published port")
    return p


def main(argv):
    commands = {
        "manifests": check_manifests,
        "dockerfile": check_dockerfile,
        "compose": check_compose,
    }
    if len(argv) < 2 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    problems = commands[argv[1]](*argv[2:])
    for line in problems:
        print(f"  {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
