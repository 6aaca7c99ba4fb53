//! The `rollout` step: a fleet change over the whole generated fleet (every eligible component
//! with Kubernetes manifests; a first wave of at most 100 per team), `…/next` for that wave,
//! then 10,000 outcomes reported one request at a time, each applied and decided on by the
//! controller before the answer.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::load::Latencies;
use super::{get_json, post};

pub const OUTCOMES: usize = 10_000;

pub struct Rollout {
    pub create: Duration,
    /// Components in the change, and in its first wave.
    pub members: u64,
    pub wave: usize,
    /// `…/next` as JSON and as NDJSON, each run's seconds.
    pub next_json: Vec<f64>,
    pub next_ndjson: Vec<f64>,
    pub outcomes: Latencies,
    /// The change's state after the outcomes.
    pub state: String,
}

async fn next_ndjson(
    client: &reqwest::Client,
    base: &str,
    id: &str,
) -> Result<(f64, usize), String> {
    let t = Instant::now();
    let body = client
        .get(format!("{base}/api/v1/changes/{id}/next"))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("next: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("next: {e}"))?;
    let rows = body
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    Ok((t.elapsed().as_secs_f64(), rows))
}

pub async fn run(client: &reqwest::Client, base: &str) -> Result<Rollout, String> {
    let change = json!({
        "name": "Kubernetes manifests bumped", "owner": "group:default/engineering",
        "target": { "technology": "kubernetes *" },
        "rollout": { "waves": [ { "name": "first", "maxPerOwner": 100 }, { "name": "rest" } ] },
        // Every component merged before the wave completes: it stays active throughout.
        "criteria": { "minSoakMinutes": 0, "minMergedShare": 1.0, "maxFailedShare": 0.5 }
    });
    let t = Instant::now();
    let created = post(client, base, "/api/v1/changes", &change).await?;
    let create = t.elapsed();
    let id = created["id"].as_str().ok_or("no change id")?.to_string();
    let members = ["active", "planned", "dropped"]
        .iter()
        .map(|k| created["totals"][k].as_u64().unwrap_or(0))
        .sum();
    let (mut next_json, mut next_nd) = (Vec::new(), Vec::new());
    let mut items: Vec<String> = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let page = get_json(client, base, &format!("/api/v1/changes/{id}/next")).await?;
        next_json.push(t.elapsed().as_secs_f64());
        items = page["items"]
            .as_array()
            .ok_or("next: no items")?
            .iter()
            .filter_map(|i| i["entity"].as_str().map(str::to_string))
            .collect();
        let (s, rows) = next_ndjson(client, base, &id).await?;
        if rows != items.len() {
            return Err(format!(
                "next: {rows} NDJSON rows for {} items",
                items.len()
            ));
        }
        next_nd.push(s);
    }
    if items.len() < OUTCOMES {
        return Err(format!(
            "the first wave has {} components, fewer than {OUTCOMES}",
            items.len()
        ));
    }
    let mut samples = Vec::with_capacity(OUTCOMES);
    let start = Instant::now();
    let mut state = String::new();
    for (k, entity) in items.iter().take(OUTCOMES).enumerate() {
        // Mostly merged; one in a hundred fails CI (well under the 50 % that pauses).
        let outcome = if k % 100 == 7 { "ci-failed" } else { "merged" };
        let body = json!({ "outcomes": [{ "entity": entity, "outcome": outcome,
            "prUrl": format!("https://github.com/acme/{k}/pull/1") }] });
        let t = Instant::now();
        let answer: Value = post(
            client,
            base,
            &format!("/api/v1/changes/{id}/outcomes"),
            &body,
        )
        .await?;
        samples.push(t.elapsed().as_micros() as u64);
        state = answer["state"].as_str().unwrap_or_default().to_string();
    }
    Ok(Rollout {
        create,
        members,
        wave: items.len(),
        next_json,
        next_ndjson: next_nd,
        outcomes: Latencies::of(samples, 0, start.elapsed()),
        state,
    })
}
