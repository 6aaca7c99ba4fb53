//! Gradle: build scripts (Groovy and Kotlin DSL), version catalogs
//! (`gradle/libs.versions.toml`), dependency lockfiles (`gradle.lockfile`) and the wrapper.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use toml::Table;

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::Repo;
use super::super::versions::java_release;
use super::boms::{self, Bom, Managed};
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

/// The configurations a dependency is declared in.
const CONFIGURATIONS: &str = "(?:implementation|api|compileOnly|runtimeOnly|testImplementation|testRuntimeOnly|testCompileOnly|annotationProcessor|kapt|ksp|classpath|developmentOnly|testFixturesImplementation|testFixturesApi|integrationTestImplementation|compile|testCompile|runtime|providedCompile|providedRuntime)";

/// `implementation("g:a:v")`, `testImplementation 'g:a'`, `api(platform("g:a:v"))`.
static DECLARED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &r#"(?m)^\s*CONF\s*\(?\s*(?:(platform|enforcedPlatform)\s*\(\s*)?["']((?:\$\{[^}\n]*\}|[^"'\n])+)["']"#
        .replace("CONF", CONFIGURATIONS),
    )
    .expect("a valid regular expression")
});

/// `implementation group: 'g', name: 'a', version: v` and Kotlin's
/// `implementation(group = "g", name = "a", version = "v")`.
static MAP_NOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &r#"(?m)^\s*CONF\s*\(?\s*group\s*[:=]\s*["']([^"'\n]+)["']\s*,\s*name\s*[:=]\s*["']([^"'\n]+)["'](?:\s*,\s*version\s*[:=]\s*(?:["']((?:\$\{[^}\n]*\}|[^"'\n])*)["']|([\w.]+)))?"#
        .replace("CONF", CONFIGURATIONS),
    )
    .expect("a valid regular expression")
});

/// `exclude group: 'g', module: 'a'` inside a dependency's closure.
static EXCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"exclude\s*\(?\s*group\s*[:=]\s*["']([^"']+)["']\s*,\s*module\s*[:=]\s*["']([^"']+)["']"#,
    )
    .expect("a valid regular expression")
});

/// Variables a build script sets: `ext { x = '1' }`, `ext.x = '1'`, `ext['x.version'] = '1'`,
/// `set('x', '1')`, `def x = '1'`, Kotlin's `val x = "1"`, `extra["x"] = "1"`,
/// `val x by extra("1")`.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?mx)
        ^\s*(?:(?:project|rootProject)\.)?(?:ext|extra)\s*\[\s*["']([\w.\-]+)["']\s*\]\s*=\s*["']([^"'\n$]*)["']
        | \bset\(\s*["']([\w.\-]+)["']\s*,\s*["']([^"'\n$]*)["']\s*\)
        | \bval\s+(\w+)\s+by\s+extra\(\s*"([^"\n$]*)"\s*\)
        | ^\s*(?:(?:project\.)?ext\.|def\s+|val\s+|var\s+)?([A-Za-z_]\w*)\s*(?::\s*String\s*)?=\s*["']([^"'\n$]*)["']\s*$"#,
    )
    .expect("a valid regular expression")
});

/// A variable inside a string: `$x`, `${x}`, `${property("x")}`, `${project.ext.x}`,
/// `${rootProject.extra["x"]}`, `${findProperty("x")}`.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\$\{\s*(?:(?:project|rootProject)\.)?(?:(?:ext|extra|properties)\.|(?:ext|extra|properties)\[\s*["']|(?:findProperty|property)\(\s*["'])?([\w.\-]+)["']?\s*[\])]?\s*(?:as\s+String\s*)?\}|\$([A-Za-z_]\w*)"#,
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

/// `mavenBom "g:a:v"` in the dependency-management plugin's `imports`.
static MAVEN_BOM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"mavenBom\s*\(?\s*["']([^"'\n]+)["']"#).expect("a valid regular expression")
});

const BOOT_PLUGIN: &str = "org.springframework.boot";
const DEPENDENCY_MANAGEMENT_PLUGIN: &str = "io.spring.dependency-management";

fn is_build_script(name: &str) -> bool {
    matches!(
        name,
        "build.gradle" | "build.gradle.kts" | "settings.gradle" | "settings.gradle.kts"
    )
}

/// Whether a script applies a plugin (in `plugins {}` without `apply false`, or with
/// `apply plugin:`).
fn applies(text: &str, plugin: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        let quoted = l.contains(&format!("\"{plugin}\"")) || l.contains(&format!("'{plugin}'"));
        quoted
            && (l.starts_with("id")
                || l.starts_with("apply plugin")
                || l.starts_with("apply(plugin"))
            && !l.contains("apply false")
    })
}

/// The variables of every build script and `gradle.properties`.
struct Variables {
    /// (file, name, value), scripts first.
    all: Vec<(String, String, String)>,
    root: Option<String>,
}

impl Variables {
    /// A variable as `script` sees it: its own, the root project's, then any other script's,
    /// then `gradle.properties`; with the file that sets it.
    fn get(&self, name: &str, script: &str) -> Option<(String, String)> {
        let find = |pred: &dyn Fn(&str) -> bool| {
            self.all
                .iter()
                .find(|(f, n, _)| n == name && pred(f))
                .map(|(f, _, v)| (v.clone(), f.clone()))
        };
        find(&|f| f == script)
            .or_else(|| find(&|f| Some(f) == self.root.as_deref()))
            .or_else(|| find(&|f| !f.ends_with("gradle.properties")))
            .or_else(|| find(&|_| true))
    }

    /// Substitutes the variables in a string; `Err` names the first that has no value.
    fn interpolate(&self, text: &str, script: &str) -> Result<String, String> {
        let mut missing = None;
        let out = REFERENCE.replace_all(text, |c: &regex::Captures| {
            let name = c.get(1).or(c.get(2)).map(|m| m.as_str()).unwrap_or("");
            match self.get(name, script) {
                Some((v, _)) => v,
                None => {
                    missing.get_or_insert_with(|| name.to_string());
                    String::new()
                }
            }
        });
        match missing {
            Some(name) => Err(name),
            None => Ok(out.into_owned()),
        }
    }
}

/// Reads Gradle's files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    let scripts = repo.named(is_build_script);
    let texts: Vec<(&str, String)> = scripts
        .iter()
        .filter_map(|p| repo.text(p).map(|t| (*p, t)))
        .collect();
    let mut all = Vec::new();
    for (path, text) in &texts {
        for c in ASSIGNMENT.captures_iter(text) {
            let pair = [(1, 2), (3, 4), (5, 6), (7, 8)]
                .iter()
                .find_map(|&(n, v)| Some((c.get(n)?.as_str(), c.get(v)?.as_str())));
            if let Some((name, value)) = pair {
                all.push((path.to_string(), name.to_string(), value.to_string()));
            }
        }
    }
    for path in repo.named(|n| n == "gradle.properties") {
        if let Some(text) = repo.text(path) {
            for line in text.lines().map(str::trim) {
                if let Some((k, v)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
                    all.push((path.to_string(), k.trim().to_string(), v.trim().to_string()));
                }
            }
        }
    }
    let root = texts
        .iter()
        .map(|(p, _)| *p)
        .find(|p| *p == "build.gradle" || *p == "build.gradle.kts")
        .map(str::to_string);
    let vars = Variables { all, root };
    let root_text = texts
        .iter()
        .find(|(p, _)| Some(*p) == vars.root.as_deref())
        .map(|(_, t)| t.as_str())
        .unwrap_or("");
    // The Spring Boot plugin's version, wherever it is declared: it is the BOM's.
    let boot_version = texts.iter().find_map(|(path, text)| {
        PLUGIN
            .captures_iter(text)
            .find(|c| c.get(1).is_some_and(|m| m.as_str() == BOOT_PLUGIN))
            .map(|c| c[3].to_string())
            .or_else(|| {
                DECLARED
                    .captures_iter(text)
                    .find(|c| {
                        c[2].starts_with("org.springframework.boot:spring-boot-gradle-plugin:")
                    })
                    .and_then(|c| vars.interpolate(&c[2], path).ok())
                    .and_then(|coordinate| coordinate.rsplit(':').next().map(str::to_string))
            })
    });
    let context = Context {
        vars: &vars,
        boot_version,
        root_dependency_management: root_text
            .contains(&format!("apply plugin: '{DEPENDENCY_MANAGEMENT_PLUGIN}'"))
            || root_text.contains(&format!("apply plugin: \"{DEPENDENCY_MANAGEMENT_PLUGIN}\"")),
        root_boms: MAVEN_BOM
            .captures_iter(root_text)
            .filter_map(|c| {
                vars.interpolate(&c[1], vars.root.as_deref().unwrap_or(""))
                    .ok()
            })
            .collect(),
    };
    let mut declared: HashSet<String> = HashSet::new();
    for (path, text) in &texts {
        read_script(repo, path, text, &context, out, &mut declared);
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

/// What every script may draw on.
struct Context<'a> {
    vars: &'a Variables,
    boot_version: Option<String>,
    /// The root script applies the dependency-management plugin to every project.
    root_dependency_management: bool,
    /// `mavenBom` imports of the root script.
    root_boms: Vec<String>,
}

/// One declared dependency: its coordinate as written (variables substituted), whether it is a
/// platform, and the exclusions of its closure.
struct Declared {
    group: String,
    artifact: String,
    version: Option<String>,
    platform: bool,
    exclusions: HashSet<String>,
}

/// The exclusions in the closure that follows a declaration (`{ exclude group: …, module: … }`).
fn closure_exclusions(rest: &str) -> HashSet<String> {
    let rest = rest.trim_start_matches(['"', '\'', ')', ' ', '\t']);
    let Some(body) = rest.strip_prefix('{') else {
        return HashSet::new();
    };
    let mut depth = 1;
    let end = body
        .char_indices()
        .find(|&(_, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            depth == 0
        })
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    EXCLUDE
        .captures_iter(&body[..end])
        .map(|c| format!("{}:{}", &c[1], &c[2]))
        .collect()
}

fn read_script(
    repo: &Repo,
    path: &str,
    text: &str,
    context: &Context,
    out: &mut Findings,
    declared_names: &mut HashSet<String>,
) {
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
    let vars = context.vars;
    let substitute = |raw: &str, what: &str| match vars.interpolate(raw, path) {
        Ok(v) => Some(v),
        Err(name) => {
            repo.warn(path, format!("{what} `{raw}`: no value for `{name}`"));
            None
        }
    };
    let mut declared: Vec<(usize, Declared)> = Vec::new();
    for c in DECLARED.captures_iter(text) {
        let Some(coordinate) = substitute(&c[2], "dependency") else {
            continue;
        };
        let coordinate = coordinate.split('@').next().unwrap_or(&coordinate);
        let mut parts = coordinate.split(':');
        let (Some(group), Some(artifact)) = (parts.next(), parts.next()) else {
            continue;
        };
        let whole = c.get(0).map_or(0..0, |m| m.range());
        declared.push((
            whole.start,
            Declared {
                group: group.to_string(),
                artifact: artifact.to_string(),
                version: parts.next().map(str::to_string),
                platform: c.get(1).is_some(),
                exclusions: closure_exclusions(&text[whole.end..]),
            },
        ));
    }
    for c in MAP_NOTATION.captures_iter(text) {
        let version = match (c.get(3), c.get(4)) {
            (Some(quoted), _) => substitute(quoted.as_str(), "dependency version"),
            (None, Some(variable)) => match vars.get(variable.as_str(), path) {
                Some((v, _)) => Some(v),
                None => {
                    repo.warn(
                        path,
                        format!("dependency version: no value for `{}`", variable.as_str()),
                    );
                    None
                }
            },
            _ => None,
        };
        let whole = c.get(0).map_or(0..0, |m| m.range());
        declared.push((
            whole.start,
            Declared {
                group: c[1].to_string(),
                artifact: c[2].to_string(),
                version,
                platform: false,
                exclusions: closure_exclusions(&text[whole.end..]),
            },
        ));
    }
    declared.sort_by_key(|(at, _)| *at);
    let declared: Vec<Declared> = declared.into_iter().map(|(_, d)| d).collect();

    // The BOMs in effect: the platforms the script declares, the `mavenBom` imports, and
    // Spring Boot's when its plugin and the dependency-management plugin are applied.
    let dependency_management =
        context.root_dependency_management || applies(text, DEPENDENCY_MANAGEMENT_PLUGIN);
    let mut boms: Vec<Bom> = declared
        .iter()
        .filter(|d| d.platform)
        .map(|d| Bom::new(format!("{}:{}", d.group, d.artifact), d.version.clone()))
        .collect();
    if dependency_management {
        let imports = MAVEN_BOM
            .captures_iter(text)
            .filter_map(|c| substitute(&c[1], "mavenBom"))
            .chain(context.root_boms.iter().cloned());
        for coordinate in imports {
            let mut parts = coordinate.split(':');
            if let (Some(g), Some(a)) = (parts.next(), parts.next()) {
                boms.push(Bom::new(
                    format!("{g}:{a}"),
                    parts.next().map(str::to_string),
                ));
            }
        }
        if applies(text, BOOT_PLUGIN) {
            boms.push(Bom::new(
                "org.springframework.boot:spring-boot-dependencies",
                context.boot_version.clone(),
            ));
        }
    }
    // The dependency-management plugin lets `ext['log4j2.version']` override a BOM's property.
    let property = |name: &str| {
        if dependency_management {
            vars.get(name, path)
        } else {
            None
        }
    };
    let names: HashSet<String> = declared
        .iter()
        .map(|d| format!("{}:{}", d.group, d.artifact))
        .collect();
    let mut pulled: HashSet<String> = HashSet::new();
    for d in &declared {
        let name = format!("{}:{}", d.group, d.artifact);
        declared_names.insert(name.clone());
        let version = match &d.version {
            Some(v) => {
                out.dependency("maven", &name, Some(v.clone()), path, true);
                Some(v.clone())
            }
            None => {
                let r = boms::managed(&boms, &name, &property);
                let v = match &r {
                    Managed::Version { version, .. } => Some(version.clone()),
                    Managed::Unknown(_) => None,
                };
                out.resolved_dependency("maven", &name, path, true, r);
                v
            }
        };
        let Some(version) = version else { continue };
        let pulled_here = boms::pulled_versions(&boms, &name, &version, &d.exclusions, &property);
        for (artifact, r) in pulled_here {
            if names.contains(&artifact) || !pulled.insert(artifact.clone()) {
                continue;
            }
            out.resolved_dependency("maven", artifact, path, false, r);
        }
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
    use crate::scanner::tree::MemoryTree;

    fn read_files(files: &[(&str, &str)]) -> Findings {
        let tree: MemoryTree = files.iter().copied().collect();
        let repo = Repo::new(&tree);
        let mut out = Findings::default();
        read(&repo, &mut out);
        assert!(repo.into_warnings().is_empty());
        out
    }

    fn deps(out: &Findings) -> Vec<(&str, &str, Option<&str>)> {
        out.dependencies
            .iter()
            .map(|d| (d.ecosystem, d.name.as_str(), d.version.as_deref()))
            .collect()
    }

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
        let out = read_files(&[("build.gradle.kts", script)]);
        assert_eq!(out.runtimes[0].version, "21");
        assert_eq!(
            deps(&out),
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
        let out = read_files(&[(
            "build.gradle",
            "sourceCompatibility = JavaVersion.VERSION_1_8\n",
        )]);
        assert_eq!(out.runtimes[0].version, "8");
    }

    #[test]
    fn map_notation_ext_variables_and_the_boot_bom() {
        let root = r#"
plugins {
    id 'org.springframework.boot' version '2.7.18' apply false
}
ext {
    guavaVersion = '33.2.1-jre'
}
ext['snakeyaml.version'] = '2.0'
"#;
        let app = r#"
plugins {
    id 'org.springframework.boot'
    id 'io.spring.dependency-management'
}
dependencies {
    implementation group: 'com.google.guava', name: 'guava', version: guavaVersion
    implementation("org.springframework.boot:spring-boot-starter-web") {
        exclude group: 'org.springframework.boot', module: 'spring-boot-starter-logging'
    }
    implementation 'org.yaml:snakeyaml'
    implementation "org.apache.commons:commons-lang3:${commonsVersion}"
}
"#;
        let out = read_files(&[
            ("build.gradle", root),
            ("app/build.gradle", app),
            ("gradle.properties", "commonsVersion=3.14.0\n"),
        ]);
        let of = |name: &str| {
            out.dependencies
                .iter()
                .find(|d| d.name == name && d.source == "app/build.gradle")
                .unwrap_or_else(|| panic!("{name} in {:#?}", out.dependencies))
        };
        assert_eq!(
            of("com.google.guava:guava").version.as_deref(),
            Some("33.2.1-jre")
        );
        assert_eq!(
            of("org.apache.commons:commons-lang3").version.as_deref(),
            Some("3.14.0")
        );
        let web = of("org.springframework.boot:spring-boot-starter-web");
        assert_eq!(web.version.as_deref(), Some("2.7.18"));
        let yaml = of("org.yaml:snakeyaml");
        assert_eq!(
            (yaml.version.as_deref(), yaml.resolved_from.as_deref()),
            (
                Some("2.0"),
                Some("property snakeyaml.version in build.gradle")
            )
        );
        let tomcat = of("org.apache.tomcat.embed:tomcat-embed-core");
        assert_eq!(
            (tomcat.version.as_deref(), tomcat.direct),
            (Some("9.0.83"), false)
        );
        // The closure excludes the logging starter, and with it Logback.
        assert!(
            !out.dependencies
                .iter()
                .any(|d| d.name == "ch.qos.logback:logback-classic")
        );
    }
}
