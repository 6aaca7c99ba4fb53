//! Maven: `pom.xml` files with `${properties}`, a parent found in the repository (its
//! `relativePath`) and `dependencyManagement`; the Java release the compiler is set to; the
//! Maven version of the wrapper.

use std::collections::{HashMap, HashSet};

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::{Repo, file_name, parent_dir, resolve};
use super::super::versions::{java_release, leading_version};
use super::boms::{self, Bom, Managed};

/// A `<dependency>` (or `<parent>`) as written.
#[derive(Debug, Clone, Default)]
struct Coordinate {
    group: String,
    artifact: String,
    version: Option<String>,
    scope: Option<String>,
    /// `group:artifact` of each `<exclusion>`.
    exclusions: HashSet<String>,
}

impl Coordinate {
    fn key(&self) -> String {
        format!("{}:{}", self.group, self.artifact)
    }
}

/// The parts of a POM the scanner uses.
#[derive(Debug, Default)]
struct Pom {
    path: String,
    group: Option<String>,
    artifact: Option<String>,
    version: Option<String>,
    parent: Option<Coordinate>,
    /// `None`: Maven's default `../pom.xml`; `Some("")`: no local parent.
    parent_path: Option<String>,
    properties: HashMap<String, String>,
    managed: Vec<Coordinate>,
    dependencies: Vec<Coordinate>,
    /// `<release>` or `<source>` of the maven-compiler-plugin's configuration.
    compiler_release: Option<String>,
}

/// How deep a chain of local parents is followed (guards against cycles).
const MAX_PARENTS: usize = 8;
/// How many times `${…}` may expand inside one value.
const MAX_EXPANSIONS: usize = 16;

/// Reads every `pom.xml` and the Maven wrapper.
pub fn read(repo: &Repo, out: &mut Findings) {
    let mut poms: HashMap<String, Pom> = HashMap::new();
    let paths = repo.named(|n| n == "pom.xml");
    for path in &paths {
        let Some(text) = repo.text(path) else {
            continue;
        };
        match parse(path, &text) {
            Ok(pom) => {
                poms.insert(path.to_string(), pom);
            }
            Err(message) => repo.warn(path, message),
        }
    }
    let mut parsed: Vec<&String> = poms.keys().collect();
    parsed.sort();
    for path in parsed {
        resolve_pom(repo, &poms, &poms[path], out);
    }
    for path in repo.named(|n| n == "maven-wrapper.properties") {
        if let Some(text) = repo.text(path) {
            out.tool("maven", distribution_version(&text, "apache-maven"), path);
        }
    }
    // A POM that cannot be read still makes a Maven project.
    if !out.tools.iter().any(|t| t.id == "maven")
        && let Some(p) = paths.iter().min_by_key(|p| p.matches('/').count())
    {
        out.tool("maven", None, p);
    }
}

/// The version in a wrapper's `distributionUrl` (`…/apache-maven-3.9.6-bin.zip`,
/// `…/gradle-8.8-bin.zip`).
pub fn distribution_version(properties: &str, product: &str) -> Option<String> {
    let url = properties
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("distributionUrl"))?;
    let name = url.rsplit('/').next()?;
    let rest = name.strip_prefix(product)?.strip_prefix('-')?;
    leading_version(rest)
}

fn parse(path: &str, xml: &str) -> Result<Pom, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| format!("not valid XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "project" {
        return Err(format!(
            "the root element is <{}>, not <project>",
            root.tag_name().name()
        ));
    }
    let mut pom = Pom {
        path: path.to_string(),
        group: text_of(root, "groupId"),
        artifact: text_of(root, "artifactId"),
        version: text_of(root, "version"),
        ..Pom::default()
    };
    if let Some(parent) = child(root, "parent") {
        pom.parent = Some(coordinate(parent));
        pom.parent_path = child(parent, "relativePath").map(|n| text(n).unwrap_or_default());
    }
    if let Some(props) = child(root, "properties") {
        for p in props.children().filter(|n| n.is_element()) {
            pom.properties
                .insert(p.tag_name().name().to_string(), text(p).unwrap_or_default());
        }
    }
    if let Some(deps) = child(root, "dependencyManagement").and_then(|m| child(m, "dependencies")) {
        pom.managed = elements(deps, "dependency").map(coordinate).collect();
    }
    if let Some(deps) = child(root, "dependencies") {
        pom.dependencies = elements(deps, "dependency").map(coordinate).collect();
    }
    let plugins = child(root, "build").and_then(|b| child(b, "plugins"));
    for plugin in plugins.into_iter().flat_map(|p| elements(p, "plugin")) {
        if text_of(plugin, "artifactId").as_deref() == Some("maven-compiler-plugin")
            && let Some(conf) = child(plugin, "configuration")
        {
            pom.compiler_release = text_of(conf, "release").or_else(|| text_of(conf, "source"));
        }
    }
    Ok(pom)
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn text(node: roxmltree::Node) -> Option<String> {
    let t = node.text()?.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn text_of(node: roxmltree::Node, name: &str) -> Option<String> {
    child(node, name).and_then(text)
}

fn coordinate(node: roxmltree::Node) -> Coordinate {
    Coordinate {
        group: text_of(node, "groupId").unwrap_or_default(),
        artifact: text_of(node, "artifactId").unwrap_or_default(),
        version: text_of(node, "version"),
        scope: text_of(node, "scope"),
        exclusions: child(node, "exclusions")
            .into_iter()
            .flat_map(|e| elements(e, "exclusion"))
            .map(|e| {
                let g = text_of(e, "groupId").unwrap_or_default();
                let a = text_of(e, "artifactId").unwrap_or_default();
                format!("{g}:{a}")
            })
            .collect(),
    }
}

/// A POM with its chain of local parents, nearest first.
struct Chain<'a> {
    poms: Vec<&'a Pom>,
}

impl<'a> Chain<'a> {
    fn of(repo: &Repo, all: &'a HashMap<String, Pom>, pom: &'a Pom) -> Self {
        let mut poms = vec![pom];
        let mut current = pom;
        while poms.len() <= MAX_PARENTS {
            let Some(parent) = local_parent(all, current) else {
                break;
            };
            if poms.iter().any(|p| p.path == parent.path) {
                repo.warn(&pom.path, "the chain of parent POMs loops");
                break;
            }
            poms.push(parent);
            current = parent;
        }
        Chain { poms }
    }

    /// A property set in the repository's POMs, and the POM that sets it.
    fn own_property(&self, name: &str) -> Option<(String, String)> {
        self.poms
            .iter()
            .find_map(|p| p.properties.get(name).map(|v| (v.clone(), p.path.clone())))
    }

    /// A property as Maven sees it: the nearest POM's own, then the built-in `project.*`.
    fn property(&self, name: &str) -> Option<String> {
        if let Some((v, _)) = self.own_property(name) {
            return Some(v);
        }
        let me = self.poms[0];
        let parent = me.parent.as_ref();
        match name {
            "project.version" | "pom.version" | "version" => me
                .version
                .clone()
                .or_else(|| parent.and_then(|p| p.version.clone())),
            "project.groupId" | "pom.groupId" => {
                me.group.clone().or_else(|| parent.map(|p| p.group.clone()))
            }
            "project.artifactId" => me.artifact.clone(),
            "project.parent.version" => parent.and_then(|p| p.version.clone()),
            "project.parent.groupId" => parent.map(|p| p.group.clone()),
            _ => None,
        }
    }

    /// Replaces every `${name}`; `Err` names the first property that has no value.
    fn interpolate(&self, value: &str) -> Result<String, String> {
        let mut out = value.to_string();
        for _ in 0..MAX_EXPANSIONS {
            let Some(start) = out.find("${") else {
                return Ok(out);
            };
            let Some(len) = out[start..].find('}') else {
                return Ok(out);
            };
            let name = &out[start + 2..start + len];
            let value = self.property(name).ok_or_else(|| name.to_string())?;
            out.replace_range(start..=start + len, &value);
        }
        Err(value.to_string())
    }

    /// The entry of `dependencyManagement` of this POM or a local parent for `key`, and the
    /// POM that holds it.
    fn managed(&self, key: &str) -> Option<(&'a Coordinate, &'a str)> {
        self.poms.iter().find_map(|p| {
            p.managed
                .iter()
                .find(|c| c.key() == key && c.version.is_some())
                .map(|c| (c, p.path.as_str()))
        })
    }

    /// The parent POM from outside the repository at the top of the chain.
    fn external_parent(&self) -> Option<&'a Coordinate> {
        self.poms.last().and_then(|p| p.parent.as_ref())
    }
}

fn local_parent<'a>(all: &'a HashMap<String, Pom>, pom: &Pom) -> Option<&'a Pom> {
    let wanted = pom.parent.as_ref()?;
    let rel = pom.parent_path.as_deref().unwrap_or("../pom.xml");
    if rel.is_empty() {
        return None;
    }
    let mut target = resolve(parent_dir(&pom.path), rel)?;
    if file_name(&target) != "pom.xml" && !target.ends_with(".xml") {
        target = format!("{target}/pom.xml");
    }
    let target = target.trim_start_matches('/').to_string();
    all.get(&target)
        .filter(|p| p.artifact.as_deref() == Some(wanted.artifact.as_str()))
}

fn resolve_pom(repo: &Repo, all: &HashMap<String, Pom>, pom: &Pom, out: &mut Findings) {
    let chain = Chain::of(repo, all, pom);
    let version_of = |c: &Coordinate, what: &str| -> Option<String> {
        let raw = c.version.as_ref()?;
        match chain.interpolate(raw) {
            Ok(v) => Some(v),
            Err(name) => {
                repo.warn(
                    &pom.path,
                    format!("{what} {}: no value for property `${{{name}}}`", c.key()),
                );
                None
            }
        }
    };
    if let Some(parent) = &pom.parent
        && local_parent(all, pom).is_none()
    {
        let v = version_of(parent, "parent");
        out.dependency("maven", parent.key(), v, &pom.path, true);
    }
    for bom in pom
        .managed
        .iter()
        .filter(|c| c.scope.as_deref() == Some("import"))
    {
        let v = version_of(bom, "imported BOM");
        out.dependency("maven", bom.key(), v, &pom.path, true);
    }
    // The BOMs that manage what the repository does not: the parent from outside (its
    // dependencyManagement is inherited first), then the BOMs the chain imports.
    // (A version that cannot be told was warned about where it is written.)
    let quiet = |c: &Coordinate| c.version.as_deref().and_then(|v| chain.interpolate(v).ok());
    let mut boms: Vec<Bom> = Vec::new();
    if let Some(parent) = chain.external_parent() {
        boms.push(Bom::new(parent.key(), quiet(parent)));
    }
    for p in &chain.poms {
        for bom in p
            .managed
            .iter()
            .filter(|c| c.scope.as_deref() == Some("import"))
        {
            boms.push(Bom::new(bom.key(), quiet(bom)));
        }
    }
    let property = |name: &str| chain.own_property(name);
    let declared: HashSet<String> = pom.dependencies.iter().map(Coordinate::key).collect();
    let mut pulled: HashSet<String> = HashSet::new();
    for dep in &pom.dependencies {
        let key = dep.key();
        let mut written = None;
        let resolution = if dep.version.is_some() {
            written = version_of(dep, "dependency");
            out.dependency("maven", &key, written.clone(), &pom.path, true);
            None
        } else if let Some((m, file)) = chain.managed(&key) {
            let v = version_of(m, "managed dependency");
            Some(match v {
                Some(version) => Managed::Version {
                    version,
                    from: format!("dependencyManagement in {file}"),
                },
                None => Managed::Unknown(format!(
                    "the version in the dependencyManagement of {file} has a property without value"
                )),
            })
        } else {
            Some(boms::managed(&boms, &key, &property))
        };
        let version = match resolution {
            Some(r) => {
                let version = r.version().map(str::to_string);
                out.resolved_dependency("maven", &key, &pom.path, true, r);
                version
            }
            None => written,
        };
        let Some(version) = version else { continue };
        // What a managed artefact brings with it (a Spring Boot starter's libraries).
        let pulled_here = boms::pulled_versions(&boms, &key, &version, &dep.exclusions, &property);
        for (artifact, r) in pulled_here {
            if declared.contains(&artifact) || !pulled.insert(artifact.clone()) {
                continue;
            }
            // The repository's own dependencyManagement governs transitive versions too.
            let local = chain.managed(&artifact).and_then(|(m, file)| {
                let version = quiet(m)?;
                let from = format!("dependencyManagement in {file}");
                Some(Managed::Version { version, from })
            });
            let r = local.unwrap_or(r);
            out.resolved_dependency("maven", artifact, &pom.path, false, r);
        }
    }
    let java = [
        "maven.compiler.release",
        "java.version",
        "maven.compiler.source",
    ]
    .iter()
    .find_map(|name| chain.property(name))
    .or_else(|| pom.compiler_release.clone())
    .and_then(|v| chain.interpolate(&v).ok());
    out.runtime(
        Runtime::Java,
        java.as_deref().and_then(java_release),
        &pom.path,
        rank::BUILD,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::tree::MemoryTree;

    const PARENT: &str = r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId><artifactId>acme-parent</artifactId><version>1.4.0</version>
  <packaging>pom</packaging>
  <properties><log4j.version>2.14.1</log4j.version><java.version>17</java.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version></dependency>
  </dependencies></dependencyManagement>
</project>"#;

    const CHILD: &str = r#"<project>
  <parent><groupId>com.acme</groupId><artifactId>acme-parent</artifactId><version>1.4.0</version>
    <relativePath>../parent</relativePath></parent>
  <artifactId>svc</artifactId>
  <dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>client</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>x</groupId><artifactId>y</artifactId><version>${missing}</version></dependency>
  </dependencies>
</project>"#;

    #[test]
    fn managed_versions_and_properties_come_from_the_local_parent() {
        let tree: MemoryTree = [("parent/pom.xml", PARENT), ("svc/pom.xml", CHILD)]
            .into_iter()
            .collect();
        let repo = Repo::new(&tree);
        let mut out = Findings::default();
        read(&repo, &mut out);
        let svc: Vec<_> = out
            .dependencies
            .iter()
            .filter(|d| d.source == "svc/pom.xml")
            .map(|d| (d.name.as_str(), d.version.as_deref()))
            .collect();
        assert_eq!(
            svc,
            vec![
                ("org.apache.logging.log4j:log4j-core", Some("2.14.1")),
                ("com.acme:client", Some("1.4.0")),
                ("x:y", None),
            ]
        );
        let java: Vec<_> = out.runtimes.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(java, vec!["17", "17"]);
        let warnings = repo.into_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("${missing}"), "{warnings:?}");
    }

    #[test]
    fn wrapper_versions() {
        let props = "distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/3.9.6/apache-maven-3.9.6-bin.zip\n";
        assert_eq!(
            distribution_version(props, "apache-maven").as_deref(),
            Some("3.9.6")
        );
        let gradle =
            "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.8-bin.zip";
        assert_eq!(
            distribution_version(gradle, "gradle").as_deref(),
            Some("8.8")
        );
    }
}
