//! Gradle build scripts (Groovy and Kotlin DSL), read as text: toolchains, plugins, declared
//! dependencies in string and map notation with their variables (`ext`, `extra`, `val`,
//! `gradle.properties`) and closures, and the BOMs in effect (`platform(…)`, `mavenBom`, the
//! Spring Boot plugin with the dependency-management plugin).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::super::super::findings::{Findings, Runtime, rank};
use super::super::super::repo::Repo;
use super::super::super::versions::java_release;
use super::super::boms::{self, Bom};

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

/// Reads the build scripts at `scripts` into `out`; returns the dependencies they declare.
pub fn read_scripts(repo: &Repo, scripts: &[&str], out: &mut Findings) -> HashSet<String> {
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
    declared
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
                let v = r.version().map(str::to_string);
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
