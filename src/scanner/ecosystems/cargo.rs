//! Rust: `Cargo.toml`, `Cargo.lock`, `rust-toolchain.toml` and `rust-toolchain`.

use std::collections::HashSet;

use toml::{Table, Value};

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::{Repo, file_name, parent_dir, under};
use super::super::versions::leading_version;

const DEPENDENCY_TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

/// Reads the Cargo files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    let manifests = repo.named(|n| n == "Cargo.toml");
    let locks = repo.named(|n| n == "Cargo.lock");
    let mut declared: Vec<(String, HashSet<String>)> = Vec::new();
    let tables: Vec<(&str, Table)> = manifests
        .iter()
        .filter_map(|path| Some((*path, repo.text(path).and_then(|t| repo.toml(path, &t))?)))
        .collect();
    // The minimum supported Rust version a workspace sets for its members.
    let workspace_msrv: Vec<(&str, String)> = tables
        .iter()
        .filter_map(|(path, t)| {
            let v = t
                .get("workspace")?
                .get("package")?
                .get("rust-version")?
                .as_str()?;
            Some((parent_dir(path), v.to_string()))
        })
        .collect();
    for (path, table) in &tables {
        let path = *path;
        out.tool("cargo", None, path);
        let dir = parent_dir(path);
        let msrv = match table.get("package").and_then(|p| p.get("rust-version")) {
            Some(Value::String(v)) => Some(v.clone()),
            // `rust-version.workspace = true`
            Some(Value::Table(t)) if t.get("workspace") == Some(&Value::Boolean(true)) => {
                workspace_msrv
                    .iter()
                    .filter(|(root, _)| under(dir, root))
                    .max_by_key(|(root, _)| root.len())
                    .map(|(_, v)| v.clone())
            }
            _ => None,
        }
        .or_else(|| {
            workspace_msrv
                .iter()
                .find(|(root, _)| *root == dir)
                .map(|(_, v)| v.clone())
        });
        out.runtime(
            Runtime::Rust,
            msrv.as_deref().and_then(leading_version),
            path,
            rank::RANGE,
        );
        let names = declared_names(table);
        if !locks.iter().any(|l| under(dir, parent_dir(l))) {
            for name in &names {
                out.dependency("cargo", name.clone(), None, path, true);
            }
        }
        declared.push((dir.to_string(), names));
    }
    for path in &locks {
        let Some(table) = repo.text(path).and_then(|t| repo.toml(path, &t)) else {
            continue;
        };
        let dir = parent_dir(path);
        let direct: HashSet<&String> = declared
            .iter()
            .filter(|(d, _)| under(d, dir))
            .flat_map(|(_, names)| names)
            .collect();
        for p in table
            .get("package")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // Packages without a source are the workspace's own crates.
            if p.get("source").is_none() {
                continue;
            }
            if let (Some(name), Some(version)) = (
                p.get("name").and_then(Value::as_str),
                p.get("version").and_then(Value::as_str),
            ) {
                let is_direct = direct.contains(&name.to_string());
                out.dependency("cargo", name, Some(version.to_string()), path, is_direct);
            }
        }
    }
    for path in repo.named(|n| n == "rust-toolchain.toml" || n == "rust-toolchain") {
        let Some(text) = repo.text(path) else {
            continue;
        };
        // The file without extension may hold TOML too, or just the channel.
        let channel = if file_name(path) == "rust-toolchain.toml" || text.contains('[') {
            repo.toml(path, &text).and_then(|t| {
                t.get("toolchain")?
                    .get("channel")?
                    .as_str()
                    .map(str::to_string)
            })
        } else {
            text.lines().next().map(|l| l.trim().to_string())
        };
        out.runtime(
            Runtime::Rust,
            channel.as_deref().and_then(leading_version),
            path,
            rank::PIN,
        );
    }
}

/// The crates a manifest depends on, in every dependency table (also per target and the
/// workspace's shared table).
fn declared_names(table: &Table) -> HashSet<String> {
    let mut tables: Vec<&Value> = DEPENDENCY_TABLES
        .iter()
        .filter_map(|k| table.get(*k))
        .collect();
    if let Some(ws) = table.get("workspace").and_then(|w| w.get("dependencies")) {
        tables.push(ws);
    }
    for target in table
        .get("target")
        .and_then(Value::as_table)
        .into_iter()
        .flat_map(|t| t.values())
    {
        tables.extend(DEPENDENCY_TABLES.iter().filter_map(|k| target.get(*k)));
    }
    tables
        .into_iter()
        .filter_map(Value::as_table)
        .flat_map(|t| {
            t.iter().map(|(key, spec)| {
                // `alias = { package = "real-name", … }`
                spec.get("package")
                    .and_then(Value::as_str)
                    .unwrap_or(key)
                    .to_string()
            })
        })
        .collect()
}
