//! The catalog collector: facts every catalog entity yields by itself, under the names of
//! Tech Insights' built-in retrievers (`hasOwner`, `hasGroupOwner`, `hasTitle`,
//! `hasDescription`, `hasTags`, `hasAnnotationBackstageIoTechdocsRef`) plus ours.

use serde_json::{Map, Value};

use crate::catalog::Entity;
use crate::rules::FactTable;

/// The prefix of on-demand annotation facts: `hasAnnotation-backstage.io/techdocs-ref`.
pub const HAS_ANNOTATION: &str = "hasAnnotation-";

/// Fills the slots of `row` that the catalog knows for `entity`. Only facts the standards
/// read are computed.
pub fn fill(entity: &Entity, table: &FactTable, row: &mut [Option<Value>]) {
    for (slot, name) in table.names().iter().enumerate() {
        if let Some(v) = catalog_fact(entity, name) {
            row[slot] = Some(v);
        }
    }
}

fn string(s: Option<&str>) -> Option<Value> {
    s.map(|s| Value::String(s.to_string()))
}

/// One catalog fact by name, `None` when the catalog has no such fact for this entity.
pub fn catalog_fact(entity: &Entity, name: &str) -> Option<Value> {
    let meta = &entity.metadata;
    let present = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    Some(match name {
        "kind" => Value::String(entity.entity_ref.kind().to_string()),
        "name" => Value::String(entity.entity_ref.name().to_string()),
        "namespace" => Value::String(entity.entity_ref.namespace().to_string()),
        "type" => return string(entity.spec_type()),
        "lifecycle" => return string(entity.lifecycle()),
        "owner" => return entity.owner().map(|o| Value::String(o.to_string())),
        "system" => {
            return entity
                .relations
                .system()
                .map(|s| Value::String(s.to_string()));
        }
        "tags" => Value::Array(meta.tags.iter().cloned().map(Value::String).collect()),
        "annotations" => Value::Object(
            meta.annotations
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
                .collect::<Map<_, _>>(),
        ),
        "hasOwner" => Value::Bool(entity.owner().is_some()),
        "hasGroupOwner" => Value::Bool(entity.owner().is_some_and(|o| o.kind() != "user")),
        "hasTitle" => Value::Bool(present(&meta.title)),
        "hasDescription" => Value::Bool(present(&meta.description)),
        "hasTags" => Value::Bool(!meta.tags.is_empty()),
        "hasSystem" => Value::Bool(entity.relations.system().is_some()),
        "hasAnnotationBackstageIoTechdocsRef" => {
            Value::Bool(meta.annotations.contains_key("backstage.io/techdocs-ref"))
        }
        other => {
            let key = other.strip_prefix(HAS_ANNOTATION)?;
            Value::Bool(meta.annotations.contains_key(key))
        }
    })
}
