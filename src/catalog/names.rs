//! Backstage's format rules for the envelope: entity names, namespaces, kinds, API versions,
//! label and annotation keys, label values and tags (catalog-model's default validators).

/// `metadata.name`: 1–63 letters, digits, `-`, `_` or `.`, starting and ending alphanumeric.
pub fn is_entity_name(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            b.len() <= 63
                && first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// `metadata.namespace` (an RFC 1123 DNS label): lower-case letters and digits in runs
/// joined by single `-`, at most 63 characters.
pub fn is_namespace(s: &str) -> bool {
    s.len() <= 63
        && s.split('-').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// A DNS subdomain: dot-separated DNS labels, at most 253 characters.
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_namespace)
}

/// `kind`: a letter, then letters and digits, at most 63 characters.
pub fn is_kind(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.len() <= 63
        && b.iter().all(u8::is_ascii_alphanumeric)
}

/// `suffix` or `prefix/suffix`, each part checked on its own; more than one `/` fails.
fn prefix_and_or_suffix(s: &str, prefix: fn(&str) -> bool, suffix: fn(&str) -> bool) -> bool {
    match s.split_once('/') {
        None => suffix(s),
        Some((p, rest)) => !rest.contains('/') && prefix(p) && suffix(rest),
    }
}

/// `apiVersion`: `[dns-subdomain/]version`, e.g. `backstage.io/v1alpha1`.
pub fn is_api_version(s: &str) -> bool {
    prefix_and_or_suffix(s, is_dns_subdomain, |v| {
        !v.is_empty() && v.len() <= 63 && v.bytes().all(|c| c.is_ascii_alphanumeric())
    })
}

/// A label or annotation key: `[dns-subdomain/]name`, e.g. `backstage.io/techdocs-ref`.
pub fn is_metadata_key(s: &str) -> bool {
    prefix_and_or_suffix(s, is_dns_subdomain, is_entity_name)
}

/// A label value: empty, or shaped like an entity name.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_entity_name(s)
}

/// A tag: runs of lower-case letters, digits, `:`, `+` or `#`, joined by single `-`, at most
/// 63 characters.
pub fn is_tag(s: &str) -> bool {
    s.len() <= 63
        && s.split('-').all(|run| {
            !run.is_empty()
                && run.bytes().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b':' | b'+' | b'#')
                })
        })
}

/// Whether `s` holds a template placeholder (`${{ values.x }}`, `{{ cookiecutter.x }}`,
/// `{% … %}`): such files are skeletons that a scaffolder fills in, not catalog entities.
pub fn has_placeholder(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_backstage() {
        for ok in [
            "a",
            "artist-lookup",
            "1upSampleData",
            "my_service.v2",
            &"x".repeat(63),
        ] {
            assert!(is_entity_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a b",
            "${{ values.name }}",
            "a/b",
            &"x".repeat(64),
        ] {
            assert!(!is_entity_name(bad), "{bad}");
        }
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert!(is_namespace("default"));
        assert!(is_namespace("quality-community"));
        assert!(!is_namespace("Default"));
        assert!(!is_namespace("a--b"));
        assert!(!is_namespace("-a"));
        assert!(!is_namespace(""));
    }

    #[test]
    fn kinds_and_api_versions() {
        assert!(is_kind("Component") && is_kind("API") && is_kind("Kafka2"));
        assert!(!is_kind("2Fast") && !is_kind("my-kind") && !is_kind(""));
        assert!(is_api_version("backstage.io/v1alpha1"));
        assert!(is_api_version("scaffolder.backstage.io/v1beta3"));
        assert!(is_api_version("v1"));
        assert!(!is_api_version("backstage.io/v1/alpha"));
        assert!(!is_api_version("Backstage.io/v1alpha1"));
        assert!(!is_api_version("backstage.io/"));
    }

    #[test]
    fn metadata_keys_values_and_tags() {
        assert!(is_metadata_key("backstage.io/techdocs-ref"));
        assert!(is_metadata_key("jira/project-key"));
        assert!(is_metadata_key("license"));
        assert!(!is_metadata_key("a/b/c"));
        assert!(!is_metadata_key("Example.com/x"));
        assert!(is_label_value("") && is_label_value("Apache-2.0"));
        assert!(!is_label_value("two words"));
        assert!(is_tag("java") && is_tag("c++") && is_tag("c#") && is_tag("team:payments"));
        assert!(!is_tag("Java") && !is_tag("web_component") && !is_tag("a--b") && !is_tag(""));
    }
}
