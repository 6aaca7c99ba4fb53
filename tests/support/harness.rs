//! Runs one workload through json-rules-engine 7 and through `tech-health evaluate`, and compares
//! every entity × check: `unknown` exactly when a fact the check reads is absent, otherwise `pass`
//! exactly when json-rules-engine passed it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::jre;
use super::json::J;

/// A workload: the JSON both engines read, written byte for byte as given.
pub struct Workload {
    /// `(entity ref, facts object)`.
    pub entities: Vec<(String, J)>,
    /// `(check id, conditions)`.
    pub checks: Vec<(String, J)>,
}

impl Workload {
    pub fn facts_file(&self, ndjson: bool) -> String {
        let lines: Vec<String> = self
            .entities
            .iter()
            .map(|(e, f)| format!("{{\"entity\":{},\"facts\":{f}}}", Value::from(e.as_str())))
            .collect();
        if ndjson {
            lines.join("\n") + "\n"
        } else {
            format!("[\n{}\n]\n", lines.join(",\n"))
        }
    }

    pub fn checks_file(&self) -> String {
        let items: Vec<String> = self
            .checks
            .iter()
            .map(|(id, c)| check_json(id, c))
            .collect();
        format!("[\n{}\n]\n", items.join(",\n"))
    }

    pub fn write(&self, dir: &Path, ndjson: bool) {
        std::fs::write(dir.join("facts.json"), self.facts_file(ndjson)).expect("write facts.json");
        std::fs::write(dir.join("checks.json"), self.checks_file()).expect("write checks.json");
    }
}

fn check_json(id: &str, conditions: &J) -> String {
    let id = Value::from(id);
    format!(
        "{{\"id\":{id},\"name\":{id},\"type\":\"json-rules-engine\",\"factIds\":[\"differential\"],\
         \"rule\":{{\"conditions\":{conditions}}}}}"
    )
}

/// json-rules-engine's passed checks per entity, via `tests/jre/verdicts.mjs`.
pub fn jre_verdicts(dir: &Path) -> Result<HashMap<String, HashSet<String>>, String> {
    let jre_dir = jre::ensure_installed()?;
    let out = jre::node(&jre_dir, &jre::scripts_dir().join("verdicts.mjs"))
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "verdicts.mjs failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut verdicts = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line)
            .map_err(|e| format!("verdicts.mjs printed `{line}`: {e}"))?;
        let entity = v["entity"].as_str().unwrap_or_default().to_string();
        if let Some(err) = v.get("error") {
            return Err(format!(
                "json-rules-engine threw for {entity} (a generator bug): {err}"
            ));
        }
        let passed = v["passed"]
            .as_array()
            .ok_or(format!("no `passed` in `{line}`"))?;
        verdicts.insert(
            entity,
            passed
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
        );
    }
    Ok(verdicts)
}

/// `tech-health evaluate --format ndjson`: each entity's result per check.
pub fn ours(dir: &Path) -> Result<HashMap<String, HashMap<String, String>>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .args(["evaluate", "--format", "ndjson", "--facts"])
        .arg(dir.join("facts.json"))
        .arg("--checks")
        .arg(dir.join("checks.json"))
        .output()
        .map_err(|e| format!("cannot run tech-health: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tech-health evaluate failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut results = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("tech-health printed `{line}`: {e}"))?;
        let entity = v["entity"]
            .as_str()
            .ok_or(format!("no `entity` in `{line}`"))?
            .to_string();
        let map = v["results"]
            .as_object()
            .ok_or(format!("no `results` in `{line}`"))?;
        let map = map.iter().map(|(k, r)| {
            (
                k.clone(),
                r.as_str().unwrap_or("<not a string>").to_string(),
            )
        });
        if results.insert(entity.clone(), map.collect()).is_some() {
            return Err(format!("tech-health printed entity {entity} twice"));
        }
    }
    Ok(results)
}

/// The facts a condition tree reads, as json-rules-engine resolves them: every leaf's `fact`
/// and every value that is an object with a `fact` property.
pub fn facts_read(cond: &J, out: &mut BTreeSet<String>) {
    if let Some(J::Arr(items)) = cond.get("all").or_else(|| cond.get("any")) {
        items.iter().for_each(|c| facts_read(c, out));
    } else if let Some(c) = cond.get("not") {
        facts_read(c, out);
    } else {
        if let Some(J::Str(f)) = cond.get("fact") {
            out.insert(f.clone());
        }
        if let Some(J::Str(f)) = cond.get("value").and_then(|v| v.get("fact")) {
            out.insert(f.clone());
        }
    }
}

#[derive(Default, Debug)]
pub struct Report {
    pub expected_pass: usize,
    pub expected_fail: usize,
    pub expected_unknown: usize,
    pub mismatches: usize,
    /// Mismatches per check id.
    pub by_check: BTreeMap<String, usize>,
    /// The first mismatches (at most two per check), explained.
    pub shown: Vec<String>,
}

impl Report {
    pub fn pairs(&self) -> usize {
        self.expected_pass + self.expected_fail + self.expected_unknown
    }

    pub fn summary(&self) -> String {
        let per_check: Vec<String> = self
            .by_check
            .iter()
            .map(|(c, k)| format!("{c}: {k}"))
            .collect();
        format!(
            "{} of {} entity × check results differ from json-rules-engine 7 (per check: {})",
            self.mismatches,
            self.pairs(),
            per_check.join(", ")
        )
    }
}

pub fn compare(
    w: &Workload,
    jre: &HashMap<String, HashSet<String>>,
    ours: &HashMap<String, HashMap<String, String>>,
) -> Report {
    let mut report = Report::default();
    let checks: Vec<(&String, &J, BTreeSet<String>)> = w
        .checks
        .iter()
        .map(|(id, conditions)| {
            let mut reads = BTreeSet::new();
            facts_read(conditions, &mut reads);
            (id, conditions, reads)
        })
        .collect();
    if ours.len() != w.entities.len() {
        report.mismatches += 1;
        report.shown.push(format!(
            "tech-health printed {} entities, the facts file has {}",
            ours.len(),
            w.entities.len()
        ));
    }
    for (entity, facts) in &w.entities {
        let passed = jre.get(entity);
        let results = ours.get(entity);
        for (id, conditions, reads) in &checks {
            let absent = reads.iter().any(|f| facts.get(f).is_none());
            let expected = if absent {
                report.expected_unknown += 1;
                "unknown"
            } else if passed.is_some_and(|p| p.contains(id.as_str())) {
                report.expected_pass += 1;
                "pass"
            } else {
                report.expected_fail += 1;
                "fail"
            };
            let got = results
                .and_then(|r| r.get(id.as_str()))
                .map_or("<missing>", String::as_str);
            if got == expected && passed.is_some() {
                continue;
            }
            report.mismatches += 1;
            let seen = report.by_check.entry(id.to_string()).or_default();
            *seen += 1;
            if *seen <= 2 && report.shown.len() < 10 {
                let why = if absent {
                    "a fact it reads is absent"
                } else if passed.is_some() {
                    "json-rules-engine 7's verdict"
                } else {
                    "json-rules-engine printed no verdict for this entity"
                };
                let head = format!(
                    "{entity} × check `{id}`: tech-health says {got}, expected {expected} ({why})"
                );
                report
                    .shown
                    .push(explain(head, id, conditions, reads, facts));
            }
        }
    }
    report
}

fn explain(head: String, id: &str, conditions: &J, reads: &BTreeSet<String>, facts: &J) -> String {
    let mut text = head;
    let _ = write!(text, "\n  conditions: {conditions}");
    let mut read = Vec::new();
    for f in reads {
        match facts.get(f) {
            Some(v) => {
                let _ = write!(text, "\n  fact {f:?} = {v}");
                read.push((f.clone(), v.clone()));
            }
            None => {
                let _ = write!(text, "\n  fact {f:?} is absent");
            }
        }
    }
    let _ = write!(text, "\n  all facts: {facts}");
    let repro = Workload {
        entities: vec![("component:default/repro".into(), J::Obj(read))],
        checks: vec![(id.into(), conditions.clone())],
    };
    let _ = write!(
        text,
        "\n  repro facts.json: {}",
        repro.facts_file(true).trim()
    );
    let _ = write!(
        text,
        "\n  repro checks.json: {}",
        repro.checks_file().replace('\n', "")
    );
    text
}
