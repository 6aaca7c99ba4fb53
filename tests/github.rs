//! The GitHub collector against a local fake GitHub: a first collection of realistic
//! repositories gives the facts a local scan gives, plus GitHub's own; an unchanged refresh
//! costs (almost) nothing; faults are retried, and those that persist leave the last good
//! facts, marked stale.

mod fake_github;

use std::path::Path;
use std::time::Duration;

use fake_github::{FakeGitHub, Fault, fixture_repos};
use serde_json::{Map, Value};
use tech_health::github::{
    Collection, CollectorState, GitHubCollector, GitHubSettings, RepoCollection,
};
use tech_health::scanner::{MemoryTree, scan};

fn settings(fake: &FakeGitHub) -> GitHubSettings {
    GitHubSettings {
        base_url: fake.base_url.clone(),
        orgs: vec!["acme".into()],
        token_env: "TECH_HEALTH_TEST_GITHUB_TOKEN_UNSET".into(),
        request_timeout_ms: 1_000,
        max_retries: 3,
        backoff_base_ms: 20,
        max_wait_ms: 3_000,
        batch_size: 10,
        tree_depth: 3,
        ..GitHubSettings::default()
    }
}

async fn collect(fake: &FakeGitHub, previous: &CollectorState) -> Collection {
    GitHubCollector::new(settings(fake))
        .expect("valid settings")
        .collect_all(previous)
        .await
}

fn repo<'a>(run: &'a Collection, slug: &str) -> &'a RepoCollection {
    run.repos
        .iter()
        .find(|r| r.slug == slug)
        .unwrap_or_else(|| panic!("{slug} collected"))
}

fn facts<'a>(r: &'a RepoCollection, collector: &str) -> &'a Map<String, Value> {
    r.facts
        .get(collector)
        .unwrap_or_else(|| panic!("{} has {collector} facts", r.slug))
}

/// What a local scan of the same files reports.
fn local_scan(fake: &FakeGitHub, slug: &str) -> Value {
    let tree: MemoryTree = fake.repo(slug).files.clone().into_iter().collect();
    scan(&tree, None).to_json()
}

fn validator(name: &str) -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("checks/collectors/{name}.schema.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

async fn fixture_fake() -> FakeGitHub {
    let mut repos = fixture_repos("acme");
    repos
        .iter_mut()
        .find(|r| r.name == "docker-args")
        .unwrap()
        .archived = true;
    repos
        .iter_mut()
        .find(|r| r.name == "go-service")
        .unwrap()
        .protected = false;
    repos
        .iter_mut()
        .find(|r| r.name == "rust-crate")
        .unwrap()
        .ci = "failure".into();
    let mut empty = repos[0].clone();
    empty.name = "empty".into();
    empty.files.clear();
    repos.push(empty);
    // Four per page: the list of fifteen takes four pages, followed along the Link header.
    FakeGitHub::start(repos, 4, false, None).await
}

#[tokio::test]
async fn a_first_collection_gives_what_a_local_scan_gives_plus_githubs_facts() {
    let fake = fixture_fake().await;
    let run = collect(&fake, &CollectorState::default()).await;
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    assert_eq!(run.repos.len(), 15, "every page of the list was read");

    let (scanner_schema, github_schema) = (validator("scanner"), validator("github"));
    for r in run
        .repos
        .iter()
        .filter(|r| !["acme/docker-args", "acme/empty"].contains(&r.slug.as_str()))
    {
        assert!(r.rescanned && r.stale.is_none(), "{}", r.slug);
        let scanned = Value::Object(facts(r, "scanner").clone());
        assert_eq!(
            scanned,
            local_scan(&fake, &r.slug),
            "{}: the same facts as a local scan",
            r.slug
        );
        let github = Value::Object(facts(r, "github").clone());
        let errors: Vec<String> = github_schema
            .iter_errors(&github)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", r.slug);
        assert!(scanner_schema.is_valid(&scanned), "{}", r.slug);
        let name = r.slug.trim_start_matches("acme/");
        assert_eq!(r.entities.len(), 1, "{}: its catalog-info.yaml", r.slug);
        assert_eq!(r.entities[0]["metadata"]["name"], name);
        assert_eq!(r.entities[0]["spec"]["owner"], "group:default/payments");
    }

    let maven = repo(&run, "acme/maven-service");
    let scanner = facts(maven, "scanner");
    assert_eq!(scanner["buildSystems"], serde_json::json!(["maven"]));
    assert!(
        scanner["dependencies"].as_array().unwrap().len() > 3,
        "pom.xml read, with its modules"
    );
    assert_eq!(
        scanner["hasTests"], true,
        "test files eight folders deep were listed"
    );
    let github = facts(maven, "github");
    assert_eq!(github["repository"], "acme/maven-service");
    assert_eq!(github["defaultBranch"], "main");
    assert_eq!(github["branchProtection"], true);
    assert_eq!(github["defaultBranchCiStatus"], "success");
    assert_eq!(github["ciGreenOnDefaultBranch"], true);
    assert_eq!(github["lastCommitDate"], "2026-11-20T16:04:11Z");
    assert_eq!(github["archived"], false);
    assert_eq!(github["dependencyUpdatesEnabled"], false);
    assert!(github["daysSinceLastCommit"].as_i64().unwrap() >= 0);
    assert_eq!(
        facts(repo(&run, "acme/go-service"), "github")["branchProtection"],
        false
    );
    assert_eq!(
        facts(repo(&run, "acme/rust-crate"), "github")["defaultBranchCiStatus"],
        "failure"
    );
    assert_eq!(
        facts(repo(&run, "acme/rust-crate"), "github")["ciGreenOnDefaultBranch"],
        false
    );

    // Archived: reported, not scanned.
    let archived = repo(&run, "acme/docker-args");
    assert_eq!(facts(archived, "github")["archived"], true);
    assert!(!archived.facts.contains_key("scanner") && !archived.rescanned);
    // Empty: nothing to scan, and not an error.
    let empty = repo(&run, "acme/empty");
    assert!(empty.stale.is_none() && !empty.facts.contains_key("scanner"));
    assert_eq!(facts(empty, "github")["repository"], "acme/empty");

    // The collector's own accounts agree with what GitHub (the fake) would charge.
    let charged = fake.counts();
    assert_eq!(run.requests, charged.requests);
    assert_eq!(run.rate_limit_points, charged.points);
    assert!(charged.graphql_queries < 20, "batched: {charged:?}");
}

#[tokio::test]
async fn an_unchanged_refresh_costs_at_most_one_point_per_repository() {
    let fake = fixture_fake().await;
    let first = collect(&fake, &CollectorState::default()).await;
    fake.reset_counts();

    let refresh = collect(&fake, &first.state).await;
    let charged = fake.counts();
    assert!(refresh.errors.is_empty(), "{:?}", refresh.errors);
    assert!(charged.points <= refresh.repos.len() as u64, "{charged:?}");
    // Every list page and branch answers 304; only the empty repository's branch, which does
    // not exist yet, answers 404 again (no ETag to send).
    assert_eq!(charged.points, 1, "{charged:?}");
    assert_eq!(charged.not_modified, 4 + 13, "{charged:?}");
    assert_eq!(charged.graphql_queries, 0);
    assert_eq!(refresh.rate_limit_points, 1);
    for (before, after) in first.repos.iter().zip(&refresh.repos) {
        assert_eq!(before.facts, after.facts, "{}", after.slug);
        assert!(!after.rescanned);
    }

    // One push: only that repository is read again, and its new facts show.
    fake.push("acme/node-npm", |r| {
        r.files.insert(".nvmrc".into(), b"22.11.0\n".to_vec());
        r.files.insert(
            ".github/dependabot.yml".into(),
            b"version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule:\n      interval: weekly\n".to_vec(),
        );
        r.ci = "pending".into();
    });
    fake.reset_counts();
    let after_push = collect(&fake, &refresh.state).await;
    let node = repo(&after_push, "acme/node-npm");
    assert!(node.rescanned);
    assert_eq!(facts(node, "scanner")["runtimes"]["node"], "22.11.0");
    assert_eq!(facts(node, "github")["defaultBranchCiStatus"], "pending");
    assert_eq!(facts(node, "github")["dependencyUpdatesEnabled"], true);
    assert!(
        facts(node, "github")
            .get("ciGreenOnDefaultBranch")
            .is_none(),
        "unknown while pending"
    );
    assert_eq!(after_push.repos.iter().filter(|r| r.rescanned).count(), 1);
    assert!(fake.counts().points <= 6, "{:?}", fake.counts());

    // CI finishes without a new commit: the pending state is asked again, nothing re-read.
    fake.update("acme/node-npm", |r| r.ci = "success".into());
    let settled = collect(&fake, &after_push.state).await;
    let node = repo(&settled, "acme/node-npm");
    assert!(!node.rescanned);
    assert_eq!(facts(node, "github")["defaultBranchCiStatus"], "success");
    assert_eq!(facts(node, "scanner")["runtimes"]["node"], "22.11.0");
}

#[tokio::test]
async fn transient_faults_are_retried_and_cost_no_facts() {
    let fake = fixture_fake().await;
    fake.fail("/orgs/acme/repos", Fault::PrimaryLimit { reset_in: 1 }, 1);
    fake.fail("/branches/", Fault::Status(502), 2);
    fake.fail(
        "/repos/acme/gradle-kotlin/branches/",
        Fault::Slow(Duration::from_millis(1_500)),
        1,
    );
    fake.fail(
        "\"go-service\"",
        Fault::SecondaryLimit { retry_after: 1 },
        1,
    );
    fake.fail("POST graphql", Fault::Status(503), 1);
    fake.fail(
        "\"python-uv\"",
        Fault::GraphqlRateLimited { reset_in: 1 },
        1,
    );

    let run = collect(&fake, &CollectorState::default()).await;
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    for r in run
        .repos
        .iter()
        .filter(|r| !r.slug.ends_with("docker-args") && !r.slug.ends_with("empty"))
    {
        assert!(
            r.stale.is_none() && r.facts.contains_key("scanner"),
            "{}",
            r.slug
        );
    }
    assert_eq!(
        Value::Object(facts(repo(&run, "acme/go-service"), "scanner").clone()),
        local_scan(&fake, "acme/go-service")
    );
    // Every retry is a request the fake saw, and what it charged is what the collector counted.
    assert_eq!(run.requests, fake.counts().requests);
    assert_eq!(run.rate_limit_points, fake.counts().points);
    assert!(run.requests >= 15 + 6, "{}", run.requests);
}

#[tokio::test]
async fn persistent_faults_keep_the_last_good_facts_marked_stale() {
    let fake = fixture_fake().await;
    let first = collect(&fake, &CollectorState::default()).await;

    fake.fail(
        "/repos/acme/go-service/branches/",
        Fault::Status(502),
        usize::MAX,
    );
    fake.fail(
        "/repos/acme/node-npm/branches/",
        Fault::PrimaryLimit { reset_in: 3_600 },
        usize::MAX,
    );
    fake.push("acme/maven-service", |r| {
        r.files.remove("README.md");
    });
    fake.fail("\"maven-service\"", Fault::Status(502), usize::MAX);
    // A GitHub that hangs: every answer later than the request timeout, however often asked.
    fake.fail(
        "/repos/acme/python-uv/branches/",
        Fault::Slow(Duration::from_secs(30)),
        usize::MAX,
    );
    let second = collect(&fake, &first.state).await;

    for (slug, why) in [
        ("acme/go-service", "502"),
        ("acme/node-npm", "rate limit"),
        ("acme/maven-service", "502"),
        ("acme/python-uv", "no answer within 1000 ms"),
    ] {
        let r = repo(&second, slug);
        let reason = r
            .stale
            .as_deref()
            .unwrap_or_else(|| panic!("{slug} is stale"));
        assert!(reason.contains(why), "{slug}: {reason}");
        assert_eq!(
            r.facts.get("scanner"),
            repo(&first, slug).facts.get("scanner"),
            "{slug} keeps its last good facts"
        );
        assert!(
            second.errors.iter().any(|e| e.subject == slug),
            "{slug} is a visible error"
        );
    }
    assert_eq!(second.errors.len(), 4, "{:?}", second.errors);
    assert_eq!(
        facts(repo(&second, "acme/maven-service"), "scanner")["hasReadme"],
        true
    );

    // Once GitHub answers again, the repository that missed its scan is read.
    fake.clear_faults();
    let third = collect(&fake, &second.state).await;
    assert!(third.errors.is_empty(), "{:?}", third.errors);
    let maven = repo(&third, "acme/maven-service");
    assert!(maven.rescanned);
    assert_eq!(
        facts(maven, "scanner")["hasReadme"],
        false,
        "the README is gone"
    );
}

#[tokio::test]
async fn a_missing_organisation_is_an_error_and_others_still_collect() {
    let fake = fixture_fake().await;
    let mut s = settings(&fake);
    s.orgs.push("nobody".into());
    let run = GitHubCollector::new(s)
        .unwrap()
        .collect_all(&CollectorState::default())
        .await;
    assert_eq!(run.repos.len(), 15);
    assert_eq!(run.errors.len(), 1, "{:?}", run.errors);
    assert_eq!(run.errors[0].subject, "nobody");
    assert!(
        run.errors[0].message.contains("404"),
        "{}",
        run.errors[0].message
    );
}

#[tokio::test]
async fn one_repository_is_collected_on_demand() {
    let fake = fixture_fake().await;
    let first = collect(&fake, &CollectorState::default()).await;
    fake.push("acme/python-uv", |r| {
        r.files
            .insert(".python-version".into(), b"3.13.1\n".to_vec());
    });
    let one = GitHubCollector::new(settings(&fake))
        .unwrap()
        .collect_repo("acme", "python-uv", &first.state)
        .await;
    assert_eq!(one.repos.len(), 1);
    assert!(one.repos[0].rescanned);
    assert_eq!(
        Value::Object(facts(&one.repos[0], "scanner").clone()),
        local_scan(&fake, "acme/python-uv")
    );
    assert_eq!(
        one.state.repos.len(),
        first.state.repos.len(),
        "the others' state is kept"
    );
}

#[tokio::test]
async fn requests_in_flight_stay_within_the_concurrency_setting() {
    let fake = fixture_fake().await;
    // Slow branch answers pile up unless the collector holds back.
    fake.fail(
        "/branches/",
        Fault::Slow(Duration::from_millis(150)),
        usize::MAX,
    );
    let mut s = settings(&fake);
    s.concurrency = 3;
    let run = GitHubCollector::new(s)
        .unwrap()
        .collect_all(&CollectorState::default())
        .await;
    assert!(run.errors.is_empty(), "{:?}", run.errors);
    let max = fake.counts().max_in_flight;
    assert!((2..=3).contains(&max), "{max} requests at once");
}
