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

fn warnings(facts: &Value) -> Vec<(String, String)> {
    facts["scanWarnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            (
                w["file"].as_str().unwrap_or("").into(),
                w["message"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

#[test]
fn a_maven_service_resolves_log4j_through_its_parent_pom() {
    let facts = scan_fixture("maven-service");
    // log4j-core is declared without a version; the parent's dependencyManagement gives
    // `${log4j2.version}`, a property of the parent.
    let log4j = dependency(
        &facts,
        "org.apache.logging.log4j:log4j-core",
        "payments-api/pom.xml",
    );
    assert_eq!(log4j["version"], "2.14.1");
    assert_eq!(log4j["direct"], true);
    assert_eq!(
        dependency(
            &facts,
            "com.acme.payments:payments-client",
            "payments-api/pom.xml"
        )["version"],
        "2.3.0-SNAPSHOT",
        "`${{project.version}}` is the inherited version"
    );
    // Managed by spring-boot-starter-parent, which is not in the repository.
    assert_eq!(
        dependency(
            &facts,
            "org.springframework.boot:spring-boot-starter-web",
            "payments-api/pom.xml"
        )["version"],
        Value::Null
    );
    assert_eq!(
        technology(&facts, "log4j-core"),
        &json!({"id": "log4j-core", "version": "2.14.1", "ring": "adopt", "source": "payments-api/pom.xml"})
    );
    assert_eq!(technology(&facts, "spring-boot")["version"], "3.1.5");
    assert_eq!(technology(&facts, "maven")["version"], "3.9.6");
    assert_eq!(technology(&facts, "golden-java17")["version"], "2024.11");
    // `java.version` 17 in the POM, made precise by `.tool-versions`.
    assert_eq!(facts["javaVersion"], "17.0.9");
    assert_eq!(facts["runtimes"], json!({"java": "17.0.9"}));
    assert_eq!(facts["buildSystems"], json!(["maven"]));
    assert_eq!(facts["languages"], json!(["java"]));
    assert_eq!(facts["infraFormats"], json!(["kubernetes", "helm"]));
    assert_eq!(
        facts["canaryAnalysis"], true,
        "the Helm chart's Rollout has canary steps"
    );
    assert_eq!(facts["ciProvider"], "github-actions");
    assert_eq!(facts["ciRunsTests"], true);
    assert_eq!(facts["deploysOnMerge"], false, "CI only builds");
    assert_eq!(
        (facts["hasReadme"].clone(), facts["hasCodeowners"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(facts["testFileCount"], 1);
    assert_eq!(facts["scanWarnings"], json!([]));
}

#[test]
fn scanned_facts_feed_the_evaluation() {
    let o = tech_health(&[
        "scan",
        fixture("maven-service").to_str().expect("a UTF-8 path"),
        "--entity",
        "component:default/payments-api",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let facts_file = dir.path().join("facts.json");
    std::fs::write(&facts_file, &o.stdout).expect("the facts file is written");
    let o = tech_health(&[
        "evaluate",
        "--facts",
        facts_file.to_str().expect("UTF-8"),
        "--format",
        "ndjson",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: Value = serde_json::from_slice(&o.stdout).expect("one NDJSON line");
    let results = &line["results"];
    // log4j-core 2.14.1 is below the radar's `>=2.17.1`.
    assert_eq!(results["radar-version-policy"], "fail");
    assert_eq!(results["no-hold-technology"], "pass");
    assert_eq!(results["technologies-known"], "pass");
    assert_eq!(results["ci-runs-tests"], "pass");
    assert_eq!(results["has-tests"], "pass");
}

#[test]
fn a_gradle_kotlin_service_reads_catalog_lockfile_and_toolchain() {
    let facts = scan_fixture("gradle-kotlin");
    assert_eq!(facts["buildSystems"], json!(["gradle"]));
    assert_eq!(
        facts["languages"],
        json!(["kotlin"]),
        "build.gradle.kts is not product code"
    );
    assert_eq!(facts["javaVersion"], "21", "JavaLanguageVersion.of(21)");
    assert_eq!(technology(&facts, "gradle")["version"], "8.8");
    assert_eq!(technology(&facts, "spring-boot")["version"], "3.3.2");
    assert_eq!(technology(&facts, "kotlin")["version"], "2.0.0");
    assert_eq!(technology(&facts, "jackson-databind")["version"], "2.17.2");
    let catalog = dependency(
        &facts,
        "com.fasterxml.jackson.core:jackson-databind",
        "gradle/libs.versions.toml",
    );
    assert_eq!(
        (catalog["version"].clone(), catalog["direct"].clone()),
        (json!("2.17.2"), json!(true))
    );
    let locked = dependency(
        &facts,
        "com.fasterxml.jackson.core:jackson-databind",
        "gradle.lockfile",
    );
    assert_eq!(locked["direct"], true, "declared in the catalog");
    assert_eq!(
        dependency(&facts, "org.yaml:snakeyaml", "gradle.lockfile")["direct"],
        false
    );
    assert_eq!(
        dependency(&facts, "org.apache.kafka:kafka-clients", "build.gradle.kts")["version"],
        "3.7.0"
    );
}

#[test]
fn an_npm_service_with_lockfile_v3_and_jenkins() {
    let facts = scan_fixture("node-npm");
    // The range `^4.17.20` resolved to 4.17.21.
    assert_eq!(
        dependency(&facts, "lodash", "package-lock.json")["version"],
        "4.17.21"
    );
    let nested: Vec<&Value> = facts["dependencies"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["name"] == "ms")
        .collect();
    assert_eq!(nested.len(), 2, "two copies of ms: {nested:?}");
    assert!(nested.iter().all(|d| d["direct"] == false));
    assert_eq!(
        facts["runtimes"]["node"], "20.15.1",
        ".nvmrc wins over engines >=18"
    );
    assert_eq!(facts["buildSystems"], json!(["npm"]));
    assert_eq!(facts["ciProvider"], "jenkins");
    assert_eq!(technology(&facts, "jenkins")["ring"], "hold");
    assert_eq!(facts["ciRunsTests"], true);
    assert_eq!(
        facts["deploysOnMerge"], true,
        "stage Deploy when branch main"
    );
    assert_eq!(facts["hasReadme"], true, "readme.md counts");
    assert_eq!(facts["hasCodeowners"], false);
}

#[test]
fn a_yarn_berry_project() {
    let facts = scan_fixture("yarn-berry");
    assert_eq!(facts["buildSystems"], json!(["yarn"]));
    assert_eq!(facts["languages"], json!(["typescript"]));
    assert_eq!(technology(&facts, "react")["version"], "18.3.1");
    // The patched copy of TypeScript is the same package.
    let ts: Vec<&Value> = facts["dependencies"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["name"] == "typescript")
        .collect();
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0]["version"], "5.4.5");
    assert_eq!(
        dependency(&facts, "scheduler", "yarn.lock")["direct"],
        false
    );
    assert!(
        !facts["dependencies"].to_string().contains("artist-portal"),
        "not the workspace itself"
    );
}

#[test]
fn a_pnpm_project_with_an_old_lodash() {
    let facts = scan_fixture("pnpm-web");
    assert_eq!(facts["buildSystems"], json!(["pnpm"]));
    assert_eq!(technology(&facts, "pnpm")["version"], "9.4.0");
    assert_eq!(
        technology(&facts, "lodash"),
        &json!({"id": "lodash", "version": "4.17.15", "ring": "trial", "source": "pnpm-lock.yaml"})
    );
    assert_eq!(
        facts["runtimes"]["node"], "20.11.0",
        "the lower bound of engines.node"
    );
    assert_eq!(
        dependency(&facts, "loose-envify", "pnpm-lock.yaml")["direct"],
        false
    );
    assert_eq!(facts["testFileCount"], 1, "cart.spec.ts");
}

#[test]
fn a_poetry_project_tested_and_deployed_by_gitlab() {
    let facts = scan_fixture("python-poetry");
    assert_eq!(facts["buildSystems"], json!(["poetry"]));
    assert_eq!(facts["runtimes"]["python"], "3.12.4");
    assert_eq!(technology(&facts, "poetry")["version"], "1.8.3");
    assert_eq!(technology(&facts, "fastapi")["version"], "0.111.0");
    assert_eq!(dependency(&facts, "fastapi", "poetry.lock")["direct"], true);
    assert_eq!(
        dependency(&facts, "starlette", "poetry.lock")["direct"],
        false
    );
    assert_eq!(facts["ciProvider"], "gitlab-ci");
    assert_eq!(facts["ciRunsTests"], true);
    assert_eq!(facts["deploysOnMerge"], true);
}

#[test]
fn a_uv_project() {
    let facts = scan_fixture("python-uv");
    assert_eq!(facts["buildSystems"], json!(["uv"]));
    assert_eq!(
        facts["runtimes"]["python"], "3.11",
        "requires-python >=3.11"
    );
    assert_eq!(
        technology(&facts, "django"),
        &json!({"id": "django", "version": "5.0.6", "ring": "trial", "source": "uv.lock"})
    );
    assert!(
        !technology(&facts, "postgresql")
            .as_object()
            .expect("an object")
            .contains_key("version"),
        "a driver's version is not the database's"
    );
    assert!(
        !facts["dependencies"].to_string().contains("royalties"),
        "not the project itself"
    );
    assert_eq!(dependency(&facts, "sqlparse", "uv.lock")["direct"], false);
}

#[test]
fn a_requirements_txt_project() {
    let facts = scan_fixture("python-requirements");
    assert_eq!(facts["buildSystems"], json!(["pip"]));
    assert_eq!(
        dependency(&facts, "flask", "requirements.txt")["version"],
        "3.0.3"
    );
    assert_eq!(
        dependency(&facts, "gunicorn", "requirements.txt")["version"],
        "22.0.0"
    );
    assert_eq!(
        dependency(&facts, "requests", "requirements.txt")["version"],
        Value::Null,
        "not pinned"
    );
    assert_eq!(
        dependency(&facts, "pytest", "requirements-dev.txt")["version"],
        "8.2.2"
    );
    assert_eq!(
        facts["runtimes"]["python"], "3.10",
        "from the python:3.10-slim base image"
    );
    assert_eq!(facts["dockerBaseImages"], json!(["python:3.10-slim"]));
    assert_eq!(facts["testFileCount"], 1, "test_app.py");
}

#[test]
fn a_go_module_with_a_multi_stage_image_and_kustomize() {
    let facts = scan_fixture("go-service");
    assert_eq!(facts["buildSystems"], json!(["go-modules"]));
    assert_eq!(
        facts["runtimes"]["go"], "1.22.5",
        "the toolchain directive refines go 1.22.3"
    );
    let chi = dependency(&facts, "github.com/go-chi/chi/v5", "go.mod");
    assert_eq!(
        (chi["version"].clone(), chi["direct"].clone()),
        (json!("v5.0.12"), json!(true))
    );
    assert_eq!(
        dependency(&facts, "github.com/cespare/xxhash/v2", "go.mod")["direct"],
        false
    );
    assert_eq!(
        facts["dockerBaseImages"],
        json!([
            "golang:1.22.5",
            "registry.acme.example/golden/static:2024.11"
        ])
    );
    assert_eq!(technology(&facts, "golden-static")["version"], "2024.11");
    assert_eq!(facts["infraFormats"], json!(["kubernetes", "kustomize"]));
    assert_eq!(technology(&facts, "kustomize")["ring"], "trial");
    assert!(
        facts.get("ciProvider").is_none(),
        "no CI: the fact is absent"
    );
    assert_eq!(facts["ciRunsTests"], false);
    assert!(facts.get("javaVersion").is_none());
}

#[test]
fn a_rust_crate_with_a_pinned_toolchain() {
    let facts = scan_fixture("rust-crate");
    assert_eq!(facts["buildSystems"], json!(["cargo"]));
    assert_eq!(facts["runtimes"]["rust"], "1.79.0");
    assert_eq!(
        technology(&facts, "rust"),
        &json!({"id": "rust", "version": "1.79.0", "ring": "trial", "source": "rust-toolchain.toml"})
    );
    assert_eq!(
        dependency(&facts, "serde", "Cargo.lock")["version"],
        "1.0.203"
    );
    assert_eq!(dependency(&facts, "serde", "Cargo.lock")["direct"], true);
    assert_eq!(dependency(&facts, "itoa", "Cargo.lock")["direct"], false);
    assert!(
        !facts["dependencies"].to_string().contains("edge-cache"),
        "not the crate itself"
    );
    assert_eq!(
        facts["testFileCount"], 2,
        "tests/capacity.rs and the #[cfg(test)] in lib.rs"
    );
}

#[test]
fn a_malformed_pom_is_a_warning_not_a_failure() {
    let facts = scan_fixture("broken-maven");
    let w = warnings(&facts);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "pom.xml");
    assert!(w[0].1.starts_with("not valid XML"), "{w:?}");
    assert_eq!(
        facts["buildSystems"],
        json!(["maven"]),
        "still a Maven project"
    );
    assert_eq!(facts["languages"], json!(["java"]));
    assert_eq!(facts["dependencies"], json!([]));
    assert_eq!(facts["hasReadme"], true);
}

#[test]
fn a_broken_package_json_is_a_warning_with_its_line() {
    let facts = scan_fixture("broken-package-json");
    let w = warnings(&facts);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "package.json");
    assert!(w[0].1.contains("line 6"), "{w:?}");
    assert_eq!(facts["buildSystems"], json!(["npm"]));
}

#[test]
fn an_empty_repository() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let facts = scan_cli(dir.path());
    for name in [
        "hasReadme",
        "hasCodeowners",
        "hasTests",
        "ciRunsTests",
        "deploysOnMerge",
        "canaryAnalysis",
        "declarativeInfra",
    ] {
        assert_eq!(facts[name], false, "{name}");
    }
    assert_eq!(facts["testFileCount"], 0);
    for name in [
        "languages",
        "buildSystems",
        "technologies",
        "dependencies",
        "dockerBaseImages",
        "scanWarnings",
    ] {
        assert_eq!(facts[name], json!([]), "{name}");
    }
    assert!(facts.get("ciProvider").is_none());
    assert_eq!(facts["runtimes"], json!({}));
}

#[test]
fn dockerfile_arguments_and_stages() {
    let facts = scan_fixture("docker-args");
    // ARG defaults substituted, --platform skipped, `FROM build` is a stage of the same file.
    assert_eq!(
        facts["dockerBaseImages"],
        json!([
            "maven:3.9.8-eclipse-temurin-21",
            "registry.acme.example/golden/java21:2024.11"
        ])
    );
    assert_eq!(technology(&facts, "golden-java21")["version"], "2024.11");
    assert_eq!(facts["runtimes"]["java"], "21");
    let w = warnings(&facts);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, "worker/Dockerfile");
    assert!(w[0].1.contains("`BASE_IMAGE` has no default"), "{w:?}");
}

#[test]
fn github_actions_deploying_main_with_a_canary() {
    let facts = scan_fixture("gha-canary");
    assert_eq!(facts["ciProvider"], "github-actions");
    assert_eq!(facts["ciRunsTests"], true);
    assert_eq!(facts["deploysOnMerge"], true, "deploy job on push to main");
    assert_eq!(
        facts["canaryAnalysis"], true,
        "the deploy job rolls out a canary"
    );
    assert_eq!(facts["hasCodeowners"], true);
    assert_eq!(
        facts["javaVersion"], "17",
        "sourceCompatibility = JavaVersion.VERSION_17"
    );
    assert_eq!(technology(&facts, "log4j-core")["version"], "2.17.1");
    assert_eq!(technology(&facts, "spring-boot")["version"], "3.2.5");
    let w = warnings(&facts);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].0, ".github/workflows/docs.yml");
    assert!(w[0].1.starts_with("not valid YAML: line 3"), "{w:?}");
}

#[test]
fn files_fetched_from_github_scan_like_a_checkout() {
    // The service will fetch a handful of files through the GitHub API; the same scanner reads
    // them from memory.
    let readme = std::fs::read(fixture("broken-maven/README.md")).expect("a fixture file");
    let tree: MemoryTree = [
        ("README.md", readme),
        (
            "pom.xml",
            br#"<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
                <properties><maven.compiler.release>21</maven.compiler.release></properties>
                <dependencies><dependency><groupId>com.fasterxml.jackson.core</groupId>
                <artifactId>jackson-databind</artifactId><version>2.13.0</version></dependency>
                </dependencies></project>"#
                .to_vec(),
        ),
        ("node_modules/left-pad/package.json", b"{".to_vec()),
    ]
    .into_iter()
    .collect();
    let facts = scan(&tree, None).to_json();
    assert_eq!(facts["javaVersion"], "21");
    assert_eq!(technology(&facts, "jackson-databind")["version"], "2.13.0");
    assert!(!has_technology(&facts, "node"), "node_modules is skipped");
    assert_eq!(facts["scanWarnings"], json!([]));
    // Without a radar, rings are not known.
    assert!(technology(&facts, "maven").get("ring").is_none());
}

#[test]
fn scanning_a_missing_folder_fails_plainly() {
    let o = tech_health(&["scan", "/no/such/folder"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a folder"));
}
