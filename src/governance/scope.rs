//! A campaign's scope: which scored entities it is about.

use async_graphql::SimpleObject;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::FieldError;
use crate::catalog::{Catalog, Entity, EntityRef};

/// Every given field must match (case-insensitive); an empty scope is the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, SimpleObject)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[graphql(name = "CampaignScope")]
pub struct Scope {
    /// A group in the catalog: entities it owns, directly or through the groups below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = r"^\s*(?:[^:/\s]+:)?(?:[^:/\s]+/)?[^:/\s]+\s*$")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    #[graphql(name = "type")]
    pub entity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    /// Entities carrying every one of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A scope resolved against one catalog.
pub struct ScopeMatcher<'a> {
    scope: &'a Scope,
    owners: Option<FxHashSet<EntityRef>>,
}

impl Scope {
    /// The owner group as a ref, when the scope names one.
    fn owner_ref(&self) -> Option<Result<EntityRef, String>> {
        self.owner
            .as_deref()
            .map(|o| EntityRef::parse(o, Some("group"), "default").map_err(|e| e.to_string()))
    }

    pub fn validate(&self, catalog: &Catalog, errors: &mut Vec<FieldError>) {
        match self.owner_ref() {
            Some(Ok(g)) if catalog.get(&g).is_none() => errors.push(FieldError::new(
                "/scope/owner",
                format!("{g} is not in the catalog"),
            )),
            Some(Err(e)) => errors.push(FieldError::new("/scope/owner", e)),
            _ => {}
        }
    }

    pub fn matcher<'a>(&'a self, catalog: &Catalog) -> ScopeMatcher<'a> {
        let owners = self.owner_ref().map(|g| match g {
            Ok(g) => {
                let mut set: FxHashSet<EntityRef> = catalog.descendants(&g).into_iter().collect();
                set.insert(g);
                set
            }
            Err(_) => FxHashSet::default(),
        });
        ScopeMatcher {
            scope: self,
            owners,
        }
    }
}

impl ScopeMatcher<'_> {
    pub fn matches(&self, e: &Entity) -> bool {
        let s = self.scope;
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_ref()
                .is_none_or(|w| have.is_some_and(|h| h.eq_ignore_ascii_case(w)))
        };
        self.owners
            .as_ref()
            .is_none_or(|o| e.owner().is_some_and(|owner| o.contains(owner)))
            && eq(&s.kind, Some(e.entity_ref.kind()))
            && eq(&s.entity_type, e.spec_type())
            && eq(&s.lifecycle, e.lifecycle())
            && s.tags.iter().all(|t| {
                e.metadata
                    .tags
                    .iter()
                    .any(|have| have.eq_ignore_ascii_case(t))
            })
    }
}
