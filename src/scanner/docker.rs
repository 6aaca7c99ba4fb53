//! Dockerfiles: the external base images of every stage (build arguments substituted, stages
//! built earlier in the same file left out), and the runtime versions their tags name.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::findings::{Findings, Runtime, rank};
use super::repo::Repo;
use super::versions::{java_release, leading_version};

/// A base image one stage of a Dockerfile starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// As written after substitution: `[registry/]repository[:tag][@digest]`.
    pub image: String,
    /// The Dockerfile, relative to the repository root.
    pub source: String,
}

/// Extensions of templates that render to a file (`Dockerfile.j2` is Jinja, not a Dockerfile).
pub const TEMPLATE_EXTENSIONS: [&str; 9] = [
    ".j2",
    ".jinja",
    ".jinja2",
    ".tmpl",
    ".tpl",
    ".template",
    ".erb",
    ".mustache",
    ".hbs",
];

/// Whether a file name is a Dockerfile's (a template of one is not).
pub fn is_dockerfile(name: &str) -> bool {
    (name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile"))
        && !TEMPLATE_EXTENSIONS.iter().any(|e| name.ends_with(e))
}

/// Folders whose Dockerfiles build test harnesses, not the component.
const TEST_FOLDERS: [&str; 9] = [
    "test",
    "tests",
    "e2e",
    "it",
    "integration-tests",
    "integration",
    "testing",
    "acceptance",
    "smoke",
];

/// Whether a Dockerfile builds a test harness (`test/e2e/Dockerfile`, `Dockerfile.test`): its
/// images are listed, but its runtimes are not the component's.
fn is_test_harness(path: &str) -> bool {
    let name = super::repo::file_name(path).to_ascii_lowercase();
    let named = ["test", "tests", "e2e", "ci", "it"]
        .iter()
        .any(|w| name == format!("dockerfile.{w}") || name == format!("{w}.dockerfile"));
    named
        || path
            .split('/')
            .rev()
            .skip(1)
            .any(|dir| TEST_FOLDERS.contains(&dir.to_ascii_lowercase().as_str()))
}

/// Reads every Dockerfile; records the runtime versions of their images in `out`.
pub fn read(repo: &Repo, out: &mut Findings) -> Vec<BaseImage> {
    let mut images = Vec::new();
    for path in repo.named(is_dockerfile) {
        let Some(text) = repo.text(path) else {
            continue;
        };
        let harness = is_test_harness(path);
        for found in base_images(&text) {
            match found {
                Ok(image) => {
                    if let Some((runtime, version)) = runtime_of(&image).filter(|_| !harness) {
                        out.runtime(runtime, Some(version), path, rank::IMAGE);
                    }
                    images.push(BaseImage {
                        image,
                        source: path.to_string(),
                    });
                }
                Err(message) => repo.warn(path, message),
            }
        }
    }
    images
}

/// Joins continued lines (`\` at the end) and drops comments and blank lines.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// The external image of each `FROM`, or why it cannot be told.
fn base_images(text: &str) -> Vec<Result<String, String>> {
    let mut args: HashMap<String, Option<String>> = HashMap::new();
    let mut stages: Vec<String> = Vec::new();
    let mut seen_from = false;
    let mut out = Vec::new();
    for line in instructions(text) {
        let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        match keyword.to_ascii_uppercase().as_str() {
            // Only arguments declared before the first FROM may be used in a FROM.
            "ARG" if !seen_from => {
                for decl in rest.split_whitespace() {
                    let (name, default) = match decl.split_once('=') {
                        Some((n, d)) => (n, Some(d.trim_matches('"').to_string())),
                        None => (decl, None),
                    };
                    args.insert(name.to_string(), default);
                }
            }
            "FROM" => {
                seen_from = true;
                let mut words = rest.split_whitespace().filter(|w| !w.starts_with("--"));
                let Some(raw) = words.next() else {
                    out.push(Err("a FROM without an image".to_string()));
                    continue;
                };
                let alias = match (words.next(), words.next()) {
                    (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                if raw.contains("{{") || raw.contains("{%") {
                    out.push(Err(format!(
                        "base image `{raw}` is a template placeholder, not an image"
                    )));
                    continue;
                }
                let image = substitute(raw, &args);
                match image {
                    Ok(image) => {
                        let internal = stages.contains(&image.to_ascii_lowercase());
                        if !internal && image != "scratch" {
                            out.push(Ok(image));
                        }
                    }
                    Err(name) => out.push(Err(format!(
                        "base image `{raw}`: build argument `{name}` has no default value"
                    ))),
                }
                stages.extend(alias);
            }
            _ => {}
        }
    }
    out
}

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
        .expect("a valid regular expression")
});

/// Replaces `$NAME`, `${NAME}` and `${NAME:-fallback}`; `Err` names an argument with no value.
fn substitute(text: &str, args: &HashMap<String, Option<String>>) -> Result<String, String> {
    let mut missing = None;
    let replaced = VARIABLE.replace_all(text, |c: &regex::Captures| {
        let name = c.get(1).or(c.get(3)).map(|m| m.as_str()).unwrap_or("");
        let value = args.get(name).cloned().flatten().filter(|v| !v.is_empty());
        match (value, c.get(2)) {
            (Some(v), _) => v,
            (None, Some(fallback)) => fallback.as_str().to_string(),
            (None, None) => {
                missing.get_or_insert_with(|| name.to_string());
                String::new()
            }
        }
    });
    match missing {
        Some(name) => Err(name),
        None => Ok(replaced.into_owned()),
    }
}

static NAMED_RELEASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[/-])(java|node|python)(\d+)(?:$|[-.])").expect("a valid regular expression")
});
static JDK_IN_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:jdk|jre|temurin-|corretto-|java)(\d+)").expect("a valid regular expression")
});

/// The runtime and its version an image is built on: `eclipse-temurin:21-jre` → Java 21,
/// `node:20.15-alpine` → Node 20.15, `registry/golden/python312:2024.11` → Python 3.12.
pub fn runtime_of(image: &str) -> Option<(Runtime, String)> {
    let image = image.split('@').next().unwrap_or(image);
    let (repository, tag) = match image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (image, ""),
    };
    let name = repository.rsplit('/').next().unwrap_or(repository);
    let from_tag = |r: Runtime| leading_version(tag).map(|v| (r, v));
    match name {
        "eclipse-temurin"
        | "openjdk"
        | "amazoncorretto"
        | "ibm-semeru-runtimes"
        | "sapmachine"
        | "zulu-openjdk"
        | "adoptopenjdk" => {
            let v = leading_version(tag)?;
            java_release(&v).map(|v| (Runtime::Java, v))
        }
        "maven" | "gradle" | "tomcat" | "jetty" => JDK_IN_TAG
            .captures(tag)
            .map(|c| (Runtime::Java, c[1].to_string())),
        "node" => from_tag(Runtime::Node),
        "python" => from_tag(Runtime::Python),
        "golang" => from_tag(Runtime::Go),
        "rust" => from_tag(Runtime::Rust),
        _ => {
            let c = NAMED_RELEASE.captures(name)?;
            let digits = &c[2];
            match &c[1] {
                "java" => Some((Runtime::Java, digits.to_string())),
                "node" => Some((Runtime::Node, digits.to_string())),
                // `python312` is 3.12
                _ if digits.len() > 1 => Some((
                    Runtime::Python,
                    format!("{}.{}", &digits[..1], &digits[1..]),
                )),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_args_and_platform_flags() {
        let text = "ARG JDK=21\nARG REGISTRY=registry.acme.example\n\
            FROM --platform=$BUILDPLATFORM maven:3.9-eclipse-temurin-${JDK} AS build\n\
            RUN mvn -B package \\\n  -DskipTests\n\
            FROM build AS test\n\
            FROM ${REGISTRY}/golden/java${JDK}:2024.11\nCOPY --from=build /app.jar /app.jar\n";
        let images: Vec<_> = base_images(text).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(
            images,
            vec![
                "maven:3.9-eclipse-temurin-21",
                "registry.acme.example/golden/java21:2024.11"
            ]
        );
    }

    #[test]
    fn templates_and_test_harnesses() {
        assert!(!is_dockerfile("Dockerfile.j2"));
        assert!(is_dockerfile("Dockerfile.prod"));
        assert!(is_test_harness("test/e2e/Dockerfile"));
        assert!(is_test_harness("Dockerfile.test"));
        assert!(!is_test_harness("services/api/Dockerfile"));
        let found = base_images("FROM {{ base_image }}:latest\n");
        assert!(found[0].as_ref().unwrap_err().contains("template"));
    }

    #[test]
    fn an_argument_without_default_is_reported() {
        let found = base_images("ARG BASE\nFROM ${BASE}\nFROM alpine:${V:-3.20}\n");
        assert!(found[0].as_ref().unwrap_err().contains("`BASE`"));
        assert_eq!(found[1].as_deref(), Ok("alpine:3.20"));
    }

    #[test]
    fn runtimes_from_images() {
        let cases = [
            (
                "eclipse-temurin:21.0.4_7-jre",
                Some((Runtime::Java, "21.0.4")),
            ),
            ("openjdk:8-jre", Some((Runtime::Java, "8"))),
            ("maven:3.9-eclipse-temurin-17", Some((Runtime::Java, "17"))),
            ("node:20-alpine", Some((Runtime::Node, "20"))),
            (
                "registry.acme.example/golden/python312:2024.11",
                Some((Runtime::Python, "3.12")),
            ),
            (
                "gcr.io/distroless/java21-debian12",
                Some((Runtime::Java, "21")),
            ),
            ("golang:1.22.5@sha256:abc", Some((Runtime::Go, "1.22.5"))),
            ("alpine:3.20", None),
            (
                "tomcat:9.0-jre17-temurin-jammy",
                Some((Runtime::Java, "17")),
            ),
        ];
        for (image, want) in cases {
            let got = runtime_of(image);
            assert_eq!(got.as_ref().map(|(r, v)| (*r, v.as_str())), want, "{image}");
        }
    }
}
