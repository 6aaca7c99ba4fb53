//! The scanner's accuracy on repositories laid out like real ones: for each fixture repository
//! under `tests/fixtures/layouts/` with a hand-written `tests/fixtures/expected/<name>.json`, the
//! scan is compared fact by fact with what the repository's files say, and the share of facts
//! it gets right must be at least 95%.
//!
//! An expected file holds:
//! - `facts`: fact name → value (`runtimes`: one fact per runtime; lists compare as sets,
//!   except `languages`, whose order is the ranking);
//! - `technologies`: radar id → version (or `null`);
//! - `dependencies`: entries found by `name` and `source`; every other field given must match
//!   (`"*"` matches any non-empty string); `absentDependencies`: entries that must not be there;
//! - `runtimeSources`: runtime → `"version source"` items, as a set;
//! - `runtimeDisagreements`: runtime → the versions that disagree (`{}`: none at all);
//! - `deployedImages`: the images the deployment files run, as a set;
//! - `languageStats` / `notLanguageStats`: languages that must (not) be counted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tech_health::scanner::{DirTree, scan};

/// The fewest right facts, in percent, the scanner must reach over all the fixtures.
const TARGET_PERCENT: f64 = 95.0;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// One fact compared: what it is, and whether the scan got it right.
struct Verdict {
    fact: String,
    right: bool,
    detail: String,
}

/// Compares the facts of one scanned repository with what its expected file says.
struct Comparison<'a> {
    facts: &'a Value,
    verdicts: Vec<Verdict>,
}

impl Comparison<'_> {
    fn record(&mut self, fact: String, right: bool, want: &Value, got: &Value) {
        self.verdicts.push(Verdict {
            fact,
            right,
            detail: format!("want {want}, got {got}"),
        });
    }

    fn fact(&mut self, name: &str, want: &Value) {
        if name == "runtimes" {
            for (runtime, version) in want.as_object().expect("runtimes is an object") {
                let got = &self.facts["runtimes"][runtime];
                self.record(format!("runtimes.{runtime}"), got == version, version, got);
            }
            return;
        }
        let got = &self.facts[name];
        let right = match (want, got) {
            (Value::Array(w), Value::Array(g)) if name != "languages" => set(w) == set(g),
            _ => want == got,
        };
        self.record(name.to_string(), right, want, got);
    }

    fn technologies(&mut self, want: &Value) {
        let empty = Vec::new();
        let got = self.facts["technologies"].as_array().unwrap_or(&empty);
        for (id, version) in want.as_object().expect("technologies is an object") {
            let found: Vec<&Value> = got
                .iter()
                .filter(|t| t["id"] == *id)
                .map(|t| t.get("version").unwrap_or(&Value::Null))
                .collect();
            let right = found.contains(&version);
            let got = Value::Array(found.into_iter().cloned().collect());
            self.record(format!("technology {id}"), right, version, &got);
        }
    }

    fn dependency(&mut self, want: &Value, present: bool) {
        let (name, source) = (&want["name"], &want["source"]);
        let found = self.facts["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["name"] == *name && d["source"] == *source);
        let fact = format!("dependency {} in {}", text(name), text(source));
        if !present {
            let got = found.cloned().unwrap_or(Value::Null);
            self.record(format!("no {fact}"), found.is_none(), &Value::Null, &got);
            return;
        }
        let right = found.is_some_and(|d| {
            want.as_object()
                .expect("a dependency is an object")
                .iter()
                .all(|(k, v)| match (v, &d[k]) {
                    (Value::String(s), Value::String(g)) if s == "*" => !g.is_empty(),
                    (v, g) => v == g,
                })
        });
        self.record(fact, right, want, found.unwrap_or(&Value::Null));
    }

    fn runtime_sources(&mut self, want: &Value) {
        for (runtime, items) in want.as_object().expect("runtimeSources is an object") {
            let got: Vec<Value> = self.facts["runtimeSources"][runtime]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| json!(format!("{} {}", text(&s["version"]), text(&s["source"]))))
                .collect();
            let want_items = items.as_array().expect("a list");
            let right = set(want_items) == set(&got);
            self.record(
                format!("runtimeSources.{runtime}"),
                right,
                items,
                &Value::Array(got),
            );
        }
    }

    fn disagreements(&mut self, want: &Value) {
        let got_list = self.facts["runtimeDisagreements"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let versions_of = |d: &Value| -> Vec<Value> {
            d["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| v["version"].clone())
                .collect()
        };
        let want = want.as_object().expect("runtimeDisagreements is an object");
        if want.is_empty() {
            let got = Value::Array(got_list.clone());
            let right = self.facts.get("runtimeDisagreements").is_some() && got_list.is_empty();
            self.record("runtimeDisagreements".into(), right, &json!([]), &got);
            return;
        }
        for (runtime, versions) in want {
            let got = got_list
                .iter()
                .find(|d| d["runtime"] == *runtime)
                .map(versions_of)
                .unwrap_or_default();
            let right = set(versions.as_array().expect("a list")) == set(&got);
            self.record(
                format!("runtimeDisagreements.{runtime}"),
                right,
                versions,
                &Value::Array(got),
            );
        }
    }

    fn deployed_images(&mut self, want: &Value) {
        let got: Vec<Value> = self.facts["deployedImages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["image"].clone())
            .collect();
        let right = set(want.as_array().expect("a list")) == set(&got);
        self.record("deployedImages".into(), right, want, &Value::Array(got));
    }

    fn language_stats(&mut self, want: &Value, present: bool) {
        let got: Vec<Value> = self.facts["languageStats"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| l["name"].clone())
            .collect();
        for language in want.as_array().expect("a list") {
            let right = got.contains(language) == present;
            let fact = format!(
                "languageStats {}{}",
                if present { "" } else { "without " },
                text(language)
            );
            self.record(fact, right, language, &Value::Array(got.clone()));
        }
    }
}

fn set(values: &[Value]) -> BTreeSet<String> {
    values.iter().map(Value::to_string).collect()
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// Scans one fixture repository and compares it with its expected file.
fn compare(name: &str, expected: &Value) -> Vec<Verdict> {
    let facts = scan(&DirTree::new(fixtures().join("layouts").join(name)), None).to_json();
    let mut c = Comparison {
        facts: &facts,
        verdicts: Vec::new(),
    };
    let section = |key: &str| expected.get(key).filter(|v| !v.is_null());
    if let Some(want) = section("facts").and_then(Value::as_object) {
        for (fact, value) in want {
            c.fact(fact, value);
        }
    }
    if let Some(want) = section("technologies") {
        c.technologies(want);
    }
    for d in section("dependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        c.dependency(d, true);
    }
    for d in section("absentDependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        c.dependency(d, false);
    }
    if let Some(want) = section("runtimeSources") {
        c.runtime_sources(want);
    }
    if let Some(want) = section("runtimeDisagreements") {
        c.disagreements(want);
    }
    if let Some(want) = section("deployedImages") {
        c.deployed_images(want);
    }
    if let Some(want) = section("languageStats") {
        c.language_stats(want, true);
    }
    if let Some(want) = section("notLanguageStats") {
        c.language_stats(want, false);
    }
    c.verdicts
}

#[test]
fn the_scanner_gets_at_least_95_percent_of_the_facts_of_real_layouts_right() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures().join("expected"))
        .expect("the expected facts exist")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".json").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let (mut right, mut total) = (0usize, 0usize);
    let mut report = String::new();
    for name in &names {
        let path = fixtures().join("expected").join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).expect("readable");
        let expected: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let verdicts = compare(name, &expected);
        let ok = verdicts.iter().filter(|v| v.right).count();
        report.push_str(&format!("{name}: {ok}/{}\n", verdicts.len()));
        for v in verdicts.iter().filter(|v| !v.right) {
            report.push_str(&format!("  wrong: {} — {}\n", v.fact, v.detail));
        }
        right += ok;
        total += verdicts.len();
    }
    let percent = right as f64 * 100.0 / total as f64;
    report.push_str(&format!("overall: {right}/{total} = {percent:.1}%\n"));
    println!("{report}");
    assert!(
        percent >= TARGET_PERCENT,
        "accuracy {percent:.1}% is below {TARGET_PERCENT}%:\n{report}"
    );
}
