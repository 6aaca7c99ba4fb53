//! Facts files: a JSON array or NDJSON of `{"entity": "<ref>", "facts": {...}}`. Large files
//! (100k entities) are split into records and parsed on every core, each record straight into
//! the fact slots the standards read; facts no check reads are skipped unparsed.

use std::borrow::Cow;
use std::fmt;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::split::split_records;
use crate::catalog::EntityRef;
use crate::rules::FactTable;

/// One record of a facts file.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRecord {
    pub entity: EntityRef,
    /// One slot per fact of the table it was read with.
    pub facts: Vec<Option<Value>>,
}

/// A record that could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: record {record}: {message}")]
pub struct FactsError {
    pub line: usize,
    pub record: usize,
    pub message: String,
}

/// Reads every record of a facts file (JSON array or NDJSON).
pub fn parse_facts(bytes: &[u8], table: &FactTable) -> Result<Vec<FactRecord>, FactsError> {
    let ranges = split_records(bytes)?;
    // Parse in blocks so each thread works on a long run of records.
    let block = (ranges.len() / (rayon::current_num_threads() * 8)).max(256);
    let parsed: Vec<Result<Vec<FactRecord>, FactsError>> = ranges
        .par_chunks(block)
        .enumerate()
        .map(|(bi, chunk)| {
            let mut out = Vec::with_capacity(chunk.len());
            read_records(bytes, chunk, bi * block, table, |entity, facts| {
                out.push(FactRecord {
                    entity,
                    facts: facts.to_vec(),
                });
            })?;
            Ok(out)
        })
        .collect();
    let mut out = Vec::with_capacity(ranges.len());
    for block in parsed {
        out.extend(block?);
    }
    Ok(out)
}

/// Reads the records at `ranges` (the first being record number `first + 1`) one by one into
/// one fact row, reused, and hands each entity and row to `visit`; stops at the first bad one.
pub fn read_records(
    bytes: &[u8],
    ranges: &[(usize, usize)],
    first: usize,
    table: &FactTable,
    mut visit: impl FnMut(EntityRef, &[Option<Value>]),
) -> Result<(), FactsError> {
    let mut row = vec![None; table.len()];
    for (i, &(start, end)) in ranges.iter().enumerate() {
        let entity =
            parse_record(&bytes[start..end], table, &mut row).map_err(|message| FactsError {
                line: line_of(bytes, start),
                record: first + i + 1,
                message,
            })?;
        visit(entity, &row);
    }
    Ok(())
}

pub(super) fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count()
}

/// Parses one record into `row` (every slot rewritten) and returns its entity.
fn parse_record(
    bytes: &[u8],
    table: &FactTable,
    row: &mut [Option<Value>],
) -> Result<EntityRef, String> {
    row.fill(None);
    // serde_json checks the UTF-8 of every string it reads from bytes, but not from a `str`:
    // checking the record once is cheaper. Bytes that are not UTF-8 get serde_json's error.
    let entity = match std::str::from_utf8(bytes) {
        Ok(text) => deserialize(&mut serde_json::Deserializer::from_str(text), table, row),
        Err(_) => deserialize(&mut serde_json::Deserializer::from_slice(bytes), table, row),
    }
    .map_err(|e| e.to_string())?;
    let entity = entity.ok_or("the record has no `entity`")?;
    entity.0.parse().map_err(|e| format!("{e}"))
}

fn deserialize<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    table: &FactTable,
    row: &mut [Option<Value>],
) -> Result<Option<Key<'de>>, serde_json::Error> {
    let entity = RecordSeed { table, row }.deserialize(&mut *de)?;
    de.end()?;
    Ok(entity)
}

/// A record: its entity is returned, its facts are written into `row` (all `None` before).
struct RecordSeed<'a> {
    table: &'a FactTable,
    row: &'a mut [Option<Value>],
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Option<Key<'de>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Option<Key<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an object {"entity": "<ref>", "facts": {...}}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut entity, mut facts_seen) = (None, false);
        while let Some(key) = map.next_key::<Key>()? {
            match key.0.as_ref() {
                "entity" => entity = Some(map.next_value::<Key>()?),
                "facts" => {
                    // A later `facts` object replaces an earlier one as a whole.
                    if facts_seen {
                        self.row.fill(None);
                    }
                    facts_seen = true;
                    map.next_value_seed(FactsSeed {
                        table: self.table,
                        row: &mut *self.row,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(entity)
    }
}

struct FactsSeed<'a> {
    table: &'a FactTable,
    row: &'a mut [Option<Value>],
}

impl<'de> DeserializeSeed<'de> for FactsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FactsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of facts")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            match self.table.slot(&key.0) {
                Some(slot) => self.row[slot as usize] = Some(map.next_value::<Value>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A string (a map key or the entity), borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FactTable {
        let mut t = FactTable::default();
        t.intern("hasOwner");
        t.intern("lang/uage");
        t
    }

    #[test]
    fn arrays_and_ndjson_read_alike() {
        let array = br#" [ {"entity": "component:default/a", "facts": {"hasOwner": true, "unused": [1, {"x": "]"}], "lang/uage": "go"}},
            {"entity": "Component:default/B", "collector": "ci", "facts": {}} ] "#;
        let ndjson = b"{\"entity\": \"component:default/a\", \"facts\": {\"hasOwner\": true, \"lang/uage\": \"go\"}}\n\n{\"entity\": \"component:default/b\", \"facts\": {}}\n";
        let t = table();
        let a = parse_facts(array, &t).unwrap();
        let b = parse_facts(ndjson, &t).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a[0].facts,
            vec![Some(Value::Bool(true)), Some(Value::from("go"))]
        );
        assert_eq!(a[1].entity.to_string(), "component:default/b");
    }

    #[test]
    fn bad_records_name_their_line() {
        let t = table();
        let err = parse_facts(
            b"[\n{\"entity\": \"component:default/a\", \"facts\": {}},\n{\"facts\": {}}\n]",
            &t,
        )
        .unwrap_err();
        assert_eq!((err.line, err.record), (3, 2), "{err}");
        let err = parse_facts(b"{\"entity\": \"nokind\", \"facts\": {}}", &t).unwrap_err();
        assert!(err.message.contains("no kind"), "{err}");
        assert!(parse_facts(b"[{\"entity\": \"component:default/a\"}", &t).is_err());
    }
}
