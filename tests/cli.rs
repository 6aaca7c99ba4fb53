//! The command line as a user meets it: validate the bundled standards, break one, evaluate the
//! example fleet and a Tech Insights checks file.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn tech_health(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Copies the bundled standards into a temporary config dir.
fn config_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["checks", "golden-tech"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let p = entry.unwrap().path();
            // Sub-folders (`checks/collectors/`) hold collector schemas, not standards.
            if !p.is_file() {
                continue;
            }
            std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn ndjson(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// `evaluate --checks CHECKS --facts FACTS --format ndjson`.
fn evaluate_ndjson<'a>(checks: &'a Path, facts: &'a Path) -> [&'a str; 7] {
    let (checks, facts) = (checks.to_str().unwrap(), facts.to_str().unwrap());
    [
        "evaluate", "--checks", checks, "--facts", facts, "--format", "ndjson",
    ]
}

#[test]
fn the_bundled_standards_validate() {
    let o = tech_health(&["validate"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("35 checks, 4 tracks"));
}

#[test]
fn a_broken_check_file_names_file_and_line() {
    let dir = config_copy();
    let file = dir.path().join("checks/security.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    // An unknown operator on the line of the first condition.
    let broken = text.replacen("operator: equal\n", "operator: equalz\n", 1);
    std::fs::write(&file, &broken).unwrap();
    let line = broken.lines().position(|l| l.contains("equalz")).unwrap() + 1;
    let o = tech_health(&["validate", "--config-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains(&format!("security.yaml:{line}:")), "{out}");
    assert!(out.contains("equalz"), "{out}");
}

#[test]
fn a_track_naming_an_unknown_check_is_an_error() {
    let dir = config_copy();
    let file = dir.path().join("checks/tracks.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("has-readme", "has-readmee", 1);
    std::fs::write(&file, &text).unwrap();
    let o = tech_health(&["validate", "--config-dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let line = text
        .lines()
        .position(|l| l.contains("has-readmee"))
        .unwrap()
        + 1;
    assert!(
        stdout(&o).contains(&format!("tracks.yaml:{line}:")),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("unknown check `has-readmee`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_example_fleet_shows_a_spread_of_levels_and_reasons() {
    let o = tech_health(&["evaluate", "--format", "ndjson"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = ndjson(&o);
    assert_eq!(rows.len(), 67, "every component of the example fleet");
    let get = |name: &str| {
        rows.iter()
            .find(|r| r["entity"] == format!("component:default/{name}"))
            .unwrap_or_else(|| panic!("{name} evaluated"))
    };
    let blocked_by = |name: &str, code: &str| {
        get(name)["blocking"]
            .as_array()
            .unwrap()
            .contains(&Value::from(code))
    };
    // Checkout's API is golden and eligible.
    let api = get("checkout-api");
    assert_eq!(api["golden"], true);
    assert_eq!(api["levels"]["fleet-readiness"], "gold");
    assert_eq!(api["eligible"], true);
    // billing-service: a red default branch blocks automation.
    assert_eq!(
        get("billing-service")["results"]["ci-green-default-branch"],
        "fail"
    );
    assert_eq!(get("billing-service")["eligible"], false);
    assert!(blocked_by("billing-service", "ci-red"));
    // Golden, but opted out by annotation; owned by a group that is not in the catalog.
    assert_eq!(get("chargeback-service")["golden"], true);
    assert!(blocked_by("chargeback-service", "opted-out"));
    assert!(blocked_by("radio-legacy", "owner-unknown"));
    assert!(blocked_by("ledger", "build-system-unsupported"));
    assert!(blocked_by("fraud-lab", "no-tests"));
    // log4j-core 2.14.1 fails the radar's version policy, yet the component is eligible.
    assert_eq!(
        get("payment-gateway-adapter")["results"]["radar-version-policy"],
        "fail"
    );
    assert_eq!(get("payment-gateway-adapter")["eligible"], true);
    // A missing fact is unknown, never a silent fail.
    assert_eq!(get("lyrics-sync")["results"]["coverage-50"], "unknown");
    // Checks that do not apply say so: a library has no canary.
    assert_eq!(
        get("tax-rules")["results"]["canary-analysis"],
        "not-applicable"
    );
    let eligible = rows.iter().filter(|r| r["eligible"] == true).count();
    assert!(
        (25..40).contains(&eligible),
        "a realistic share is eligible: {eligible}"
    );
}

#[test]
fn tech_insights_checks_and_bench_facts_load_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let checks = r#"[
      {"id": "owner", "name": "owner", "type": "json-rules-engine", "factIds": ["fleet"],
       "rule": {"conditions": {"all": [{"fact": "hasOwner", "operator": "equal", "value": true}]}}},
      {"id": "coverage", "name": "coverage", "type": "json-rules-engine", "factIds": ["fleet"],
       "rule": {"conditions": {"all": [{"fact": "testCoverage", "operator": "greaterThanInclusive", "value": 50}]}}},
      {"id": "langs", "name": "langs", "type": "json-rules-engine", "factIds": ["fleet"],
       "rule": {"conditions": {"not": {"fact": "languages", "operator": "contains", "value": "scala"}}}}
    ]"#;
    let facts = r#"{"entity": "component:default/a", "facts": {"hasOwner": true, "testCoverage": "60", "languages": ["go"]}}
{"entity": "component:default/b", "facts": {"hasOwner": 1, "testCoverage": null, "languages": "scala"}}
{"entity": "component:default/c", "facts": {"hasOwner": false}}
"#;
    std::fs::write(dir.path().join("checks.json"), checks).unwrap();
    std::fs::write(dir.path().join("facts.ndjson"), facts).unwrap();
    let o = tech_health(&evaluate_ndjson(
        &dir.path().join("checks.json"),
        &dir.path().join("facts.ndjson"),
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = ndjson(&o);
    let r = |i: usize, c: &str| rows[i]["results"][c].as_str().unwrap().to_string();
    // "60" >= 50 compares as numbers; 1 === true is false; null fails parseFloat;
    // contains on a string fails, so not(contains) passes.
    assert_eq!(
        (r(0, "owner"), r(0, "coverage"), r(0, "langs")),
        ("pass".into(), "pass".into(), "pass".into())
    );
    assert_eq!(
        (r(1, "owner"), r(1, "coverage"), r(1, "langs")),
        ("fail".into(), "fail".into(), "pass".into())
    );
    assert_eq!(
        (r(2, "owner"), r(2, "coverage"), r(2, "langs")),
        ("fail".into(), "unknown".into(), "unknown".into())
    );
    // No tracks are loaded with these checks, so no levels and nobody is eligible; the fleet
    // policy's references to the standards' checks are warned of, each at its place.
    assert_eq!(rows[0]["levels"], serde_json::json!({}));
    assert_eq!(rows[0]["eligible"], false);
    let policy = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("golden-tech/fleet-policy.yaml"),
    )
    .unwrap();
    let line = 1 + policy
        .lines()
        .position(|l| l.contains("check: ci-green-default-branch"))
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "warning: golden-tech/fleet-policy.yaml:{line}:12: the fleet policy names check \
             `ci-green-default-branch`, which is not loaded"
        )),
        "{err}"
    );
}

/// The checks file is checked against its schema while the facts are read: what breaks the
/// schema alone (an id with a space loads as a check) is still reported, before any facts
/// error, with nothing printed.
#[test]
fn a_checks_file_breaking_its_schema_stops_evaluate_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("checks.json");
    std::fs::write(
        &checks,
        r#"[{"id": "owner", "name": "owner", "type": "json-rules-engine",
 "rule": {"conditions": {"all": [{"fact": "hasOwner", "operator": "equal", "value": true}]}}},
{"id": "has owner", "name": "x", "type": "json-rules-engine",
 "rule": {"conditions": {"all": [{"fact": "hasOwner", "operator": "equal", "value": true}]}}}]"#,
    )
    .unwrap();
    let good = dir.path().join("facts.ndjson");
    std::fs::write(
        &good,
        "{\"entity\": \"component:default/a\", \"facts\": {\"hasOwner\": true}}\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(&bad, "{\"entity\": \"nokind\", \"facts\": {}}\n").unwrap();
    for facts in [&good, &bad] {
        let o = tech_health(&evaluate_ndjson(&checks, facts));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("checks.json:3:"), "{err}");
        assert!(err.contains("`has owner`"), "{err}");
        assert!(!err.contains("nokind"), "{err}");
        assert!(o.stdout.is_empty(), "nothing printed");
    }
}

#[test]
fn bad_facts_get_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("facts.json");
    std::fs::write(&f, "[\n{\"entity\": \"component:default/a\", \"facts\": {}},\n{\"entity\": \"nokind\", \"facts\": {}}\n]").unwrap();
    let o = tech_health(&[
        "evaluate",
        "--facts",
        f.to_str().unwrap(),
        "--format",
        "ndjson",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("facts.json:line 3: record 2"), "{err}");
    assert!(o.stdout.is_empty(), "nothing half-written");
}

#[test]
fn the_radar_exports_as_tech_radar_data() {
    let o = tech_health(&["radar"]);
    assert!(o.status.success());
    let radar: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(radar["quadrants"].as_array().unwrap().len(), 4);
    assert_eq!(radar["rings"][3]["id"], "hold");
    let log4j = radar["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "log4j-core")
        .unwrap();
    assert_eq!(log4j["timeline"][0]["ringId"], "adopt");
    assert!(log4j["description"].as_str().unwrap().contains(">=2.17.1"));
}

#[test]
fn records_of_one_entity_merge_into_its_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let checks = r#"[
      {"id": "owner", "name": "owner", "rule": {"conditions": {"all": [{"fact": "hasOwner", "operator": "equal", "value": true}]}}},
      {"id": "readme", "name": "readme", "rule": {"conditions": {"all": [{"fact": "hasReadme", "operator": "equal", "value": true}]}}}
    ]"#;
    let facts = r#"[{"entity": "component:default/a", "facts": {"hasOwner": false}},
      {"entity": "component:default/b", "facts": {"hasOwner": true}},
      {"entity": "Component:default/A", "facts": {"hasOwner": true, "hasReadme": true}}]"#;
    std::fs::write(dir.path().join("checks.json"), checks).unwrap();
    std::fs::write(dir.path().join("facts.json"), facts).unwrap();
    let o = tech_health(&evaluate_ndjson(
        &dir.path().join("checks.json"),
        &dir.path().join("facts.json"),
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = ndjson(&o);
    let entities: Vec<&str> = rows.iter().map(|r| r["entity"].as_str().unwrap()).collect();
    assert_eq!(entities, ["component:default/a", "component:default/b"]);
    assert_eq!(rows[0]["results"]["owner"], "pass", "later facts win");
    assert_eq!(rows[0]["results"]["readme"], "pass");
    assert_eq!(rows[1]["results"]["readme"], "unknown");
}

#[test]
fn a_large_facts_file_streams_the_same_lines_as_the_general_path() {
    let dir = tempfile::tempdir().unwrap();
    let checks = r#"[
      {"id": "owner", "name": "owner", "rule": {"conditions": {"all": [{"fact": "hasOwner", "operator": "equal", "value": true}]}}},
      {"id": "coverage", "name": "coverage", "rule": {"conditions": {"any": [{"fact": "coverage", "operator": "greaterThan", "value": 60}, {"fact": "languages", "operator": "contains", "value": "go"}]}}},
      {"id": "lifecycle", "name": "lifecycle", "rule": {"conditions": {"all": [{"fact": "lifecycle", "operator": "notIn", "value": ["deprecated"]}]}}}
    ]"#;
    // Several chunks' worth of records, some with escapes the fast reader leaves to serde_json.
    let records: Vec<String> = (0..6000)
        .map(|i| {
            let lifecycle = ["production", "deprecated", "experimental\\u0021"][i % 3];
            let owner = if i % 7 == 0 { "null".to_string() } else { (i % 2 == 0).to_string() };
            format!(
                r#"{{"entity": "component:default/svc-{i}", "facts": {{"hasOwner": {owner}, "coverage": {}.5, "languages": ["java", "{}"], "lifecycle": "{lifecycle}", "notes": "{}"}}}}"#,
                i % 100,
                ["go", "rust"][i % 2],
                "x".repeat(i % 200)
            )
        })
        .collect();
    let checks_file = dir.path().join("checks.json");
    // Piped, and into a file that already holds a line (appended to, as `>>` does): a file is
    // written chunk by chunk, and cut back to that line should the stream be read again.
    let run = |name: &str, records: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("[{}]", records.join(",\n"))).unwrap();
        let piped = tech_health(&evaluate_ndjson(&checks_file, &path));
        assert!(
            piped.status.success(),
            "{}",
            String::from_utf8_lossy(&piped.stderr)
        );
        let (status, file, _) = into_file(&evaluate_ndjson(&checks_file, &path), "earlier\n");
        assert!(status.success());
        assert_eq!(file, format!("earlier\n{}", stdout(&piped)));
        stdout(&piped)
    };
    std::fs::write(dir.path().join("checks.json"), checks).unwrap();
    let streamed = run("facts.json", &records);
    assert!(streamed.len() > 1 << 20, "several chunks of output");
    // The same records and the first one again: records of one entity merge, so this file
    // takes the general path; the merged entity's facts are unchanged.
    let mut again = records.clone();
    again.push(records[0].clone());
    assert_eq!(run("facts-again.json", &again), streamed);
    let first: Value = serde_json::from_str(streamed.lines().next().unwrap()).unwrap();
    // `null` is a present value (not `unknown`), and not `true`.
    assert_eq!(first["results"]["owner"], "fail");
    // A bad last record: the lines already written are taken back, the error is all there is.
    let mut bad = records.clone();
    bad.push(r#"{"entity": "nokind", "facts": {}}"#.into());
    let path = dir.path().join("facts-bad.json");
    std::fs::write(&path, format!("[{}]", bad.join(",\n"))).unwrap();
    let (status, file, err) = into_file(&evaluate_ndjson(&checks_file, &path), "earlier\n");
    assert_eq!(status.code(), Some(1));
    assert_eq!(file, "earlier\n");
    assert!(
        err.contains("facts-bad.json:line 6001: record 6001"),
        "{err}"
    );
}

/// Runs the binary with stdout appended to a file first holding `before`: the exit status, the
/// file's text, and stderr.
fn into_file(args: &[&str], before: &str) -> (std::process::ExitStatus, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.ndjson");
    std::fs::write(&out, before).unwrap();
    let file = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .args(args)
        .stdout(file)
        .output()
        .expect("the binary runs");
    let text = std::fs::read_to_string(&out).unwrap();
    (
        o.status,
        text,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `change simulate` replays the example change's scripted outcomes: the waves advance as
/// soaks end, the burst of CI failures pauses it with the components named, the scripted
/// resume continues it, and it ends done — the same transitions the service makes.
#[test]
fn the_example_change_simulates_to_done() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/changes");
    let change = root.join("log4j.yaml");
    let outcomes = root.join("log4j-outcomes.ndjson");
    let args = [
        "change",
        "simulate",
        "--change",
        change.to_str().unwrap(),
        "--outcomes",
        outcomes.to_str().unwrap(),
        "--format",
        "json",
    ];
    let o = tech_health(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sim: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(sim["state"], "done");
    assert_eq!(sim["refused"], serde_json::json!([]));
    let moves: Vec<String> = sim["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["at"].as_str().unwrap(),
                t["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "2026-12-01T09:00:00Z wave-0-active",
            "2026-12-01T09:30:00Z wave-0-complete",
            "2026-12-01T09:30:00Z wave-1-active",
            "2026-12-01T10:30:00Z wave-1-complete",
            "2026-12-01T10:30:00Z wave-2-active",
            "2026-12-01T11:12:00Z paused",
            "2026-12-01T11:30:00Z wave-2-active",
            "2026-12-01T11:50:00Z wave-2-complete",
            "2026-12-01T11:50:00Z wave-3-active",
            "2026-12-01T12:50:00Z wave-3-complete",
            "2026-12-01T12:50:00Z done",
        ]
    );
    let paused = &sim["transitions"][5]["reasons"][0];
    assert_eq!(paused["criterion"], "maxFailedShare");
    assert_eq!(
        paused["components"],
        serde_json::json!([
            "component:default/payment-gateway-adapter",
            "component:default/podcast-catalog"
        ])
    );

    // Stricter criteria, same outcomes: the first failure already pauses it.
    let strict = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&change)
        .unwrap()
        .replace("maxFailedShare: 0.25", "maxFailedShare: 0.1");
    let strict_change = strict.path().join("strict.yaml");
    std::fs::write(&strict_change, text).unwrap();
    let mut args = args;
    args[3] = strict_change.to_str().unwrap();
    let o = tech_health(&args);
    let sim: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let tos: Vec<&str> = sim["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["to"].as_str().unwrap())
        .collect();
    assert_eq!(tos[5], "paused", "{sim:#}");
    assert_eq!(sim["transitions"][5]["at"], "2026-12-01T11:10:00Z");

    // A line that is neither an outcome nor a move names its line.
    let bad = strict.path().join("bad.ndjson");
    std::fs::write(&bad, "{\"entity\": \"component:default/feature-flags\", \"outcome\": \"merged\", \"at\": \"2026-12-01T09:05:00Z\"}\n{\"resume\": \"x\"}\n").unwrap();
    args[5] = bad.to_str().unwrap();
    let o = tech_health(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.ndjson:2:"), "{err}");
}
