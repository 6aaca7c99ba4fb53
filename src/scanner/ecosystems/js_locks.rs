//! The packages a JavaScript lockfile pins: `package-lock.json` (v1–v3), `yarn.lock` (Yarn 1
//! and Yarn 2+), `pnpm-lock.yaml` (v5–v9), `bun.lock` (Bun 1.1+).

use serde_json::Value;

/// One package a lockfile pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    /// Installed at the top of the tree, where a direct dependency sits (lockfiles that do not
    /// say are taken as flat).
    pub top_level: bool,
}

fn locked(name: &str, version: &str, top_level: bool) -> Locked {
    Locked {
        name: name.to_string(),
        version: version.to_string(),
        top_level,
    }
}

/// `package-lock.json`: the `packages` map of v2/v3 (`node_modules/a/node_modules/b`), else the
/// nested `dependencies` of v1.
pub fn package_lock(lock: &Value) -> Vec<Locked> {
    let mut out = Vec::new();
    if let Some(Value::Object(packages)) = lock.get("packages") {
        for (key, p) in packages {
            let Some(idx) = key.rfind("node_modules/") else {
                continue; // the root project or a workspace folder
            };
            if p.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&key[idx + "node_modules/".len()..]);
            if let Some(v) = p.get("version").and_then(Value::as_str) {
                out.push(locked(name, v, idx == 0));
            }
        }
        return out;
    }
    fn walk(deps: &Value, top: bool, out: &mut Vec<Locked>) {
        if let Value::Object(deps) = deps {
            for (name, d) in deps {
                if let Some(v) = d.get("version").and_then(Value::as_str) {
                    out.push(locked(name, v, top));
                }
                if let Some(nested) = d.get("dependencies") {
                    walk(nested, false, out);
                }
            }
        }
    }
    if let Some(deps) = lock.get("dependencies") {
        walk(deps, true, &mut out);
    }
    out
}

/// The package name of a Yarn spec (`lodash@^4.17.21`, `@types/node@npm:^20`,
/// `"@babel/core@^7.0.0"`), and the part after the `@`.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let spec = spec.trim().trim_matches('"');
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

/// Yarn 1's own format: entries start at column 0 (`lodash@^4.17.21, lodash@^4.17.4:`), their
/// fields are indented (`  version "4.17.21"`). `Err` holds the line of an entry without a
/// version.
pub fn yarn_classic(text: &str) -> Result<Vec<Locked>, usize> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            if let Some((_, at)) = current.take() {
                return Err(at);
            }
            let first = line.trim_end_matches(':').split(", ").next().unwrap_or("");
            current = split_spec(first).map(|(name, _)| (name.to_string(), i + 1));
            continue;
        }
        let field = line.trim();
        if let Some(v) = field.strip_prefix("version ")
            && line.starts_with("  ")
            && !line.starts_with("   ")
            && let Some((name, _)) = current.take()
        {
            out.push(locked(&name, v.trim().trim_matches('"'), true));
        }
    }
    match current {
        Some((_, at)) => Err(at),
        None => Ok(out),
    }
}

/// Yarn 2+ (`__metadata` plus entries `"lodash@npm:^4.17.21": {version, resolution}`);
/// workspaces and patched copies are left out.
pub fn yarn_berry(lock: &Value) -> Vec<Locked> {
    let Value::Object(entries) = lock else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, entry) in entries {
        if key == "__metadata" {
            continue;
        }
        let first = key.split(", ").next().unwrap_or(key);
        let Some((name, protocol)) = split_spec(first) else {
            continue;
        };
        if ["workspace:", "patch:", "link:", "portal:"]
            .iter()
            .any(|p| protocol.starts_with(p))
        {
            continue;
        }
        if let Some(v) = scalar(entry.get("version")) {
            out.push(locked(name, &v, true));
        }
    }
    out
}

/// `pnpm-lock.yaml`: the keys of `packages` — `/lodash/4.17.21` (v5),
/// `/lodash@4.17.21(peer@1)` (v6), `lodash@4.17.21` (v9).
pub fn pnpm_lock(lock: &Value) -> Vec<Locked> {
    let Some(Value::Object(packages)) = lock.get("packages") else {
        return Vec::new();
    };
    packages
        .keys()
        .filter_map(|key| {
            let key = key.trim_start_matches('/');
            let key = key.split('(').next().unwrap_or(key);
            let (name, version) = match key.rsplit_once('/') {
                // v5: the version is the last path segment, peers after `_`.
                Some((name, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                    (name, v.split('_').next().unwrap_or(v))
                }
                _ => split_spec(key)?,
            };
            version
                .starts_with(|c: char| c.is_ascii_digit())
                .then(|| locked(name, version, true))
        })
        .collect()
}

/// JSON with trailing commas (what `bun.lock` is) made plain JSON: a comma before `}` or `]`
/// outside a string is dropped.
pub fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = text[i + 1..].trim_start().chars().next();
            if matches!(next, Some('}' | ']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `bun.lock`: `packages` maps a key (the package name at the top of the tree, `parent/name`
/// for a nested copy) to `["name@version", …]`; workspace packages are left out.
pub fn bun_lock(lock: &Value) -> Vec<Locked> {
    let Some(Value::Object(packages)) = lock.get("packages") else {
        return Vec::new();
    };
    packages
        .iter()
        .filter_map(|(key, entry)| {
            let spec = entry.get(0)?.as_str()?;
            let (name, version) = split_spec(spec)?;
            version
                .starts_with(|c: char| c.is_ascii_digit())
                .then(|| locked(name, version, key == name))
        })
        .collect()
}

/// A YAML scalar that may have been read as a number (`version: 10`).
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bun_lock_with_trailing_commas() {
        let text = r#"{ "lockfileVersion": 1, "packages": {
            "playwright": ["playwright@1.45.1", "", {}, "sha512-x"],
            "web": ["web@workspace:packages/web"],
            "vite/esbuild": ["esbuild@0.21.5", "", {}, "sha512-y"],
        }, }"#;
        let lock: Value = serde_json::from_str(&without_trailing_commas(text)).unwrap();
        assert_eq!(
            bun_lock(&lock),
            vec![
                locked("playwright", "1.45.1", true),
                locked("esbuild", "0.21.5", false)
            ]
        );
        assert_eq!(
            without_trailing_commas(r#"{"a": "x,}", }"#),
            r#"{"a": "x,}" }"#
        );
    }

    #[test]
    fn package_lock_v3_marks_nested_copies() {
        let lock = json!({"lockfileVersion": 3, "packages": {
            "": {"name": "web"},
            "node_modules/lodash": {"version": "4.17.21"},
            "node_modules/a/node_modules/lodash": {"version": "3.10.1"},
            "packages/lib": {"version": "1.0.0"},
            "node_modules/lib": {"resolved": "packages/lib", "link": true}
        }});
        assert_eq!(
            package_lock(&lock),
            vec![
                locked("lodash", "4.17.21", true),
                locked("lodash", "3.10.1", false)
            ]
        );
    }

    #[test]
    fn yarn_classic_entries() {
        let text = "# yarn lockfile v1\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1.0\":\n  version \"7.24.0\"\n  dependencies:\n    debug \"^4.1.0\"\n\nlodash@^4.17.21:\n  version \"4.17.21\"\n";
        assert_eq!(
            yarn_classic(text).unwrap(),
            vec![
                locked("@babel/core", "7.24.0", true),
                locked("lodash", "4.17.21", true)
            ]
        );
        assert_eq!(yarn_classic("lodash@^4:\n  resolved \"x\"\n"), Err(1));
    }

    #[test]
    fn pnpm_keys_of_every_lockfile_version() {
        let lock = json!({"packages": {
            "/react-dom/18.2.0_react@18.2.0": {},
            "/@types/node@20.14.2": {},
            "lodash@4.17.21(supports-color@8.1.1)": {}
        }});
        let names: Vec<_> = pnpm_lock(&lock)
            .into_iter()
            .map(|l| format!("{}@{}", l.name, l.version))
            .collect();
        assert_eq!(
            names,
            vec!["react-dom@18.2.0", "@types/node@20.14.2", "lodash@4.17.21"]
        );
    }
}
