//! Node.js: `package.json` (dependencies, `engines.node`, `packageManager`), the lockfiles of
//! npm, Yarn, pnpm and Bun, and `.nvmrc` / `.node-version`.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::{Repo, parent_dir, under};
use super::super::versions::{leading_version, lower_bound};
use super::js_locks;

const DEPENDENCY_FIELDS: [&str; 3] = ["dependencies", "devDependencies", "optionalDependencies"];
const LOCKFILES: [&str; 5] = [
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
];

/// What one `package.json` declares.
struct Manifest {
    path: String,
    /// Name → the range as written.
    declared: BTreeMap<String, String>,
}

/// Reads the Node.js files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    let paths = repo.named(|n| n == "package.json");
    let manifests: Vec<Manifest> = paths
        .iter()
        .filter_map(|path| read_manifest(repo, path, out))
        .collect();
    let lockfiles = repo.named(|n| LOCKFILES.contains(&n));
    for lock in &lockfiles {
        let dir = parent_dir(lock);
        let direct: HashSet<&str> = manifests
            .iter()
            .filter(|m| under(&m.path, dir))
            .flat_map(|m| m.declared.keys().map(String::as_str))
            .collect();
        // Bun's older lockfile is binary: it says Bun, not what it pins.
        if lock.ends_with("bun.lockb") {
            out.tool("bun", None, lock);
            continue;
        }
        let Some(text) = repo.text(lock) else {
            continue;
        };
        let packages = match lock.rsplit('/').next() {
            Some("package-lock.json") => {
                out.tool("npm", None, lock);
                repo.json(lock, &text)
                    .map(|v| js_locks::package_lock(&v))
                    .unwrap_or_default()
            }
            Some("yarn.lock") => {
                out.tool("yarn", None, lock);
                yarn(repo, lock, &text)
            }
            Some("bun.lock") => {
                out.tool("bun", None, lock);
                repo.json(lock, &js_locks::without_trailing_commas(&text))
                    .map(|v| js_locks::bun_lock(&v))
                    .unwrap_or_default()
            }
            _ => {
                out.tool("pnpm", None, lock);
                repo.yaml(lock, &text)
                    .and_then(|docs| docs.into_iter().next())
                    .map(|v| js_locks::pnpm_lock(&v))
                    .unwrap_or_default()
            }
        };
        for p in packages {
            let is_direct = p.top_level && direct.contains(p.name.as_str());
            out.dependency("npm", p.name, Some(p.version), lock, is_direct);
        }
    }
    // Without a lockfile, only exact versions are known.
    for m in &manifests {
        if lockfiles.iter().any(|l| under(&m.path, parent_dir(l))) {
            continue;
        }
        for (name, range) in &m.declared {
            let exact = leading_version(range).filter(|v| v == range.trim_start_matches('v'));
            out.dependency("npm", name.clone(), exact, &m.path, true);
        }
    }
    // npm is what runs a package.json (even one that cannot be read) when nothing else is named.
    if lockfiles.is_empty()
        && !out.tools.iter().any(is_node_pm)
        && let Some(first) = paths.iter().min_by_key(|p| p.matches('/').count())
    {
        out.tool("npm", None, first);
    }
    for path in repo.named(|n| n == ".nvmrc" || n == ".node-version") {
        if let Some(text) = repo.text(path) {
            let version = text.lines().next().and_then(leading_version);
            out.runtime(Runtime::Node, version, path, rank::PIN);
        }
    }
}

fn is_node_pm(t: &super::super::findings::Tool) -> bool {
    matches!(t.id, "npm" | "yarn" | "pnpm" | "bun")
}

fn read_manifest(repo: &Repo, path: &str, out: &mut Findings) -> Option<Manifest> {
    let text = repo.text(path)?;
    let value = repo.json(path, &text)?;
    let Value::Object(obj) = &value else {
        repo.warn(path, "package.json is not a JSON object");
        return None;
    };
    let mut declared = BTreeMap::new();
    for field in DEPENDENCY_FIELDS {
        if let Some(Value::Object(deps)) = obj.get(field) {
            for (name, range) in deps {
                declared.insert(name.clone(), range.as_str().unwrap_or_default().to_string());
            }
        }
    }
    if let Some(range) = value.pointer("/engines/node").and_then(Value::as_str) {
        out.runtime(Runtime::Node, lower_bound(range), path, rank::RANGE);
    }
    if let Some(pm) = obj.get("packageManager").and_then(Value::as_str)
        && let Some((name, version)) = pm.split_once('@')
    {
        let id = match name {
            "npm" => "npm",
            "pnpm" => "pnpm",
            "yarn" => "yarn",
            "bun" => "bun",
            _ => "",
        };
        if !id.is_empty() {
            out.tool(id, leading_version(version), path);
        }
    }
    Some(Manifest {
        path: path.to_string(),
        declared,
    })
}

/// `yarn.lock`: Yarn 2+ (berry) writes YAML with a `__metadata` entry; Yarn 1 its own format.
fn yarn(repo: &Repo, path: &str, text: &str) -> Vec<js_locks::Locked> {
    if text.lines().any(|l| l.starts_with("__metadata:")) {
        repo.yaml(path, text)
            .and_then(|docs| docs.into_iter().next())
            .map(|v| js_locks::yarn_berry(&v))
            .unwrap_or_default()
    } else {
        js_locks::yarn_classic(text).unwrap_or_else(|line| {
            repo.warn(path, format!("line {line}: an entry without a version"));
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::tree::MemoryTree;

    #[test]
    fn a_package_json_without_lockfile_gives_exact_versions_only() {
        let tree: MemoryTree = [(
            "package.json",
            r#"{"dependencies": {"express": "4.19.2", "lodash": "^4.17.21"},
                "engines": {"node": ">=20.11"}, "packageManager": "pnpm@9.4.0+sha512.abc"}"#,
        )]
        .into_iter()
        .collect();
        let repo = Repo::new(&tree);
        let mut out = Findings::default();
        read(&repo, &mut out);
        let deps: Vec<_> = out
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.version.as_deref()))
            .collect();
        assert_eq!(deps, vec![("express", Some("4.19.2")), ("lodash", None)]);
        assert_eq!(out.runtimes[0].version, "20.11");
        assert_eq!(out.tools[0].id, "pnpm");
        assert_eq!(out.tools[0].version.as_deref(), Some("9.4.0"));
    }

    #[test]
    fn a_broken_package_json_is_a_warning() {
        let tree: MemoryTree = [("package.json", "{\"name\": \"x\",")]
            .into_iter()
            .collect();
        let repo = Repo::new(&tree);
        read(&repo, &mut Findings::default());
        let w = repo.into_warnings();
        assert_eq!(w.len(), 1);
        assert!(w[0].message.starts_with("not valid JSON"), "{w:?}");
    }
}
