//! Gradle: build scripts (Groovy and Kotlin DSL), version catalogs
//! (`gradle/libs.versions.toml`), dependency lockfiles (`gradle.lockfile`) and the wrapper.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use toml::Table;

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::Repo;
use super::super::versions::java_release;
use super::maven::distribution_version;

static TOOLCHAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        JavaLanguageVersion\.of\(\s*["']?(\d+)["']?\s*\)
        | jvmToolchain\(\s*(\d+)\s*\)
        | (?:source|target)Compatibility\s*=\s*(?:JavaVersion\.VERSION_(\d+(?:_\d+)?)|["']?(\d+(?:\.\d+)?)["']?)"#,
    )
    .expect("a valid regular expression")
});

/// `implementation("g:a:v")`, `testImplementation 'g:a:v'`, `api(platform("g:a:v"))`.
static DECLARED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^\s*(?:implementation|api|compileOnly|runtimeOnly|testImplementation|testRuntimeOnly|annotationProcessor|kapt|ksp|classpath)\s*\(?\s*(?:platform\(|enforcedPlatform\()?\s*["']([\w.\-]+):([\w.\-]+):([\w.\-]+)["']"#,
    )
    .expect("a valid regular expression")
});

/// `id("org.springframework.boot") version "3.3.2"`, `id 'x' version 'y'`, `kotlin("jvm") version "2.0.0"`.
static PLUGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^\s*(?:id\s*\(?\s*["']([\w.\-]+)["']\s*\)?|kotlin\s*\(\s*["']([\w.\-]+)["']\s*\))\s*version\s*["']([\w.\-]+)["']"#,
    )
    .expect("a valid regular expression")
});

fn is_build_script(name: &str) -> bool {
    matches!(
        name,
        "build.gradle" | "build.gradle.kts" | "settings.gradle" | "settings.gradle.kts"
    )
}

/// Reads Gradle's files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    let scripts = repo.named(is_build_script);
    let mut declared: HashSet<String> = HashSet::new();
    for path in &scripts {
        let Some(text) = repo.text(path) else {
            continue;
        };
        read_script(path, &text, out, &mut declared);
    }
    for path in repo.named(|n| n.ends_with(".versions.toml")) {
        if let Some(text) = repo.text(path)
            && let Some(table) = repo.toml(path, &text)
        {
            read_catalog(path, &table, out, &mut declared);
        }
    }
    for path in repo.named(|n| n.ends_with(".lockfile")) {
        if let Some(text) = repo.text(path) {
            read_lockfile(path, &text, &declared, out);
        }
    }
    let mut wrapper = false;
    for path in repo.named(|n| n == "gradle-wrapper.properties") {
        if let Some(text) = repo.text(path) {
            out.tool("gradle", distribution_version(&text, "gradle"), path);
            wrapper = true;
        }
    }
    if !wrapper && let Some(first) = scripts.iter().min_by_key(|p| p.matches('/').count()) {
        out.tool("gradle", None, first);
    }
}

fn read_script(path: &str, text: &str, out: &mut Findings, declared: &mut HashSet<String>) {
    for c in TOOLCHAIN.captures_iter(text) {
        let raw = (1..=4)
            .find_map(|i| c.get(i))
            .map(|m| m.as_str().replace('_', "."));
        out.runtime(
            Runtime::Java,
            raw.as_deref().and_then(java_release),
            path,
            rank::BUILD,
        );
    }
    for c in DECLARED.captures_iter(text) {
        let name = format!("{}:{}", &c[1], &c[2]);
        declared.insert(name.clone());
        out.dependency("maven", name, Some(c[3].to_string()), path, true);
    }
    for c in PLUGIN.captures_iter(text) {
        let id = match (c.get(1), c.get(2)) {
            (Some(id), _) => id.as_str().to_string(),
            (None, Some(short)) => format!("org.jetbrains.kotlin.{}", short.as_str()),
            _ => continue,
        };
        out.dependency("gradle-plugin", id, Some(c[3].to_string()), path, true);
    }
}

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

fn read_catalog(path: &str, table: &Table, out: &mut Findings, declared: &mut HashSet<String>) {
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

fn read_lockfile(path: &str, text: &str, declared: &HashSet<String>, out: &mut Findings) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchains_plugins_and_declared_dependencies() {
        let script = r#"
plugins {
    id("org.springframework.boot") version "3.3.2"
    kotlin("jvm") version "2.0.0"
}
java { toolchain { languageVersion = JavaLanguageVersion.of(21) } }
dependencies {
    implementation("com.fasterxml.jackson.core:jackson-databind:2.17.2")
    implementation(libs.spring.boot.starter.web)
}
"#;
        let mut out = Findings::default();
        let mut declared = HashSet::new();
        read_script("build.gradle.kts", script, &mut out, &mut declared);
        assert_eq!(out.runtimes[0].version, "21");
        let deps: Vec<_> = out
            .dependencies
            .iter()
            .map(|d| (d.ecosystem, d.name.as_str(), d.version.as_deref()))
            .collect();
        assert_eq!(
            deps,
            vec![
                (
                    "maven",
                    "com.fasterxml.jackson.core:jackson-databind",
                    Some("2.17.2")
                ),
                ("gradle-plugin", "org.springframework.boot", Some("3.3.2")),
                ("gradle-plugin", "org.jetbrains.kotlin.jvm", Some("2.0.0")),
            ]
        );
    }

    #[test]
    fn groovy_compatibility_settings() {
        let mut out = Findings::default();
        read_script(
            "build.gradle",
            "sourceCompatibility = JavaVersion.VERSION_1_8\n",
            &mut out,
            &mut HashSet::new(),
        );
        assert_eq!(out.runtimes[0].version, "8");
    }
}
