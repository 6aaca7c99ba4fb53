//! Entity references: `kind:namespace/name`, compared case-insensitively as Backstage does.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The namespace an entity is in when its descriptor names none.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A parsed, lower-cased entity reference. Displayed as `kind:namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
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
        EntityRef {
            kind: kind.to_ascii_lowercase(),
            namespace: namespace.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
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

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind, self.namespace, self.name)
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
        s.collect_str(self)
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
}
