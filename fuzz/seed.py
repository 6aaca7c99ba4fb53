"""Seed corpora for the fuzz targets, from the project's own fixtures and examples.

    python3 fuzz/seed.py CORPUS_DIR

writes CORPUS_DIR/<target>/seed-* (the input layouts are described in each target's header).
"""
import json
import os
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
out = pathlib.Path(sys.argv[1])


def put(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / ("seed-" + re.sub(r"[^A-Za-z0-9_.-]", "_", name))).write_bytes(data)


# catalog_yaml: descriptor files as they are.
for p in sorted((root / "tests/fixtures/catalog").rglob("*.yaml")) + sorted(
    (root / "examples/fleet").rglob("*.yaml")
):
    put("catalog_yaml", str(p.relative_to(root)), p.read_bytes())

# facts_file: a chunk-size byte, then a facts file (the first records of the example fleet's,
# as an array and as NDJSON, and small ones with escapes and odd shapes).
records = json.loads((root / "examples/fleet/facts.json").read_text())[:3]
array = json.dumps(records, indent=1)
ndjson = "\n".join(json.dumps(r) for r in records) + "\n"
small = [
    array,
    ndjson,
    '[{"entity":"checkout-api","facts":{"a":1,"testCoverage":50.5}},{"entity":"component:default/x","facts":{"a":[1,{"b":null}]}}]',
    '{"entity":"c\\u0061rt","facts":{"x/y":"\\n","\\u00e9":true}}\n\n{"facts":{},"entity":"b"}',
    '[ {"entity": "a", "facts": {"languages": ["go", "java"]}, "other": [1, 2]} ]',
]
for i, text in enumerate(small):
    put("facts_file", f"facts-{i}", bytes([i * 37 % 256]) + text.encode())

# rules: mode byte, then two parts split by NUL (see fuzz_targets/rules.rs).
conditions = [
    ({"all": [{"fact": "testCoverage", "operator": "greaterThanInclusive", "value": 80}]}, {"testCoverage": 86.4}),
    ({"any": [{"fact": "languages", "operator": "contains", "value": "java"},
              {"not": {"fact": "ciProvider", "operator": "equal", "value": "jenkins"}}]},
     {"languages": ["java"], "ciProvider": "github-actions"}),
    ({"all": [{"fact": "technologies", "path": "$[?(@.id == 'java')].version", "operator": "semverSatisfies", "value": ">=17"}]},
     {"technologies": [{"id": "java", "version": "21.0.2"}]}),
    ({"all": [{"fact": "technologies", "operator": "radarRingIn", "value": ["adopt", "trial"]},
              {"fact": "dockerBaseImages", "path": "$[0]", "operator": "matches", "value": "^registry\\.acme\\.example/"}]},
     {"technologies": [{"id": "java", "version": "21"}], "dockerBaseImages": ["registry.acme.example/golden/java21:2024.11"]}),
    ({"all": [{"fact": "a", "operator": "lessThan", "value": {"fact": "b", "path": "$.c"}}]}, {"a": "10", "b": {"c": 9}}),
]
for i, (c, f) in enumerate(conditions):
    put("rules", f"condition-{i}", b"\x00" + json.dumps(c).encode() + b"\x00" + json.dumps(f).encode())
for i, (path, value) in enumerate([
    ("$.a.b[0]", {"a": {"b": [1, 2]}}),
    ("$..version", [{"id": "java", "version": "17"}, {"id": "go", "version": "1.22"}]),
    ("$['x-y'][*]", {"x-y": {"k": 1, "2": 2}}),
    ("$.a", {"a": None}),
]):
    put("rules", f"path-{i}", b"\x01" + path.encode() + b"\x00" + json.dumps(value).encode())
for i, (rng, ver) in enumerate([
    (">=17.0.5", "21"), ("<2.17.1", "2.14.1"), ("^3.1 || >=4", "v3.2"),
    ("1.2.x", "1.2.9-rc1"), ("1.0 - 2.0", "1.8.0_292"), ("~1.2", "1.2"),
]):
    put("rules", f"version-{i}", b"\x02" + rng.encode() + b"\x00" + ver.encode())
for i, (flt, ref) in enumerate([
    ({"kind": ["component"], "spec.lifecycle": ["production"]}, "component:default/checkout-api"),
    ([{"metadata.annotations.backstage.io/techdocs-ref": True}, {"spec.type": {"notIn": ["library"]}}], "api:ns/x"),
]):
    put("rules", f"filter-{i}", b"\x03" + json.dumps(flt).encode() + b"\x00" + ref.encode())

# manifests: the index of a file name in MANIFESTS (src/fuzzing.rs), then its content.
source = (root / "src/fuzzing.rs").read_text()
block = source[source.index("pub const MANIFESTS"):]
files = re.findall(r'^    "([^"]+)",$', block[: block.index("];")], re.M)
for p in sorted((root / "tests/fixtures/repos").rglob("*")):
    if not p.is_file():
        continue
    rel = str(p.relative_to(root / "tests/fixtures/repos")).split("/", 1)[1]
    for i, name in enumerate(files):
        if rel == name or rel.endswith("/" + name) or (
            name.startswith(".github/workflows/") and rel.startswith(".github/workflows/")
        ) or (name == "deploy/k8s/deployment.yaml" and rel.endswith(".yaml") and "deploy/" in rel):
            put("manifests", str(p.relative_to(root)), bytes([i]) + p.read_bytes())
            break

# webhook: a header, NUL, a body (a push delivery signed right, and one signed wrong).
push = json.dumps({"ref": "refs/heads/main", "repository": {"full_name": "acme/checkout-api", "default_branch": "main"}})
put("webhook", "push-unsigned", b"sha256=00\x00" + push.encode())
put("webhook", "ping", b"\x00" + b'{"zen":"Keep it logically awesome.","hook_id":1}')
