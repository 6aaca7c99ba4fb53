//! The benchmark's fleet, after `shared/bench/gen_workload.py`: the same 30 checks and the same
//! fact distribution (drawn from our PRNG, so not the same fleet as the Python one).

use super::json::{J, Rng, arr, int, n, obj, s};

fn round1(x: f64) -> J {
    // Python's round(x, 1) printed by json.dumps: always with a fraction (`50.0`).
    let r = (x * 10.0).round() / 10.0;
    n(format!("{r:.1}"))
}

/// One component's facts, in the order gen_workload.py writes them.
pub fn facts(rng: &mut Rng) -> Vec<(String, J)> {
    let java = *rng.pick(&["11.0.2", "17.0.4", "17.0.5", "17.0.9", "21.0.1", ""]);
    let b = |rng: &mut Rng, p: f64| J::Bool(rng.chance(p));
    let langs = ["java", "python", "go", "typescript", "scala", "rust"];
    let k = rng.range(1, 3) as usize;
    let fields: Vec<(&str, J)> = vec![
        ("hasOwner", b(rng, 0.95)),
        ("hasGroupOwner", b(rng, 0.85)),
        ("hasReadme", b(rng, 0.9)),
        ("hasCodeowners", b(rng, 0.7)),
        ("hasCiConfig", b(rng, 0.92)),
        ("ciGreenOnMain", b(rng, 0.8)),
        ("branchProtection", b(rng, 0.75)),
        ("testCoverage", round1(rng.unit() * 100.0)),
        ("unitTestCount", int(rng.range(0, 2000))),
        (
            "lifecycle",
            s(*rng.pick(&["production", "experimental", "deprecated"])),
        ),
        (
            "type",
            s(*rng.pick(&["service", "website", "library", "data-pipeline"])),
        ),
        (
            "languages",
            arr(rng.sample(&langs, k).into_iter().map(s).collect()),
        ),
        (
            "buildSystem",
            s(*rng.pick(&["maven", "gradle", "npm", "poetry", "bazel", "sbt"])),
        ),
        (
            "javaMajor",
            int(java
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0)),
        ),
        (
            "dockerBaseImage",
            s(*rng.pick(&[
                "golden/java17",
                "golden/python3.12",
                "ubuntu:18.04",
                "alpine:3.19",
                "golden/node20",
            ])),
        ),
        ("openCriticalVulns", int(*rng.pick(&[0, 0, 0, 0, 1, 2, 5]))),
        ("daysSinceLastCommit", int(rng.range(0, 900))),
        ("declarativeInfra", b(rng, 0.6)),
        ("deployFrequencyPerWeek", int(rng.range(0, 40))),
        ("canaryEnabled", b(rng, 0.5)),
        ("fleetOptOut", b(rng, 0.03)),
        (
            "techInHoldRing",
            int(if rng.chance(0.3) { rng.range(0, 3) } else { 0 }),
        ),
        ("apiDocs", b(rng, 0.6)),
        (
            "onCallRotation",
            s(*rng.pick(&["", "pagerduty:team-a", "pagerduty:team-b"])),
        ),
        ("sloDefined", b(rng, 0.5)),
    ];
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn leaf(fact: &str, op: &str, value: J) -> J {
    obj(vec![
        ("fact", s(fact)),
        ("operator", s(op)),
        ("value", value),
    ])
}

fn eq(fact: &str, value: J) -> J {
    leaf(fact, "equal", value)
}

fn all(items: Vec<J>) -> J {
    obj(vec![("all", arr(items))])
}

fn any(items: Vec<J>) -> J {
    obj(vec![("any", arr(items))])
}

fn strs(items: &[&str]) -> J {
    arr(items.iter().map(s).collect())
}

/// The 30 checks of gen_workload.py, as `(id, conditions)`.
pub fn checks() -> Vec<(String, J)> {
    let t = || J::Bool(true);
    let is_true = |f: &str| all(vec![eq(f, t())]);
    let list: Vec<(&str, J)> = vec![
        ("owner", is_true("hasOwner")),
        ("group-owner", is_true("hasGroupOwner")),
        ("readme", is_true("hasReadme")),
        ("codeowners", is_true("hasCodeowners")),
        ("ci-config", is_true("hasCiConfig")),
        (
            "ci-green",
            all(vec![eq("hasCiConfig", t()), eq("ciGreenOnMain", t())]),
        ),
        ("branch-protection", is_true("branchProtection")),
        (
            "coverage-50",
            all(vec![leaf("testCoverage", "greaterThanInclusive", int(50))]),
        ),
        (
            "coverage-80",
            all(vec![leaf("testCoverage", "greaterThanInclusive", int(80))]),
        ),
        (
            "has-tests",
            all(vec![leaf("unitTestCount", "greaterThan", int(0))]),
        ),
        (
            "production-lifecycle",
            any(vec![
                eq("lifecycle", s("production")),
                eq("lifecycle", s("experimental")),
            ]),
        ),
        (
            "golden-build",
            all(vec![leaf(
                "buildSystem",
                "in",
                strs(&["maven", "gradle", "npm", "poetry"]),
            )]),
        ),
        (
            "golden-base-image",
            all(vec![leaf(
                "dockerBaseImage",
                "in",
                strs(&["golden/java17", "golden/python3.12", "golden/node20"]),
            )]),
        ),
        (
            "java-17",
            any(vec![
                eq("javaMajor", int(0)),
                leaf("javaMajor", "greaterThanInclusive", int(17)),
            ]),
        ),
        (
            "no-critical-vulns",
            all(vec![eq("openCriticalVulns", int(0))]),
        ),
        (
            "recently-active",
            all(vec![leaf("daysSinceLastCommit", "lessThan", int(365))]),
        ),
        ("declarative-infra", is_true("declarativeInfra")),
        (
            "deploys-weekly",
            all(vec![leaf(
                "deployFrequencyPerWeek",
                "greaterThanInclusive",
                int(1),
            )]),
        ),
        ("canary", is_true("canaryEnabled")),
        ("no-hold-tech", all(vec![eq("techInHoldRing", int(0))])),
        (
            "api-docs",
            any(vec![
                eq("apiDocs", t()),
                leaf("type", "notEqual", s("service")),
            ]),
        ),
        (
            "on-call",
            all(vec![leaf("onCallRotation", "notEqual", s(""))]),
        ),
        ("slo", is_true("sloDefined")),
        (
            "no-scala",
            all(vec![leaf("languages", "doesNotContain", s("scala"))]),
        ),
        (
            "uses-java",
            all(vec![leaf("languages", "contains", s("java"))]),
        ),
        (
            "not-deprecated",
            all(vec![leaf("lifecycle", "notIn", strs(&["deprecated"]))]),
        ),
        (
            "fleet-ready",
            all(vec![
                eq("hasCiConfig", t()),
                eq("ciGreenOnMain", t()),
                leaf("unitTestCount", "greaterThan", int(10)),
                eq("declarativeInfra", t()),
                eq("fleetOptOut", J::Bool(false)),
                any(vec![eq("hasGroupOwner", t()), eq("hasCodeowners", t())]),
            ]),
        ),
        (
            "healthy-service",
            all(vec![
                eq("type", s("service")),
                obj(vec![(
                    "not",
                    leaf("openCriticalVulns", "greaterThan", int(0)),
                )]),
                leaf("testCoverage", "greaterThan", int(60)),
            ]),
        ),
        (
            "small-coverage-gap",
            any(vec![
                leaf("testCoverage", "greaterThan", int(70)),
                all(vec![
                    eq("type", s("library")),
                    leaf("testCoverage", "greaterThan", int(40)),
                ]),
            ]),
        ),
        (
            "gold",
            all(vec![
                eq("hasOwner", t()),
                eq("hasReadme", t()),
                eq("branchProtection", t()),
                eq("sloDefined", t()),
                eq("canaryEnabled", t()),
            ]),
        ),
    ];
    list.into_iter()
        .map(|(id, c)| (id.to_string(), c))
        .collect()
}
