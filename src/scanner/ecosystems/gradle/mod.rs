//! Gradle: build scripts (Groovy and Kotlin DSL), version catalogs
//! (`gradle/libs.versions.toml`), dependency lockfiles (`gradle.lockfile`) and the wrapper.

mod catalog;
mod script;

use super::super::findings::Findings;
use super::super::repo::Repo;
use super::maven::distribution_version;

fn is_build_script(name: &str) -> bool {
    matches!(
        name,
        "build.gradle" | "build.gradle.kts" | "settings.gradle" | "settings.gradle.kts"
    )
}

/// Reads Gradle's files into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    let scripts = repo.named(is_build_script);
    let mut declared = script::read_scripts(repo, &scripts, out);
    for path in repo.named(|n| n.ends_with(".versions.toml")) {
        if let Some(text) = repo.text(path)
            && let Some(table) = repo.toml(path, &text)
        {
            catalog::read_catalog(path, &table, out, &mut declared);
        }
    }
    for path in repo.named(|n| n.ends_with(".lockfile")) {
        if let Some(text) = repo.text(path) {
            catalog::read_lockfile(path, &text, &declared, out);
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
