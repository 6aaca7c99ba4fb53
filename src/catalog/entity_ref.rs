//! Entity references: `kind:namespace/name`, compared case-insensitively as Backstage does.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The namespace an entity is in when its descriptor names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A parsed, lower-cased entity reference. Displayed as `kind:namespace/name`.
///
/// Held as that text in one shared allocation: a fleet keeps every entity's ref in several
/// maps (catalog, facts, evaluations) and in other entities' relations, and a clone only
/// counts a reference. Ordered by kind, then namespace, then name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EntityRef {
    /// `kind:namespace/name`.
    text: Arc<str>,
    /// Where the kind ends (the `:`) and where the namespace ends (the `/`).
    kind_end: u32,
    namespace_end: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("entity reference is empty")]
    Empty,
    #[error("entity reference `{0}` has no kind, and this field has no default kind")]
    MissingKind(String),
    #[error("entity reference `{0}` is malformed: {1}")]
    Malformed(String, &'static str),
}

impl EntityRef {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        let mut text = String::with_capacity(kind.len() + namespace.len() + name.len() + 2);
        for (part, end) in [(kind, ":"), (namespace, "/"), (name, "")] {
            text.push_str(part);
            text.push_str(end);
        }
        text.make_ascii_lowercase();
        let len = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        EntityRef {
            text: Arc::from(text),
            kind_end: len(kind.len()),
            namespace_end: len(kind.len() + 1 + namespace.len()),
        }
    }

    /// The kind, lower-cased, e.g. `component`.
    pub fn kind(&self) -> &str {
        &self.text[..self.kind_end as usize]
    }

    /// The namespace, lower-cased, e.g. `default`.
    pub fn namespace(&self) -> &str {
        &self.text[self.kind_end as usize + 1..self.namespace_end as usize]
    }

    /// The name, lower-cased.
    pub fn name(&self) -> &str {
        &self.text[self.namespace_end as usize + 1..]
    }

    /// `kind:namespace/name`, as displayed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn parts(&self) -> (&str, &str, &str) {
        (self.kind(), self.namespace(), self.name())
    }

    /// Parses `[kind:][namespace/]name` the way Backstage's `parseEntityRef` does: a missing
    /// kind takes `default_kind` (an error when there is none), a missing namespace takes
    /// `default_namespace` (the referring entity's own namespace).
    pub fn parse(
        text: &str,
        default_kind: Option<&str>,
        default_namespace: &str,
    ) -> Result<Self, RefError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(RefError::Empty);
        }
        let (kind, rest) = match text.split_once(':') {
            Some((k, r)) => (Some(k), r),
            None => (None, text),
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, rest),
        };
        let bad = |why| RefError::Malformed(text.to_string(), why);
        if kind == Some("") {
            return Err(bad("the kind before `:` is empty"));
        }
        if namespace == Some("") {
            return Err(bad("the namespace before `/` is empty"));
        }
        if name.is_empty() {
            return Err(bad("the name is empty"));
        }
        if name.contains(':') || name.contains('/') {
            return Err(bad("the name holds `:` or `/`"));
        }
        // No name Backstage allows holds one, and Postgres cannot store a NUL.
        let control = |b: &u8| b.is_ascii_control() || *b >= 0x80;
        if text.as_bytes().iter().any(control) && text.chars().any(char::is_control) {
            return Err(bad("it holds a control character"));
        }
        let kind = kind
            .or(default_kind)
            .ok_or_else(|| RefError::MissingKind(text.to_string()))?;
        Ok(EntityRef::new(
            kind,
            namespace.unwrap_or(default_namespace),
            name,
        ))
    }
}

impl Ord for EntityRef {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl PartialOrd for EntityRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

/// A full reference needs its kind; the namespace defaults to `default`.
impl FromStr for EntityRef {
    type Err = RefError;
    fn from_str(s: &str) -> Result<Self, RefError> {
        EntityRef::parse(s, None, DEFAULT_NAMESPACE)
    }
}

impl Serialize for EntityRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_only_where_missing() {
        let r = EntityRef::parse("team-a", Some("group"), "payments").unwrap();
        assert_eq!(r.to_string(), "group:payments/team-a");
        let r = EntityRef::parse("user:Jane.Doe", Some("group"), "payments").unwrap();
        assert_eq!(r.to_string(), "user:payments/jane.doe");
        let r = EntityRef::parse("Component:Default/Artist-Lookup", None, "x").unwrap();
        assert_eq!(r.to_string(), "component:default/artist-lookup");
    }

    #[test]
    fn a_field_without_default_kind_needs_one() {
        assert_eq!(
            EntityRef::parse("db", None, "default"),
            Err(RefError::MissingKind("db".into()))
        );
        assert!(EntityRef::parse("a:b/c/d", None, "default").is_err());
        assert!("component:/x".parse::<EntityRef>().is_err());
    }

    #[test]
    fn parts_read_back_and_order_goes_kind_namespace_name() {
        let r = EntityRef::new("Component", "Payments", "Artist-Lookup");
        assert_eq!(
            (r.kind(), r.namespace(), r.name()),
            ("component", "payments", "artist-lookup")
        );
        // Compared as text, `api-x:` would sort before `api:`; by parts, `api` comes first.
        let mut refs = [
            EntityRef::new("api-x", "default", "a"),
            EntityRef::new("api", "default", "b"),
            EntityRef::new("api", "a", "z"),
        ];
        refs.sort();
        let shown: Vec<String> = refs.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["api:a/z", "api:default/b", "api-x:default/a"]);
    }
}
