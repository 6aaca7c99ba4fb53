//! Differential test: `tech-health evaluate` against the real json-rules-engine 7 (installed by
//! npm into `<target>/jre`), run the way Backstage Tech Insights runs it. For every entity ×
//! check: `unknown` exactly when a fact the check reads is absent, otherwise `pass` exactly when
//! json-rules-engine passes it.
//!
//! Seeds: four fixed ones plus one from the clock (printed). Re-run one seed with
//! `TECH_HEALTH_DIFF_SEED=<n> cargo test --test differential`; `TECH_HEALTH_DIFF_ENTITIES`
//! changes the fleet size (default 2000). A failing workload's folder is kept and printed
//! (every one with `TECH_HEALTH_DIFF_KEEP=1`).

mod support;

use std::path::Path;

use support::harness::{Report, Workload, compare, jre_verdicts, ours};
use support::json::{J, Rng};
use support::quirks::{QUIRK_CHECKS, QUIRK_VALUES};
use support::{adversarial, fleet};

const FIXED_SEEDS: [u64; 4] = [1, 2, 3, 0x5EED_CAFE_F00D];
const RANDOM_CHECKS: usize = 40;

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

/// N entities with the benchmark fleet's facts (a few absent, null or quirkily typed) plus the
/// adversarial facts; the benchmark's 30 checks plus 40 random ones (half of them one leaf).
fn random_workload(seed: u64, entities: usize) -> Workload {
    let mut rng = Rng::new(seed);
    let kinds = [
        "component:default",
        "component:default",
        "component:team-a",
        "api:default",
        "resource:default",
    ];
    let entities = (0..entities)
        .map(|i| {
            let mut facts = Vec::new();
            for (name, value) in fleet::facts(&mut rng) {
                match rng.below(100) {
                    0..=2 => continue,
                    3 | 4 => facts.push((name, J::Null)),
                    5..=7 => facts.push((name, adversarial::perturbed(&mut rng, &value))),
                    _ => facts.push((name, value)),
                }
            }
            facts.extend(adversarial::facts(&mut rng));
            if rng.chance(0.005) {
                // Next to no facts (`refList`/`refStr` stay: json-rules-engine throws without).
                facts.retain(|(name, _)| name.starts_with("ref"));
            }
            let kind = rng.pick(&kinds);
            (format!("{kind}/svc-{i:05}"), J::Obj(facts))
        })
        .collect();
    let mut checks = fleet::checks();
    for i in 0..RANDOM_CHECKS {
        let conditions = if i % 2 == 0 {
            adversarial::conditions(&mut rng)
        } else {
            adversarial::one_leaf(&mut rng)
        };
        checks.push((format!("random-{i:02}"), conditions));
    }
    Workload { entities, checks }
}

/// Writes the workload, runs both engines, compares. On failure the folder is kept.
fn run(label: &str, w: &Workload, ndjson: bool) -> Result<Report, String> {
    let dir = tempfile::Builder::new()
        .prefix("tech-health-diff-")
        .tempdir()
        .expect("tempdir");
    w.write(dir.path(), ndjson);
    let outcome = jre_verdicts(dir.path())
        .and_then(|jre| Ok((jre, ours(dir.path())?)))
        .map(|(jre, ours)| compare(w, &jre, &ours));
    let failed = !matches!(&outcome, Ok(r) if r.mismatches == 0);
    let keep = failed || std::env::var_os("TECH_HEALTH_DIFF_KEEP").is_some();
    let kept = if keep { Some(dir.keep()) } else { None };
    let where_ = |p: &Path| format!("{label}: workload kept in {}", p.display());
    match outcome {
        Err(e) => Err(format!(
            "{e}\n{}",
            kept.as_deref().map(where_).unwrap_or_default()
        )),
        Ok(r) if r.mismatches > 0 => Err(format!(
            "{label}: {}\n{}\nthe first ones:\n\n{}",
            r.summary(),
            kept.as_deref().map(where_).unwrap_or_default(),
            r.shown.join("\n\n")
        )),
        Ok(r) => {
            if let Some(p) = kept {
                eprintln!("{}", where_(&p));
            }
            Ok(r)
        }
    }
}

#[test]
fn random_workloads_agree_with_json_rules_engine() {
    let entities = env_number("TECH_HEALTH_DIFF_ENTITIES").unwrap_or(2000) as usize;
    let seeds: Vec<(u64, &str)> = match env_number("TECH_HEALTH_DIFF_SEED") {
        Some(seed) => vec![(seed, "from TECH_HEALTH_DIFF_SEED")],
        None => {
            let clock = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(42, |d| d.as_nanos() as u64);
            FIXED_SEEDS
                .iter()
                .map(|&s| (s, "fixed"))
                .chain([(clock, "from the clock")])
                .collect()
        }
    };
    let mut failures = Vec::new();
    for (seed, origin) in seeds {
        let label = format!("seed {seed} ({origin}; re-run with TECH_HEALTH_DIFF_SEED={seed})");
        eprintln!(
            "{label}: {entities} entities × {} checks",
            30 + RANDOM_CHECKS
        );
        let w = random_workload(seed, entities);
        match run(&label, &w, seed % 2 == 1) {
            Ok(r) => {
                eprintln!(
                    "  agree on all {} results: {} pass, {} fail, {} unknown",
                    r.pairs(),
                    r.expected_pass,
                    r.expected_fail,
                    r.expected_unknown
                );
                // The workload must exercise every outcome, or agreeing proves little.
                let share = |k: usize| k as f64 / r.pairs() as f64;
                assert!(
                    share(r.expected_pass) > 0.05
                        && share(r.expected_fail) > 0.05
                        && share(r.expected_unknown) > 0.02,
                    "{label}: the generated workload is lopsided: {r:?}"
                );
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Runs every check against every entity (both given as JSON text) through both engines.
fn corpus(label: &str, facts: &[String], checks: &[String]) {
    let parse = |text: &str| J::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let w = Workload {
        entities: facts
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("component:default/{label}-{i:02}"), parse(f)))
            .collect(),
        checks: checks
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("{label}-{i:02}"), parse(c)))
            .collect(),
    };
    if let Err(e) = run(label, &w, false) {
        panic!("\n{e}");
    }
}

#[test]
fn quirks_corpus_agrees_with_json_rules_engine() {
    let common = r#""list":["java","python"],"list2":["java","python"],"nested":[[1],[2]],"o":{"z":1,"a":{"b":[1,2],"id":3},"items":[{"id":[7]}],"10":"x","2":"y","id":1},"o2":{"z":{"id":1},"a":{"id":2},"2":{"id":3},"10":{"id":4}}"#;
    let facts: Vec<String> = QUIRK_VALUES
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let w = if i % 2 == 1 {
                format!(",\"w\":{v}")
            } else {
                String::new()
            };
            format!("{{\"v\":{v},{common}{w}}}")
        })
        .collect();
    let checks: Vec<String> = QUIRK_CHECKS.iter().map(|c| c.to_string()).collect();
    corpus("quirk", &facts, &checks);
}

/// JSONPath forms jsonpath-plus reads, each under several operators, on objects, arrays and
/// strings (a path on a non-object fact returns the fact itself).
#[test]
fn jsonpath_forms_agree_with_json_rules_engine() {
    use support::quirks::{PATH_FORMS, PATH_OPS, PATH_VALUES};
    let facts: Vec<String> = PATH_VALUES
        .iter()
        .map(|v| format!("{{\"t\":{v}}}"))
        .collect();
    let checks: Vec<String> = PATH_FORMS
        .iter()
        .flat_map(|p| {
            PATH_OPS
                .iter()
                .map(move |op| format!(r#"{{"all":[{{"fact":"t","path":{p:?},{op}}}]}}"#))
        })
        .collect();
    corpus("path", &facts, &checks);
}

/// Tech Insights checks load unchanged: jsonpath-plus reads a path without `$` (`a.b`) as `$.a.b`.
#[test]
fn a_path_without_dollar_agrees_with_json_rules_engine() {
    let facts = [
        r#"{"t":{"a":{"b":1}}}"#.to_string(),
        r#"{"t":{"a":2}}"#.to_string(),
    ];
    let checks =
        [r#"{"all":[{"fact":"t","path":"a.b","operator":"equal","value":1}]}"#.to_string()];
    corpus("nodollar", &facts, &checks);
}

/// The oracle itself: if these fail, the harness is not running json-rules-engine 7.3 as
/// Tech Insights does, and agreement with it would prove nothing.
#[test]
fn oracle_is_json_rules_engine_7() {
    let parse = |text: &str| J::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let cases: [(&str, &str, bool); 9] = [
        (r#"{"v":1}"#, r#"{"all":[]}"#, true),
        (r#"{"v":1}"#, r#"{"any":[]}"#, true),
        (
            r#"{"v":"10"}"#,
            r#"{"all":[{"fact":"v","operator":"greaterThan","value":5}]}"#,
            true,
        ),
        (
            r#"{"v":"10"}"#,
            r#"{"all":[{"fact":"v","operator":"greaterThan","value":"9"}]}"#,
            false,
        ),
        (
            r#"{"v":null}"#,
            r#"{"all":[{"fact":"v","operator":"lessThan","value":5}]}"#,
            false,
        ),
        (
            r#"{"v":"abc"}"#,
            r#"{"all":[{"fact":"v","operator":"contains","value":"a"}]}"#,
            false,
        ),
        (
            r#"{"v":1}"#,
            r#"{"all":[{"fact":"v","operator":"in","value":["1"]}]}"#,
            false,
        ),
        (
            r#"{"v":{"a":[1]}}"#,
            r#"{"all":[{"fact":"v","path":"$.a[*]","operator":"equal","value":1}]}"#,
            false,
        ),
        (
            r#"{}"#,
            r#"{"not":{"fact":"v","operator":"equal","value":1}}"#,
            true,
        ),
    ];
    let w = Workload {
        entities: cases
            .iter()
            .enumerate()
            .map(|(i, (f, _, _))| (format!("component:default/c{i}"), parse(f)))
            .collect(),
        checks: cases
            .iter()
            .enumerate()
            .map(|(i, (_, c, _))| (format!("check-{i}"), parse(c)))
            .collect(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    w.write(dir.path(), true);
    let verdicts = jre_verdicts(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    for (i, (facts, conditions, expected)) in cases.iter().enumerate() {
        let passed = verdicts[&format!("component:default/c{i}")].contains(&format!("check-{i}"));
        assert_eq!(
            passed, *expected,
            "json-rules-engine on {facts} with {conditions}"
        );
    }
}
