//! Labels and annotations: small maps of strings, sorted by key.

use serde::ser::{Serialize, SerializeMap, Serializer};

/// A small map of strings, sorted by key. A `BTreeMap` takes a node of eleven slots (over
/// 500 bytes) for a single entry, and a fleet holds hundreds of thousands of these; this
/// takes what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrMap(Box<[(Box<str>, Box<str>)]>);

impl StrMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A key given twice keeps its last value, as inserting into a map would.
impl FromIterator<(String, String)> for StrMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(entries: I) -> Self {
        let mut entries: Vec<(Box<str>, Box<str>)> = entries
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_str()))
            .collect();
        // Stable: among equal keys the order given stands, and the last one is kept.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(Box<str>, Box<str>)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match kept.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => kept.push(entry),
            }
        }
        StrMap(kept.into_boxed_slice())
    }
}

impl Serialize for StrMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_key_and_the_last_value_of_a_key_wins() {
        let m: StrMap = [("b", "1"), ("a", "2"), ("b", "3")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(m.iter().collect::<Vec<_>>(), [("a", "2"), ("b", "3")]);
        assert_eq!(m.get("b"), Some("3"));
        assert!(!m.contains_key("c"));
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":"2","b":"3"}"#);
    }
}
