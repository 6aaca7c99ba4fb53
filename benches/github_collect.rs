//! The GitHub collector against the local fake GitHub with 1,000 repositories: requests and
//! rate-limit points (as the fake charges them) for a first full collection, an unchanged
//! refresh, and a refresh after 10 pushes; wall time of each.
//!
//!     cargo bench --bench github_collect [-- REPOS]

#[path = "../tests/fake_github/mod.rs"]
mod fake_github;

use std::time::Instant;

use fake_github::{FakeGitHub, fleet};
use tech_health::github::{Collection, CollectorState, GitHubCollector, GitHubSettings};

fn main() {
    let repos: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(repos));
}

async fn run(repos: usize) {
    let fake = FakeGitHub::start(fleet("acme", repos), 100, false, None).await;
    let collector = GitHubCollector::new(GitHubSettings {
        base_url: fake.base_url.clone(),
        orgs: vec!["acme".into()],
        token_env: "TECH_HEALTH_BENCH_NO_TOKEN".into(),
        ..GitHubSettings::default()
    })
    .unwrap();
    println!(
        "GitHub collector, fake GitHub with {repos} repositories (files cycling through tests/fixtures/repos)"
    );
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "run", "requests", "points", "graphql", "rescanned", "wall"
    );

    let first = measure(
        &fake,
        "first full collection",
        collector.collect_all(&CollectorState::default()),
    )
    .await;
    let refresh = measure(
        &fake,
        "unchanged refresh",
        collector.collect_all(&first.state),
    )
    .await;
    assert!(fake.counts().points <= repos as u64);
    for i in (0..repos).step_by(repos.div_ceil(10).max(1)) {
        fake.push(&format!("acme/svc-{i:04}"), |r| {
            r.files
                .insert("CHANGELOG.md".into(), b"## 1.0.1\n".to_vec());
        });
    }
    measure(
        &fake,
        "refresh after 10 pushes",
        collector.collect_all(&refresh.state),
    )
    .await;
}

async fn measure(
    fake: &FakeGitHub,
    name: &str,
    run: impl Future<Output = Collection>,
) -> Collection {
    fake.reset_counts();
    let started = Instant::now();
    let out = run.await;
    let wall = started.elapsed();
    let c = fake.counts();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(
        out.rate_limit_points, c.points,
        "the collector's count agrees with the fake's"
    );
    println!(
        "{name:<28} {:>9} {:>9} {:>9} {:>9} {:>8.2}s",
        c.requests,
        c.points,
        c.graphql_queries,
        out.repos.iter().filter(|r| r.rescanned).count(),
        wall.as_secs_f64()
    );
    out
}
