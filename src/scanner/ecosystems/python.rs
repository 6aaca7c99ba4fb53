//! Python: `pyproject.toml` (PEP 621 and Poetry), `poetry.lock`, `uv.lock`,
//! `requirements*.txt`, `.python-version` and `runtime.txt`.

use std::collections::{BTreeMap, HashSet};

use toml::{Table, Value};

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::{Repo, file_name, parent_dir};
use super::super::versions::{leading_version, lower_bound};

/// A package name as PyPI compares them (PEP 503): lower case, runs of `-_.` as one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A PEP 508 requirement (`fastapi[all]==0.111.0 ; python_version >= "3.11"`): its name and
/// the version when it is pinned with `==`.
pub fn requirement(line: &str) -> Option<(String, Option<String>)> {
    let line = line.split(';').next()?.trim();
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    let name = &line[..end];
    if name.is_empty() {
        return None;
    }
    let mut rest = line[end..].trim_start();
    if rest.starts_with('[') {
        rest = rest
            .split_once(']')
            .map(|(_, r)| r.trim_start())
            .unwrap_or("");
    }
    let rest = rest.trim_start_matches('(').trim_end_matches(')').trim();
    let pinned = rest
        .strip_prefix("==")
        .filter(|v| !v.contains([',', '*']))
        .map(|v| v.trim().to_string());
    Some((normalize(name), pinned))
}

fn is_requirements(name: &str) -> bool {
    name.ends_with(".txt") && name.starts_with("requirements")
}

/// Reads the Python files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    let locks = repo.named(|n| n == "poetry.lock" || n == "uv.lock");
    let mut declared: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for path in repo.named(|n| n == "pyproject.toml") {
        let Some(table) = repo.text(path).and_then(|t| repo.toml(path, &t)) else {
            continue;
        };
        let dir = parent_dir(path);
        let requirements = read_pyproject(path, &table, out);
        // Beside a lockfile, the lockfile's versions are the ones installed.
        let locked = locks.iter().any(|l| parent_dir(l) == dir);
        let names = declared.entry(dir.to_string()).or_default();
        for (name, version) in requirements {
            names.insert(name.clone());
            if !locked {
                out.dependency("pypi", name, version, path, true);
            }
        }
    }
    for path in locks {
        let Some(text) = repo.text(path) else {
            continue;
        };
        let poetry = file_name(path) == "poetry.lock";
        let generator = if poetry {
            text.lines()
                .next()
                .and_then(|l| l.split("by Poetry ").nth(1))
                .and_then(leading_version)
        } else {
            None
        };
        out.tool(if poetry { "poetry" } else { "uv" }, generator, path);
        let Some(table) = repo.toml(path, &text) else {
            continue;
        };
        if let Some(range) = table.get("requires-python").and_then(Value::as_str) {
            out.runtime(Runtime::Python, lower_bound(range), path, rank::RANGE);
        }
        let direct = declared.get(parent_dir(path));
        for p in table
            .get("package")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(version)) = (
                p.get("name").and_then(Value::as_str),
                p.get("version").and_then(Value::as_str),
            ) else {
                continue;
            };
            // uv lists the project itself, from its own folder.
            let source = p.get("source").and_then(Value::as_table);
            if source.is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual")) {
                continue;
            }
            let name = normalize(name);
            let is_direct = direct.is_some_and(|d| d.contains(&name));
            out.dependency("pypi", name, Some(version.to_string()), path, is_direct);
        }
    }
    for path in repo.named(is_requirements) {
        if let Some(text) = repo.text(path) {
            out.tool("pip", None, path);
            for line in text.lines() {
                let line = line.split(" #").next().unwrap_or(line).trim();
                if line.is_empty() || line.starts_with(['#', '-']) || line.contains("://") {
                    continue;
                }
                if let Some((name, version)) = requirement(line) {
                    out.dependency("pypi", name, version, path, true);
                }
            }
        }
    }
    for path in repo.named(|n| n == ".python-version" || n == "runtime.txt") {
        if let Some(text) = repo.text(path) {
            let first = text.lines().next().unwrap_or("").trim();
            let version = leading_version(first.trim_start_matches("python-"));
            out.runtime(Runtime::Python, version, path, rank::PIN);
        }
    }
}

/// Records the tools and Python version of a `pyproject.toml` and returns the packages it
/// declares, with their version when pinned.
fn read_pyproject(path: &str, table: &Table, out: &mut Findings) -> Vec<(String, Option<String>)> {
    let mut pinned: Vec<(String, Option<String>)> = Vec::new();
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let project = table.get("project");
    for req in strings(project.and_then(|p| p.get("dependencies"))) {
        pinned.extend(requirement(&req));
    }
    let optional = project.and_then(|p| p.get("optional-dependencies"));
    let groups = table.get("dependency-groups");
    for list in [optional, groups]
        .into_iter()
        .flatten()
        .filter_map(Value::as_table)
    {
        for reqs in list.values() {
            for req in strings(Some(reqs)) {
                pinned.extend(requirement(&req));
            }
        }
    }
    if let Some(range) = project
        .and_then(|p| p.get("requires-python"))
        .and_then(Value::as_str)
    {
        out.runtime(Runtime::Python, lower_bound(range), path, rank::RANGE);
    }
    let tool = table.get("tool");
    if let Some(poetry) = tool.and_then(|t| t.get("poetry")) {
        out.tool("poetry", None, path);
        let mut tables: Vec<&Value> = ["dependencies", "dev-dependencies"]
            .iter()
            .filter_map(|k| poetry.get(*k))
            .collect();
        let groups = poetry.get("group").and_then(Value::as_table);
        tables.extend(
            groups
                .into_iter()
                .flat_map(|g| g.values())
                .filter_map(|g| g.get("dependencies")),
        );
        for deps in tables.into_iter().filter_map(Value::as_table) {
            for (name, spec) in deps {
                let spec = spec
                    .as_str()
                    .or_else(|| spec.get("version").and_then(Value::as_str))
                    .unwrap_or("");
                if name == "python" {
                    out.runtime(Runtime::Python, lower_bound(spec), path, rank::RANGE);
                    continue;
                }
                let exact = leading_version(spec).filter(|v| v == spec.trim_start_matches("=="));
                pinned.push((normalize(name), exact));
            }
        }
    }
    if tool.and_then(|t| t.get("uv")).is_some() {
        out.tool("uv", None, path);
    }
    pinned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_lines() {
        assert_eq!(
            requirement("FastAPI[all]==0.111.0 ; python_version >= '3.11'"),
            Some(("fastapi".into(), Some("0.111.0".into())))
        );
        assert_eq!(
            requirement("requests>=2.31"),
            Some(("requests".into(), None))
        );
        assert_eq!(
            requirement("zope.interface == 6.4"),
            Some(("zope-interface".into(), Some("6.4".into())))
        );
        assert_eq!(requirement("==1.0"), None);
    }

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalize("Django_REST.framework"), "django-rest-framework");
    }
}
