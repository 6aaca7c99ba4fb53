//! Shift-left: `tech-health check` in a component's own CI, over fixture checkouts with their
//! catalog-info.yaml; no server. Exit 0 when every required level is held, 1 when a component is
//! below one, 2 on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/repos")
        .join(name)
}

fn check(repo_name: &str, extra: &[&str]) -> Output {
    let path = repo(repo_name);
    Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .arg("check")
        .arg(&path)
        .args(extra)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_maintained_service_meets_bronze_and_is_told_what_silver_needs() {
    let o = check(
        "maven-service",
        &[
            "--require",
            "fleet-readiness=bronze",
            "--require",
            "basics=bronze",
        ],
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(out.starts_with("component:default/payments-api\n"), "{out}");
    assert!(
        out.contains("fleet-readiness      bronze  (next: silver)"),
        "{out}"
    );
    // The scanner found log4j-core 2.14.1 in pom.xml: the radar's version policy fails, with
    // its how-to-fix text.
    assert!(out.contains("fail radar-version-policy [error]"), "{out}");
    assert!(out.contains("Upgrade the technologies"), "{out}");
    // What a checkout cannot know is unknown, and says which fact is missing.
    assert!(
        out.contains("missing facts: ciGreenOnDefaultBranch"),
        "{out}"
    );
    assert!(!out.contains("BELOW REQUIRED"), "{out}");
}

#[test]
fn below_a_required_level_exits_1_and_says_which() {
    let o = check("maven-service", &["--require", "fleet-readiness=silver"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(
        "BELOW REQUIRED: component:default/payments-api holds bronze in fleet-readiness; silver is required"
    ));

    // No README and no system: not even Bronze in Basics.
    let o = check(
        "go-service",
        &["--require", "basics=bronze", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let report: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let entity = &report["entities"][0];
    assert_eq!(entity["entity"], "component:default/geo-resolver");
    let basics = entity["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "basics")
        .unwrap();
    assert_eq!(basics["level"], Value::Null);
    assert!(
        basics["blockingChecks"]
            .as_array()
            .unwrap()
            .contains(&"has-readme".into())
    );
    assert_eq!(report["belowRequired"][0]["track"], "basics");
    assert_eq!(report["belowRequired"][0]["required"], "bronze");
    assert_eq!(report["entities"][0]["eligibility"]["eligible"], false);

    // Without --require nothing is required: the verdict is printed, the exit status is 0.
    assert_eq!(check("go-service", &[]).status.code(), Some(0));
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let cases: [(&str, &[&str], &str); 4] = [
        ("node-npm", &[], "no catalog-info.yaml"),
        (
            "maven-service",
            &["--require", "fleet-readiness=platinum"],
            "track `fleet-readiness` has no level `platinum` (levels: bronze, silver, gold)",
        ),
        (
            "maven-service",
            &["--require", "speed=gold"],
            "no track `speed`",
        ),
        (
            "maven-service",
            &["--require", "silver"],
            "expected TRACK=LEVEL",
        ),
    ];
    for (name, args, message) in cases {
        let o = check(name, args);
        assert_eq!(o.status.code(), Some(2), "{name} {args:?}");
        let err = text(&o.stderr);
        assert!(err.contains(message), "{name} {args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
    let o = check("maven-service", &["--config-dir", "/nonexistent-standards"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("invalid configuration"));
}
