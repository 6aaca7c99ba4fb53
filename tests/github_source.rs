//! The GitHub collector as one of the service's scheduled collectors: repository facts per fact
//! collector, catalog entities, and stale marks (not old facts) for what it could not refresh.

mod fake_github;

use fake_github::{FakeGitHub, Fault, fixture_repos};
use tech_health::collectors::{Collector, Scope, StaleTarget};
use tech_health::github::{GitHubCollector, GitHubSettings, GitHubSource};

async fn fixture_fake() -> FakeGitHub {
    let mut repos = fixture_repos("acme");
    repos
        .iter_mut()
        .find(|r| r.name == "docker-args")
        .unwrap()
        .archived = true;
    let mut empty = repos[0].clone();
    empty.name = "empty".into();
    empty.files.clear();
    repos.push(empty);
    FakeGitHub::start(repos, 100, false, None).await
}

fn settings(fake: &FakeGitHub) -> GitHubSettings {
    GitHubSettings {
        base_url: fake.base_url.clone(),
        orgs: vec!["acme".into()],
        token_env: "TECH_HEALTH_TEST_GITHUB_TOKEN_UNSET".into(),
        request_timeout_ms: 1_000,
        max_retries: 2,
        backoff_base_ms: 20,
        ..GitHubSettings::default()
    }
}

#[tokio::test]
async fn as_a_scheduled_collector_it_hands_over_repository_facts_and_stale_marks() {
    let fake = fixture_fake().await;
    let source = GitHubSource::new(
        "github",
        GitHubCollector::new(settings(&fake)).unwrap(),
        true,
    );
    assert_eq!(source.fact_collectors(), vec!["scanner", "github"]);

    let all = source.collect(&Scope::All).await.unwrap();
    assert!(
        all.errors.is_empty() && all.stale.is_empty(),
        "{:?}",
        all.errors
    );
    let of = |slug: &str, collector: &str| {
        all.repositories
            .iter()
            .find(|r| r.slug == slug && r.collector == collector)
            .map(|r| r.facts.clone())
    };
    assert_eq!(
        of("acme/maven-service", "github").unwrap()["branchProtection"],
        true
    );
    assert!(of("acme/maven-service", "scanner").is_some());
    assert!(
        of("acme/docker-args", "scanner").is_none(),
        "archived: not scanned"
    );
    let sync = all.entities.expect("catalog entities of the repositories");
    assert!(sync.complete);
    // Every repository read has a catalog file; the archived and the empty one are not read.
    assert_eq!(sync.entities.len(), 13);

    // A webhook for one repository: read again only if it moved; a failure is a stale mark.
    fake.push("acme/go-service", |r| {
        r.files
            .insert(".tool-versions".into(), b"golang 1.23.4\n".to_vec());
    });
    let one = source
        .collect(&Scope::Repository("acme/go-service".into()))
        .await
        .unwrap();
    assert_eq!(one.repositories.len(), 2);
    assert!(!one.entities.as_ref().unwrap().complete);
    fake.fail(
        "/repos/acme/go-service/branches/",
        Fault::Status(502),
        usize::MAX,
    );
    let failed = source
        .collect(&Scope::Repository("acme/go-service".into()))
        .await
        .unwrap();
    assert!(
        failed.repositories.is_empty(),
        "last good facts are not written again"
    );
    assert_eq!(failed.stale.len(), 2);
    assert_eq!(
        failed.stale[0].target,
        StaleTarget::Repository("acme/go-service".into())
    );
    assert!(
        failed.stale[0].reason.contains("502"),
        "{}",
        failed.stale[0].reason
    );
    assert_eq!(failed.errors.len(), 1);
}
