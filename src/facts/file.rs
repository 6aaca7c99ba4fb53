//! Facts files: a JSON array or NDJSON of `{"entity": "<ref>", "facts": {...}}`. Large files
//! (100k entities) are split into records and parsed on every core, each record straight into
//! the fact slots the standards read; facts no check reads are skipped unparsed.

use std::borrow::Cow;
use std::fmt;

use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

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
            chunk
                .iter()
                .enumerate()
                .map(|(i, &(start, end))| {
                    parse_record(&bytes[start..end], table).map_err(|message| FactsError {
                        line: line_of(bytes, start),
                        record: bi * block + i + 1,
                        message,
                    })
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(ranges.len());
    for block in parsed {
        out.extend(block?);
    }
    Ok(out)
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn parse_record(bytes: &[u8], table: &FactTable) -> Result<FactRecord, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (entity, facts) = RecordSeed(table)
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    let entity = entity.ok_or("the record has no `entity`")?;
    let entity: EntityRef = entity.parse().map_err(|e| format!("{e}"))?;
    Ok(FactRecord {
        entity,
        facts: facts.unwrap_or_else(|| vec![None; table.len()]),
    })
}

/// Byte ranges of the records: the elements of a top-level JSON array, or the non-empty lines
/// of NDJSON.
pub fn split_records(bytes: &[u8]) -> Result<Vec<(usize, usize)>, FactsError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes.get(start) != Some(&b'[') {
        let mut out = Vec::new();
        let mut pos = 0;
        for line in bytes.split(|&b| b == b'\n') {
            let end = pos + line.len();
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                out.push((pos, end));
            }
            pos = end + 1;
        }
        return Ok(out);
    }
    let fail = |offset: usize, message: &str| FactsError {
        line: line_of(bytes, offset),
        record: 0,
        message: message.to_string(),
    };
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut element_start = None;
    for (i, &b) in bytes.iter().enumerate().skip(start + 1) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                element_start.get_or_insert(i);
            }
            b'{' | b'[' => {
                depth += 1;
                element_start.get_or_insert(i);
            }
            b'}' | b']' if depth > 0 => depth -= 1,
            b',' | b']' if depth == 0 => {
                match element_start.take() {
                    Some(s) => out.push((s, i)),
                    None if b == b',' => return Err(fail(i, "empty element in the facts array")),
                    None => {}
                }
                if b == b']' {
                    return if bytes[i + 1..].iter().all(u8::is_ascii_whitespace) {
                        Ok(out)
                    } else {
                        Err(fail(i + 1, "unexpected content after the facts array"))
                    };
                }
            }
            b if b.is_ascii_whitespace() => {}
            _ => {
                element_start.get_or_insert(i);
            }
        }
    }
    Err(fail(bytes.len(), "the facts array is not closed"))
}

struct RecordSeed<'t>(&'t FactTable);

type Record = (Option<String>, Option<Vec<Option<Value>>>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = Record;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = Record;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an object {"entity": "<ref>", "facts": {...}}"#)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let (mut entity, mut facts) = (None, None);
        while let Some(key) = map.next_key::<Key>()? {
            match key.0.as_ref() {
                "entity" => entity = Some(map.next_value::<String>()?),
                "facts" => facts = Some(map.next_value_seed(FactsSeed(self.0))?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((entity, facts))
    }
}

struct FactsSeed<'t>(&'t FactTable);

impl<'de> DeserializeSeed<'de> for FactsSeed<'_> {
    type Value = Vec<Option<Value>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FactsSeed<'_> {
    type Value = Vec<Option<Value>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of facts")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut row = vec![None; self.0.len()];
        while let Some(key) = map.next_key::<Key>()? {
            match self.0.slot(&key.0) {
                Some(slot) => row[slot as usize] = Some(map.next_value::<Value>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(row)
    }
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
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
