//! The repository scanner as a platform team meets it: `tech-health scan` over small, realistic
//! repositories of every ecosystem, and the facts it reports feeding `tech-health evaluate`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use tech_health::scanner::{MemoryTree, scan};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/repos")
        .join(name)
}

fn tech_health(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// `tech-health scan <dir> --format json`, parsed.
fn scan_cli(dir: &Path) -> Value {
    let o = tech_health(&[
        "scan",
        dir.to_str().expect("a UTF-8 path"),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("scan prints JSON")
}

fn scan_fixture(name: &str) -> Value {
    scan_cli(&fixture(name))
}

/// The technology with this id (and version, when given).
fn technology<'a>(facts: &'a Value, id: &str) -> &'a Value {
    facts["technologies"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == id))
        .unwrap_or_else(|| panic!("no technology `{id}` in {:#}", facts["technologies"]))
}

fn has_technology(facts: &Value, id: &str) -> bool {
    facts["technologies"]
        .as_array()
        .is_some_and(|ts| ts.iter().any(|t| t["id"] == id))
}

/// The dependency with this name and source file.
fn dependency<'a>(facts: &'a Value, name: &str, source: &str) -> &'a Value {
    facts["dependencies"]
        .as_array()
        .and_then(|ds| {
            ds.iter()
                .find(|d| d["name"] == name && d["source"] == source)
        })
        .unwrap_or_else(|| {
            panic!(
                "no dependency `{name}` from {source} in {:#}",
                facts["dependencies"]
            )
        })
}

/// Every fact of `expected` has exactly that value.
fn expect_facts(facts: &Value, expected: Value) {
    for (name, want) in expected.as_object().expect("an object of facts") {
        assert_eq!(&facts[name], want, "fact `{name}`");
    }
}

/// `(version, direct)` of a dependency.
fn resolved(facts: &Value, name: &str, source: &str) -> (Value, Value) {
    let d = dependency(facts, name, source);
    (d["version"].clone(), d["direct"].clone())
}

/// The scan warned about exactly one file, with a message containing `part`.
fn expect_one_warning(facts: &Value, file: &str, part: &str) {
    let w = facts["scanWarnings"].as_array().expect("a list");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0]["file"], file);
    let message = w[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(part), "{message}");
}

#[test]
fn a_maven_service_resolves_log4j_through_its_parent_pom() {
    let facts = scan_fixture("maven-service");
    // log4j-core is declared without a version; the parent's dependencyManagement gives
    // `${log4j2.version}`, a property of the parent.
    let api = "payments-api/pom.xml";
    let log4j = resolved(&facts, "org.apache.logging.log4j:log4j-core", api);
    assert_eq!(log4j, (json!("2.14.1"), json!(true)));
    // `${project.version}` is the version inherited from the parent.
    let client = resolved(&facts, "com.acme.payments:payments-client", api);
    assert_eq!(client.0, "2.3.0-SNAPSHOT");
    // Managed by spring-boot-starter-parent, which is not in the repository: its version comes
    // from the BOM data shipped with the scanner.
    let web = dependency(
        &facts,
        "org.springframework.boot:spring-boot-starter-web",
        api,
    );
    assert_eq!(web["version"], "3.1.5");
    assert_eq!(
        web["resolvedFrom"],
        "org.springframework.boot:spring-boot-dependencies:3.1.5"
    );
    // The repository's own dependencyManagement wins over the BOM, and says so.
    assert_eq!(
        dependency(&facts, "org.apache.logging.log4j:log4j-core", api)["resolvedFrom"],
        "dependencyManagement in pom.xml"
    );
    assert_eq!(
        technology(&facts, "log4j-core"),
        &json!({"id": "log4j-core", "version": "2.14.1", "ring": "adopt", "source": api})
    );
    assert_eq!(technology(&facts, "spring-boot")["version"], "3.1.5");
    assert_eq!(technology(&facts, "maven")["version"], "3.9.6");
    assert_eq!(technology(&facts, "golden-java17")["version"], "2024.11");
    expect_facts(
        &facts,
        json!({
            // `java.version` 17 in the POM, made precise by `.tool-versions`.
            "javaVersion": "17.0.9", "runtimes": {"java": "17.0.9"}, "buildSystems": ["maven"],
            "languages": ["java"], "infraFormats": ["kubernetes", "helm"],
            // The Helm chart's Rollout has canary steps.
            "canaryAnalysis": true, "ciProvider": "github-actions", "ciRunsTests": true,
            // CI only builds.
            "deploysOnMerge": false, "hasReadme": true, "hasCodeowners": true, "testFileCount": 1,
            "scanWarnings": [],
        }),
    );
}

#[test]
fn scanned_facts_feed_the_evaluation() {
    let repo = fixture("maven-service");
    let entity = "component:default/payments-api";
    let o = tech_health(&["scan", repo.to_str().expect("UTF-8"), "--entity", entity]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let facts_file = dir.path().join("facts.json");
    std::fs::write(&facts_file, &o.stdout).expect("the facts file is written");
    let facts_arg = facts_file.to_str().expect("UTF-8");
    let o = tech_health(&["evaluate", "--facts", facts_arg, "--format", "ndjson"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: Value = serde_json::from_slice(&o.stdout).expect("one NDJSON line");
    assert_eq!(line["entity"], entity);
    expect_facts(
        &line["results"],
        json!({
            // log4j-core 2.14.1 is below the radar's `>=2.17.1`.
            "radar-version-policy": "fail", "no-hold-technology": "pass",
            "technologies-known": "pass", "ci-runs-tests": "pass", "has-tests": "pass",
        }),
    );
}

#[test]
fn a_gradle_kotlin_service_reads_catalog_lockfile_and_toolchain() {
    let facts = scan_fixture("gradle-kotlin");
    expect_facts(
        &facts,
        json!({
            "buildSystems": ["gradle"],
            // build.gradle.kts is configuration, not product code.
            "languages": ["kotlin"],
            // JavaLanguageVersion.of(21)
            "javaVersion": "21",
        }),
    );
    assert_eq!(technology(&facts, "gradle")["version"], "8.8");
    assert_eq!(technology(&facts, "spring-boot")["version"], "3.3.2");
    assert_eq!(technology(&facts, "kotlin")["version"], "2.0.0");
    assert_eq!(technology(&facts, "jackson-databind")["version"], "2.17.2");
    let databind = "com.fasterxml.jackson.core:jackson-databind";
    let catalog = resolved(&facts, databind, "gradle/libs.versions.toml");
    assert_eq!(catalog, (json!("2.17.2"), json!(true)));
    // Locked, and declared in the catalog: direct.
    assert_eq!(resolved(&facts, databind, "gradle.lockfile").1, true);
    assert_eq!(
        resolved(&facts, "org.yaml:snakeyaml", "gradle.lockfile").1,
        false
    );
    let kafka = resolved(&facts, "org.apache.kafka:kafka-clients", "build.gradle.kts");
    assert_eq!(kafka.0, "3.7.0");
}

#[test]
fn an_npm_service_with_lockfile_v3_and_jenkins() {
    let facts = scan_fixture("node-npm");
    // The range `^4.17.20` resolved to 4.17.21.
    assert_eq!(resolved(&facts, "lodash", "package-lock.json").0, "4.17.21");
    let copies_of_ms: Vec<&Value> = facts["dependencies"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["name"] == "ms")
        .collect();
    assert_eq!(copies_of_ms.len(), 2, "{copies_of_ms:?}");
    assert!(copies_of_ms.iter().all(|d| d["direct"] == false));
    assert_eq!(technology(&facts, "jenkins")["ring"], "hold");
    expect_facts(
        &facts,
        json!({
            // .nvmrc wins over engines >=18.
            "runtimes": {"node": "20.15.1"}, "buildSystems": ["npm"], "ciProvider": "jenkins",
            "ciRunsTests": true,
            // stage Deploy, when branch main.
            "deploysOnMerge": true,
            // readme.md counts.
            "hasReadme": true, "hasCodeowners": false,
        }),
    );
}

#[test]
fn a_yarn_berry_project() {
    let facts = scan_fixture("yarn-berry");
    expect_facts(
        &facts,
        json!({"buildSystems": ["yarn"], "languages": ["typescript"]}),
    );
    assert_eq!(technology(&facts, "react")["version"], "18.3.1");
    // The patched copy of TypeScript is the same package, listed once.
    let ts: Vec<&Value> = facts["dependencies"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["name"] == "typescript")
        .collect();
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0]["version"], "5.4.5");
    assert_eq!(resolved(&facts, "scheduler", "yarn.lock").1, false);
    let all = facts["dependencies"].to_string();
    assert!(!all.contains("artist-portal"), "not the workspace itself");
}

#[test]
fn a_pnpm_project_with_an_old_lodash() {
    let facts = scan_fixture("pnpm-web");
    assert_eq!(technology(&facts, "pnpm")["version"], "9.4.0");
    assert_eq!(
        technology(&facts, "lodash"),
        &json!({"id": "lodash", "version": "4.17.15", "ring": "trial", "source": "pnpm-lock.yaml"})
    );
    assert_eq!(resolved(&facts, "loose-envify", "pnpm-lock.yaml").1, false);
    expect_facts(
        &facts,
        json!({
            "buildSystems": ["pnpm"],
            // The lower bound of engines.node.
            "runtimes": {"node": "20.11.0"},
            // cart.spec.ts
            "testFileCount": 1,
        }),
    );
}

#[test]
fn a_poetry_project_tested_and_deployed_by_gitlab() {
    let facts = scan_fixture("python-poetry");
    assert_eq!(technology(&facts, "poetry")["version"], "1.8.3");
    assert_eq!(technology(&facts, "fastapi")["version"], "0.111.0");
    let fastapi = resolved(&facts, "fastapi", "poetry.lock");
    assert_eq!(fastapi, (json!("0.111.0"), json!(true)));
    assert_eq!(resolved(&facts, "starlette", "poetry.lock").1, false);
    expect_facts(
        &facts,
        json!({
            "buildSystems": ["poetry"], "runtimes": {"python": "3.12.4"},
            "ciProvider": "gitlab-ci", "ciRunsTests": true, "deploysOnMerge": true,
        }),
    );
}

#[test]
fn a_uv_project() {
    let facts = scan_fixture("python-uv");
    // requires-python >=3.11
    expect_facts(
        &facts,
        json!({"buildSystems": ["uv"], "runtimes": {"python": "3.11"}}),
    );
    assert_eq!(
        technology(&facts, "django"),
        &json!({"id": "django", "version": "5.0.6", "ring": "trial", "source": "uv.lock"})
    );
    // A driver's version is not the database's.
    assert!(technology(&facts, "postgresql").get("version").is_none());
    let all = facts["dependencies"].to_string();
    assert!(!all.contains("royalties"), "not the project itself");
    assert_eq!(resolved(&facts, "sqlparse", "uv.lock").1, false);
}

#[test]
fn a_requirements_txt_project() {
    let facts = scan_fixture("python-requirements");
    assert_eq!(resolved(&facts, "flask", "requirements.txt").0, "3.0.3");
    assert_eq!(resolved(&facts, "gunicorn", "requirements.txt").0, "22.0.0");
    // `requests>=2.31` is not pinned.
    assert_eq!(
        resolved(&facts, "requests", "requirements.txt").0,
        Value::Null
    );
    assert_eq!(
        resolved(&facts, "pytest", "requirements-dev.txt").0,
        "8.2.2"
    );
    expect_facts(
        &facts,
        json!({
            "buildSystems": ["pip"],
            // From the python:3.10-slim base image.
            "runtimes": {"python": "3.10"}, "dockerBaseImages": ["python:3.10-slim"],
            // test_app.py
            "testFileCount": 1,
        }),
    );
}

#[test]
fn a_go_module_with_a_multi_stage_image_and_kustomize() {
    let facts = scan_fixture("go-service");
    let chi = resolved(&facts, "github.com/go-chi/chi/v5", "go.mod");
    assert_eq!(chi, (json!("v5.0.12"), json!(true)));
    assert_eq!(
        resolved(&facts, "github.com/cespare/xxhash/v2", "go.mod").1,
        false
    );
    assert_eq!(technology(&facts, "golden-static")["version"], "2024.11");
    assert_eq!(technology(&facts, "kustomize")["ring"], "trial");
    expect_facts(
        &facts,
        json!({
            "buildSystems": ["go-modules"],
            // The toolchain directive refines `go 1.22.3`.
            "runtimes": {"go": "1.22.5"},
            "dockerBaseImages": ["golang:1.22.5", "registry.acme.example/golden/static:2024.11"],
            "infraFormats": ["kubernetes", "kustomize"], "ciRunsTests": false,
        }),
    );
    assert!(
        facts.get("ciProvider").is_none(),
        "no CI: the fact is absent"
    );
    assert!(facts.get("javaVersion").is_none());
}

#[test]
fn a_rust_crate_with_a_pinned_toolchain() {
    let facts = scan_fixture("rust-crate");
    assert_eq!(
        technology(&facts, "rust"),
        &json!({"id": "rust", "version": "1.79.0", "ring": "trial", "source": "rust-toolchain.toml"})
    );
    let serde = resolved(&facts, "serde", "Cargo.lock");
    assert_eq!(serde, (json!("1.0.203"), json!(true)));
    assert_eq!(resolved(&facts, "itoa", "Cargo.lock").1, false);
    let all = facts["dependencies"].to_string();
    assert!(!all.contains("edge-cache"), "not the crate itself");
    expect_facts(
        &facts,
        json!({
            "buildSystems": ["cargo"], "runtimes": {"rust": "1.79.0"},
            // tests/capacity.rs, and the #[cfg(test)] module of lib.rs.
            "testFileCount": 2,
        }),
    );
}

#[test]
fn a_malformed_pom_is_a_warning_not_a_failure() {
    let facts = scan_fixture("broken-maven");
    expect_one_warning(&facts, "pom.xml", "not valid XML");
    expect_facts(
        &facts,
        json!({
            // Still a Maven project.
            "buildSystems": ["maven"], "languages": ["java"], "dependencies": [],
            "hasReadme": true,
        }),
    );
}

#[test]
fn a_broken_package_json_is_a_warning_with_its_line() {
    let facts = scan_fixture("broken-package-json");
    expect_one_warning(&facts, "package.json", "line 6");
    assert_eq!(facts["buildSystems"], json!(["npm"]));
}

#[test]
fn an_empty_repository() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let facts = scan_cli(dir.path());
    expect_facts(
        &facts,
        json!({
            "hasReadme": false, "hasCodeowners": false, "hasTests": false, "testFileCount": 0,
            "ciRunsTests": false, "deploysOnMerge": false, "canaryAnalysis": false,
            "declarativeInfra": false, "languages": [], "buildSystems": [], "technologies": [],
            "dependencies": [], "dockerBaseImages": [], "scanWarnings": [], "runtimes": {},
        }),
    );
    assert!(facts.get("ciProvider").is_none());
}

#[test]
fn dockerfile_arguments_and_stages() {
    let facts = scan_fixture("docker-args");
    expect_facts(
        &facts,
        json!({
            // ARG defaults substituted, --platform skipped, `FROM build` is a stage of the file.
            "dockerBaseImages": [ "maven:3.9.8-eclipse-temurin-21",
            "registry.acme.example/golden/java21:2024.11" ], "runtimes": {"java": "21"},
        }),
    );
    assert_eq!(technology(&facts, "golden-java21")["version"], "2024.11");
    expect_one_warning(&facts, "worker/Dockerfile", "`BASE_IMAGE` has no default");
}

#[test]
fn github_actions_deploying_main_with_a_canary() {
    let facts = scan_fixture("gha-canary");
    expect_facts(
        &facts,
        json!({
            "ciProvider": "github-actions", "ciRunsTests": true,
            // The deploy job runs on pushes to main and rolls out a canary.
            "deploysOnMerge": true, "canaryAnalysis": true, "hasCodeowners": true,
            // sourceCompatibility = JavaVersion.VERSION_17
            "javaVersion": "17",
        }),
    );
    assert_eq!(technology(&facts, "log4j-core")["version"], "2.17.1");
    assert_eq!(technology(&facts, "spring-boot")["version"], "3.2.5");
    expect_one_warning(
        &facts,
        ".github/workflows/docs.yml",
        "not valid YAML: line 3",
    );
}

#[test]
fn files_fetched_from_github_scan_like_a_checkout() {
    // The service will fetch a handful of files through the GitHub API; the same scanner reads
    // them from memory.
    let pom = r#"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
        <properties><maven.compiler.release>21</maven.compiler.release></properties>
        <dependencies><dependency><groupId>com.fasterxml.jackson.core</groupId>
        <artifactId>jackson-databind</artifactId><version>2.13.0</version></dependency>
        </dependencies></project>"#;
    let tree: MemoryTree = [
        ("README.md", "# a\n"),
        ("pom.xml", pom),
        ("node_modules/left-pad/package.json", "{"),
    ]
    .into_iter()
    .collect();
    let facts = scan(&tree, None).to_json();
    expect_facts(
        &facts,
        json!({"javaVersion": "21", "hasReadme": true, "scanWarnings": []}),
    );
    assert_eq!(technology(&facts, "jackson-databind")["version"], "2.13.0");
    assert!(!has_technology(&facts, "node"), "node_modules is skipped");
    // Without a radar, rings are not known.
    assert!(technology(&facts, "maven").get("ring").is_none());
}

#[test]
fn scanning_a_missing_folder_fails_plainly() {
    let o = tech_health(&["scan", "no/such/folder"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a folder"));
}
