//! `tech-health collect github` as a user runs it: against a GitHub Enterprise Server (the
//! local fake) with a token from the environment, a state file that makes the second run
//! cheap, and settings errors named with file and line.

mod fake_github;

use std::path::Path;

use fake_github::{FakeGitHub, fixture_repos};
use serde_json::Value;

/// `tech-health collect github …` with these arguments and environment, run off the
/// async runtime so the fake keeps answering.
async fn cli(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_tech-health"))
            .args(&args)
            .envs(env)
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_cli_collects_from_github_enterprise_with_a_token_and_keeps_state() {
    let fake = FakeGitHub::start(fixture_repos("acme"), 100, true, Some("s3cret")).await;
    assert!(fake.base_url.ends_with("/api/v3") && fake.graphql_url.ends_with("/api/graphql"));
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("github.yaml");
    std::fs::write(
        &settings,
        format!(
            "baseUrl: {}\ntokenEnv: FAKE_GITHUB_TOKEN\norgs: [acme]\nrequestTimeoutMs: 2000\nbackoffBaseMs: 20\n",
            fake.base_url
        ),
    )
    .unwrap();
    let state = dir.path().join("state.json");
    let args = |s: &Path| {
        vec![
            "collect".into(),
            "github".into(),
            "--settings".into(),
            settings.display().to_string(),
            "--state".into(),
            s.display().to_string(),
        ]
    };

    let first = cli(args(&state), vec![("FAKE_GITHUB_TOKEN", "s3cret")]).await;
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{stderr}");
    let out: Value = serde_json::from_slice(&first.stdout).expect("JSON on stdout");
    let repos = out["repos"].as_array().unwrap();
    assert_eq!(repos.len(), 14);
    let maven = repos
        .iter()
        .find(|r| r["slug"] == "acme/maven-service")
        .unwrap();
    assert_eq!(maven["facts"]["github"]["branchProtection"], true);
    assert_eq!(maven["entities"][0]["metadata"]["name"], "maven-service");
    // With the bundled radar, technologies carry their rings.
    let techs = maven["facts"]["scanner"]["technologies"]
        .as_array()
        .unwrap();
    assert!(techs.iter().any(|t| t.get("ring").is_some()), "{techs:?}");
    assert!(
        stderr.contains("14 repositories (14 rescanned, 0 stale)"),
        "{stderr}"
    );
    assert!(state.exists(), "the state is written");

    let again = cli(args(&state), vec![("FAKE_GITHUB_TOKEN", "s3cret")]).await;
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("(0 rescanned, 0 stale)") && stderr.contains(" 0 rate-limit points"),
        "{stderr}"
    );
    let out2: Value = serde_json::from_slice(&again.stdout).unwrap();
    let mut expected = out["repos"].clone();
    for r in expected.as_array_mut().unwrap() {
        r["rescanned"] = Value::Bool(false);
    }
    assert_eq!(out2["repos"], expected, "the same facts, from the state");

    // Without the token GitHub refuses; the run says so and fails.
    let refused = cli(args(&dir.path().join("other.json")), vec![]).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("error: acme: cannot list repositories") && stderr.contains("401"),
        "{stderr}"
    );
}

#[tokio::test]
async fn bad_collector_settings_are_named_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("github.yaml");
    std::fs::write(&settings, "orgs: [acme]\nconcurency: 4\n").unwrap();
    let args = vec![
        "collect".into(),
        "github".into(),
        "--settings".into(),
        settings.display().to_string(),
    ];
    let o = cli(args, vec![]).await;
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("github.yaml:2:1") && stderr.contains("concurency"),
        "{stderr}"
    );

    let o = cli(vec!["collect".into(), "github".into()], vec![]).await;
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("`orgs`"), "{stderr}");
}

#[tokio::test]
async fn collected_facts_feed_the_evaluation() {
    let mut repos = fixture_repos("acme");
    for r in repos.iter_mut() {
        match r.name.as_str() {
            "go-service" => r.protected = false,
            "rust-crate" => r.ci = "failure".into(),
            _ => {}
        }
    }
    let fake = FakeGitHub::start(repos, 100, false, None).await;
    let o = cli(
        vec![
            "collect".into(),
            "github".into(),
            "--org".into(),
            "acme".into(),
            "--base-url".into(),
            fake.base_url.clone(),
        ],
        vec![],
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();

    // A facts file: each repository's catalog entity with its scanner and GitHub facts.
    let mut records = String::new();
    for r in out["repos"].as_array().unwrap() {
        let mut facts = r["facts"]["scanner"].as_object().unwrap().clone();
        facts.extend(r["facts"]["github"].as_object().unwrap().clone());
        let entity = format!(
            "component:default/{}",
            r["entities"][0]["metadata"]["name"].as_str().unwrap()
        );
        records.push_str(&serde_json::json!({ "entity": entity, "facts": facts }).to_string());
        records.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let facts_file = dir.path().join("facts.ndjson");
    std::fs::write(&facts_file, records).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .args([
            "evaluate",
            "--facts",
            facts_file.to_str().unwrap(),
            "--format",
            "ndjson",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let results: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let result = |name: &str, check: &str| {
        let entity = format!("component:default/{name}");
        let line = results.iter().find(|l| l["entity"] == entity).unwrap();
        line["results"][check].as_str().unwrap().to_string()
    };
    assert_eq!(result("maven-service", "branch-protection"), "pass");
    assert_eq!(result("go-service", "branch-protection"), "fail");
    assert_eq!(result("maven-service", "ci-green-default-branch"), "pass");
    assert_eq!(result("rust-crate", "ci-green-default-branch"), "fail");
    assert_eq!(result("maven-service", "ci-runs-tests"), "pass");
}
