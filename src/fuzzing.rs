//! What the fuzz targets of `fuzz/` check, one function per target, so that an input a fuzzer
//! found (kept under `tests/fixtures/fuzz/<target>/`) is checked again by `cargo test`
//! (`tests/fuzz_regressions.rs`) exactly as the fuzzer checked it. Each takes any bytes and
//! panics only when the code under test is wrong: a panic of the parser itself, or two readers
//! that disagree.

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use crate::catalog::{Catalog, EntityRef, parse_descriptors};
use crate::collectors::webhook::{repository_of, sign, signature_matches};
use crate::facts::{parse_facts, parse_facts_general, parse_facts_in_chunks};
use crate::radar::Radar;
use crate::rules::FactTable;
use crate::rules::condition::{Reads, compile_root};
use crate::rules::filter::Filter;
use crate::rules::path::JsonPath;
use crate::rules::version::{VersionRange, parse_version};
use crate::scanner::{MemoryTree, scan};

/// Catalog descriptor files: entities and problems, never a panic; every entity's ref reads
/// back as itself, and the group tree can be built from what was read.
pub fn catalog_yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (entities, _problems) = parse_descriptors(Path::new("catalog-info.yaml"), text);
    for e in &entities {
        let again: EntityRef = e
            .entity_ref
            .to_string()
            .parse()
            .expect("an entity's ref reads back");
        assert_eq!(again, e.entity_ref);
        let _ = e.to_envelope();
    }
    let catalog = Catalog::from_entities(entities);
    for e in catalog.entities() {
        if e.entity_ref.kind() == "group" {
            let _ = catalog.descendants(&e.entity_ref);
            let _ = catalog.ancestors(&e.entity_ref);
        }
    }
}

/// Facts files: the first byte is the chunk size (1..=256 bytes), the rest the file. The fast
/// reader, in chunks of that size and whole, and the general serde_json reader alone agree:
/// the same records, or both an error.
pub fn facts_file(data: &[u8]) {
    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let mut table = FactTable::default();
    for name in [
        "ciGreenOnDefaultBranch",
        "testCoverage",
        "languages",
        "a",
        "x/y",
        "é",
    ] {
        table.intern(name);
    }
    let general = parse_facts_general(bytes, &table);
    let fast = parse_facts_in_chunks(bytes, &table, usize::from(chunk) + 1);
    match (&fast, &general) {
        (Ok(f), Ok(g)) => assert_eq!(f, g, "different records"),
        (Err(_), Err(_)) => {}
        _ => panic!("chunked {fast:?}\ngeneral {general:?}"),
    }
    let whole = parse_facts(bytes, &table);
    match (&whole, &general) {
        (Ok(f), Ok(g)) => assert_eq!(f, g, "different records"),
        (Err(_), Err(_)) => {}
        _ => panic!("whole {whole:?}\ngeneral {general:?}"),
    }
}

/// The bundled Golden Tech radar, for the ring and version-policy operators.
fn radar() -> &'static Radar {
    static RADAR: OnceLock<Radar> = OnceLock::new();
    RADAR.get_or_init(|| {
        let text = include_str!("../golden-tech/radar.yaml");
        let doc = crate::source::parse_single(Path::new("radar.yaml"), text)
            .expect("the bundled radar is YAML");
        Radar::from_document(&doc).expect("the bundled radar loads")
    })
}

/// Check conditions, JSONPath, version ranges and filters. The first byte picks what the rest
/// is, two parts split by a NUL: 0 a condition tree (JSON) and an entity's facts (a JSON
/// object), compiled then evaluated; 1 a JSONPath and a JSON value, parsed then resolved; 2 a
/// version range and a version, parsed then matched; 3 an applicability filter (JSON) and an
/// entity ref. What does not compile is an error, never a panic.
pub fn rules(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (first, second) = text.split_once('\0').unwrap_or((text, ""));
    match mode % 4 {
        0 => {
            let Ok(conditions) = serde_json::from_str::<Value>(first) else {
                return;
            };
            let facts = serde_json::from_str::<Value>(second).unwrap_or(Value::Null);
            let mut table = FactTable::default();
            let mut reads = Reads::default();
            if let Ok(node) = compile_root(&conditions, "/conditions", &mut table, &mut reads) {
                let mut row = vec![None; table.len()];
                if let Value::Object(map) = &facts {
                    for (k, v) in map {
                        if let Some(slot) = table.slot(k) {
                            row[slot as usize] = Some(v.clone());
                        }
                    }
                }
                let _ = node.eval(&row, radar());
                let _ = node.leaves();
            }
        }
        1 => {
            if let Ok(path) = JsonPath::parse(first)
                && let Ok(value) = serde_json::from_str::<Value>(second)
            {
                let _ = path.resolve(&value);
                let again = JsonPath::parse(path.as_str()).map(|p| p.as_str().to_string());
                assert_eq!(again.as_deref(), Ok(path.as_str()), "a path reads back");
            }
        }
        2 => {
            let version = parse_version(second);
            if let Ok(range) = VersionRange::parse(first)
                && let Some(v) = &version
            {
                let _ = range.matches(v);
            }
            if let Some(v) = version {
                assert_eq!(
                    parse_version(&v.to_string()),
                    Some(v),
                    "a version reads back"
                );
            }
        }
        _ => {
            let Ok(filter) = serde_json::from_str::<Value>(first) else {
                return;
            };
            let mut table = FactTable::default();
            if let Ok(f) = Filter::compile(&filter, "/filter", &mut table)
                && let Ok(entity) = second.parse::<EntityRef>()
            {
                let _ = f.matches(&entity, &vec![None; table.len()]);
            }
        }
    }
}

/// The files the scanner reads as more than a name; `manifests` picks one by an input byte.
pub const MANIFESTS: &[&str] = &[
    "pom.xml",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "pyproject.toml",
    "requirements.txt",
    "go.mod",
    "Cargo.toml",
    "Cargo.lock",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "gradle/libs.versions.toml",
    "gradle.lockfile",
    "gradle/wrapper/gradle-wrapper.properties",
    ".mvn/wrapper/maven-wrapper.properties",
    "Dockerfile",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    "Jenkinsfile",
    ".circleci/config.yml",
    "azure-pipelines.yml",
    ".tool-versions",
    ".nvmrc",
    ".python-version",
    ".java-version",
    ".sdkmanrc",
    "rust-toolchain.toml",
    "build.sbt",
    "project/build.properties",
    "deploy/k8s/deployment.yaml",
    "deploy/chart/Chart.yaml",
    "kustomization.yaml",
    "main.tf",
    "CODEOWNERS",
    "catalog-info.yaml",
    "docker-compose.yml",
];

/// The scanner's readers of manifests, lockfiles, Dockerfiles, CI and deployment files: a
/// repository of one or two files (a NUL starts the second), each named by its first byte
/// (an index into [`MANIFESTS`]). Facts and warnings, never a panic; facts that are JSON.
pub fn manifests(data: &[u8]) {
    let mut tree = MemoryTree::new();
    for part in data.splitn(2, |&b| b == 0) {
        if let Some((&pick, content)) = part.split_first() {
            tree.insert(MANIFESTS[usize::from(pick) % MANIFESTS.len()], content);
        }
    }
    let facts = scan(&tree, None).to_json();
    serde_json::to_string(&facts).expect("facts serialise");
}

/// GitHub webhook deliveries as the service reads them: up to the first NUL the
/// `X-Hub-Signature-256` header, after it the body. A body signed with the secret verifies and
/// no other digest does; the repository a JSON body names is `owner/name`.
pub fn webhook(data: &[u8]) {
    const SECRET: &[u8] = b"fuzzing-secret";
    let (header, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let header = String::from_utf8_lossy(header);
    let good = sign(SECRET, body);
    assert!(signature_matches(SECRET, body, &good));
    if signature_matches(SECRET, body, &header) {
        let digest = |h: &str| h.trim_start_matches("sha256=").trim().to_ascii_lowercase();
        assert_eq!(
            digest(&header),
            digest(&good),
            "another header verified: {header}"
        );
    }
    if let Ok(payload) = serde_json::from_slice::<Value>(body)
        && let Some(slug) = repository_of(&payload)
    {
        let (owner, name) = slug.split_once('/').expect("owner/name");
        assert!(
            !owner.is_empty() && !name.is_empty() && !name.contains('/'),
            "{slug}"
        );
    }
}
