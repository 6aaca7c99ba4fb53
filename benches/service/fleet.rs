//! A large fleet for the service benchmark: a group tree (one organisation root, departments,
//! teams) and N components spread over the teams, written as Backstage catalog files, plus
//! realistic facts for every component — the example fleet's repository facts, varied per
//! component — split into the items of `POST /api/v1/facts`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use tech_health::service::collectors::Collectors;
use tech_health::source::BundledFiles;

pub const ROOT: &str = "engineering";
const DEPARTMENTS: usize = 8;
const TEAMS_PER_DEPARTMENT: usize = 25;
const LIFECYCLES: [&str; 4] = ["production", "production", "experimental", "deprecated"];
const TYPES: [&str; 3] = ["service", "website", "library"];

pub struct BenchFleet {
    /// Where its files are.
    pub dir: PathBuf,
    /// The catalog files to pass to `serve --catalog`.
    pub catalog: Vec<PathBuf>,
    /// Component names, in generation order.
    pub components: Vec<String>,
    /// The owning team of each component (same order).
    pub owners: Vec<String>,
    /// The `ci` collector's facts of each component (same order), for the push benchmark.
    pub ci_facts: Vec<Map<String, Value>>,
    /// Every fact item of the fleet, as `POST /api/v1/facts` takes them.
    pub items: Vec<Value>,
}

pub fn department(d: usize) -> String {
    format!("dept-{d:02}")
}

pub fn team(d: usize, t: usize) -> String {
    format!("team-{d:02}-{t:02}")
}

/// Writes the catalog of `n` components into `dir` and builds their facts.
pub fn generate(dir: &Path, n: usize) -> Result<BenchFleet, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let org = dir.join("org.yaml");
    let components_file = dir.join("components.yaml");
    write(&org, &org_yaml())?;

    let templates = templates()?;
    let collectors = Collectors::load(&BundledFiles, Path::new("checks/collectors"))
        .map_err(|e| format!("bundled collector schemas: {e}"))?;
    let teams: Vec<String> = (0..DEPARTMENTS)
        .flat_map(|d| (0..TEAMS_PER_DEPARTMENT).map(move |t| team(d, t)))
        .collect();

    let mut yaml = String::with_capacity(n * 400);
    let mut fleet = BenchFleet {
        dir: dir.to_path_buf(),
        catalog: vec![org, components_file.clone()],
        components: Vec::with_capacity(n),
        owners: Vec::with_capacity(n),
        ci_facts: Vec::with_capacity(n),
        items: Vec::with_capacity(n * 4),
    };
    for i in 0..n {
        let name = format!("svc-{i:06}");
        let owner = &teams[mix(i as u64, 1) as usize % teams.len()];
        let lifecycle = LIFECYCLES[mix(i as u64, 2) as usize % LIFECYCLES.len()];
        let kind_of = TYPES[mix(i as u64, 3) as usize % TYPES.len()];
        let _ = write!(
            yaml,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n  \
             title: Service {i}\n  description: Generated component {i} of the benchmark fleet.\n  \
             tags: [bench]\n  annotations:\n    github.com/project-slug: acme/{name}\n\
             spec:\n  type: {kind_of}\n  lifecycle: {lifecycle}\n  owner: group:default/{owner}\n"
        );
        let facts = vary(
            &templates[mix(i as u64, 4) as usize % templates.len()],
            i as u64,
        );
        let entity = format!("component:default/{name}");
        let mut ci = Map::new();
        for (collector, facts) in collectors.split(&facts) {
            // The example fleet's repository facts are written by hand, not by the scanner, and
            // lack fields its schema requires (e.g. `dependencies`): they go in as `custom`.
            let collector = if collector == "scanner" {
                "custom".to_string()
            } else {
                collector
            };
            if collector == "ci" {
                ci = facts.clone();
            }
            fleet
                .items
                .push(json!({"entity": entity, "collector": collector, "facts": facts}));
        }
        fleet.components.push(name);
        fleet.owners.push(owner.clone());
        fleet.ci_facts.push(ci);
    }
    write(&components_file, &yaml)?;
    Ok(fleet)
}

fn org_yaml() -> String {
    let mut out = String::new();
    let depts: Vec<String> = (0..DEPARTMENTS).map(department).collect();
    let _ = write!(
        out,
        "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {ROOT}\n\
         spec:\n  type: organization\n  children: [{}]\n",
        depts.join(", ")
    );
    for d in 0..DEPARTMENTS {
        let teams: Vec<String> = (0..TEAMS_PER_DEPARTMENT).map(|t| team(d, t)).collect();
        let _ = write!(
            out,
            "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {}\n\
             spec:\n  type: department\n  parent: {ROOT}\n  children: [{}]\n",
            department(d),
            teams.join(", ")
        );
        for t in teams {
            let _ = write!(
                out,
                "---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {t}\n\
                 spec:\n  type: team\n  parent: {}\n  children: []\n",
                department(d)
            );
        }
    }
    out
}

/// The facts objects of the bundled example fleet.
fn templates() -> Result<Vec<Map<String, Value>>, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/facts.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let records: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let out: Vec<Map<String, Value>> = records
        .into_iter()
        .filter_map(|mut r| match r.get_mut("facts").map(Value::take) {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect();
    if out.is_empty() {
        return Err(format!("{}: no facts records", path.display()));
    }
    Ok(out)
}

/// A template varied per component, so the fleet is not 61 identical classes.
fn vary(template: &Map<String, Value>, i: u64) -> Map<String, Value> {
    let mut facts = template.clone();
    if facts.contains_key("testCoverage") {
        facts.insert(
            "testCoverage".into(),
            json!((mix(i, 5) % 1000) as f64 / 10.0),
        );
    }
    if facts.contains_key("ciGreenOnDefaultBranch") {
        facts.insert(
            "ciGreenOnDefaultBranch".into(),
            json!(!mix(i, 6).is_multiple_of(10)),
        );
    }
    if facts.contains_key("daysSinceLastCommit") {
        facts.insert("daysSinceLastCommit".into(), json!(mix(i, 7) % 400));
    }
    facts
}

/// A deterministic hash of (i, salt): the same N always gives the same fleet.
pub fn mix(i: u64, salt: u64) -> u64 {
    let mut x = i
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
