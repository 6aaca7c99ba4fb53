//! Gradle's version catalogs (`gradle/libs.versions.toml`) and dependency lockfiles
//! (`gradle.lockfile`).

use std::collections::HashSet;

use toml::Table;

use super::super::super::findings::Findings;

/// A version in a catalog: a string, `{ ref = "x" }` (what `version.ref = "x"` means), or
/// `{ strictly | require | prefer = … }`.
fn catalog_version(value: Option<&toml::Value>, versions: Option<&Table>) -> Option<String> {
    match value? {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Table(t) => {
            if let Some(r) = t.get("ref").and_then(|r| r.as_str()) {
                return catalog_version(versions?.get(r), None);
            }
            ["strictly", "require", "prefer"]
                .iter()
                .find_map(|k| t.get(*k).and_then(|v| v.as_str()).map(str::to_string))
        }
        _ => None,
    }
}

pub fn read_catalog(path: &str, table: &Table, out: &mut Findings, declared: &mut HashSet<String>) {
    let versions = table.get("versions").and_then(|v| v.as_table());
    let entries = |key: &str| {
        table
            .get(key)
            .and_then(|v| v.as_table())
            .into_iter()
            .flat_map(|t| t.values())
    };
    for lib in entries("libraries") {
        let (name, version) = match lib {
            toml::Value::String(s) => {
                let mut parts = s.splitn(3, ':');
                let (g, a, v) = (parts.next(), parts.next(), parts.next());
                match (g, a) {
                    (Some(g), Some(a)) => (format!("{g}:{a}"), v.map(str::to_string)),
                    _ => continue,
                }
            }
            toml::Value::Table(t) => {
                let module = t.get("module").and_then(|m| m.as_str()).map(str::to_string);
                let name = module.or_else(|| {
                    let g = t.get("group")?.as_str()?;
                    let a = t.get("name")?.as_str()?;
                    Some(format!("{g}:{a}"))
                });
                let Some(name) = name else { continue };
                (name, catalog_version(t.get("version"), versions))
            }
            _ => continue,
        };
        declared.insert(name.clone());
        out.dependency("maven", name, version, path, true);
    }
    for plugin in entries("plugins") {
        let (id, version) = match plugin {
            toml::Value::String(s) => match s.split_once(':') {
                Some((id, v)) => (id.to_string(), Some(v.to_string())),
                None => (s.clone(), None),
            },
            toml::Value::Table(t) => match t.get("id").and_then(|i| i.as_str()) {
                Some(id) => (id.to_string(), catalog_version(t.get("version"), versions)),
                None => continue,
            },
            _ => continue,
        };
        out.dependency("gradle-plugin", id, version, path, true);
    }
}

pub fn read_lockfile(path: &str, text: &str, declared: &HashSet<String>, out: &mut Findings) {
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coordinate = line.split('=').next().unwrap_or(line);
        let mut parts = coordinate.split(':');
        if let (Some(g), Some(a), Some(v)) = (parts.next(), parts.next(), parts.next()) {
            let name = format!("{g}:{a}");
            let direct = declared.contains(&name);
            out.dependency("maven", name, Some(v.to_string()), path, direct);
        }
    }
}
