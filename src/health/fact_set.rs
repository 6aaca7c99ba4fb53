//! One collector's facts about one entity as the fleet holds them: compact JSON text, packed
//! with LZ4 against a dictionary of the words collectors' facts repeat. A fleet holds hundreds
//! of thousands of these; parsed, a fact map takes about eight times the memory of the text.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::source::{BundledFiles, Files};

/// One collector's facts, kept as compact JSON text, LZ4-packed when that is smaller. Readers
/// parse what they need when they need it (an entity's evaluation, its health, a technology
/// query).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactSet(Box<[u8]>);

/// The first byte of a [`FactSet`]: how the rest holds the JSON text.
const PLAIN: u8 = 0;
/// Packed against [`DICTIONARY`].
const PACKED: u8 = 2;

/// What facts repeat from one entity to the next: the fact names of the bundled collectors'
/// schemas (`"testCoverage":`), the values they enumerate, and the radar's technology ids as
/// a `technologies` entry starts (`{"id":"java","version":"`). Fixed for the life of the
/// process (packed facts are unpacked with it), built from the bundled files alone.
static DICTIONARY: LazyLock<Vec<u8>> = LazyLock::new(|| dictionary(&BundledFiles));

impl FactSet {
    /// The facts of a JSON object; anything else holds no facts.
    pub fn new(facts: &Value) -> FactSet {
        let Value::Object(_) = facts else {
            return FactSet::default();
        };
        let text = facts.to_string();
        let packed = lz4_flex::block::compress_prepend_size_with_dict(text.as_bytes(), &DICTIONARY);
        let (tag, body) = if packed.len() < text.len() {
            (PACKED, packed)
        } else {
            (PLAIN, text.into_bytes())
        };
        let mut bytes = Vec::with_capacity(body.len() + 1);
        bytes.push(tag);
        bytes.extend_from_slice(&body);
        FactSet(bytes.into_boxed_slice())
    }

    /// The facts as JSON text (`{}` when there are none).
    pub fn text(&self) -> Cow<'_, str> {
        match self.0.split_first() {
            None => Cow::Borrowed("{}"),
            Some((&PLAIN, body)) => String::from_utf8_lossy(body),
            Some((_, body)) => Cow::Owned(
                lz4_flex::block::decompress_size_prepended_with_dict(body, &DICTIONARY)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .unwrap_or_else(|| "{}".to_string()),
            ),
        }
    }

    /// Every fact, parsed.
    pub fn map(&self) -> Map<String, Value> {
        if self.0.is_empty() {
            return Map::new();
        }
        serde_json::from_str(&self.text()).unwrap_or_default()
    }

    /// One fact's value, parsed.
    pub fn get(&self, name: &str) -> Option<Value> {
        self.map().swap_remove(name)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.map().contains_key(name)
    }

    /// Bytes held (tests and measurements).
    pub fn held(&self) -> usize {
        self.0.len()
    }
}

/// The dictionary of [`DICTIONARY`], from the collector schemas and the radar of `files`.
/// Files that are missing or unreadable only make it smaller.
fn dictionary(files: &dyn Files) -> Vec<u8> {
    let mut words = BTreeSet::new();
    let schemas = files
        .list(Path::new("checks/collectors"), false)
        .unwrap_or_default();
    for path in schemas {
        if let Some(schema) = files
            .read(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        {
            schema_words(&schema, &mut words);
        }
    }
    let radar = Path::new("golden-tech/radar.yaml");
    if let Some(doc) = files
        .read(radar)
        .ok()
        .and_then(|t| crate::source::parse_single(radar, &t).ok())
    {
        radar_words(&doc.value, &mut words);
    }
    words.into_iter().collect::<String>().into_bytes()
}

/// `"name":` for every property a schema declares, at any depth, and `"value"` for every
/// string it enumerates.
fn schema_words(schema: &Value, words: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                words.extend(
                    props
                        .keys()
                        .map(|k| format!("{}:", Value::from(k.as_str()))),
                );
            }
            if let Some(Value::Array(values)) = map.get("enum") {
                words.extend(
                    values
                        .iter()
                        .filter(|v| v.is_string())
                        .map(Value::to_string),
                );
            }
            map.values().for_each(|v| schema_words(v, words));
        }
        Value::Array(items) => items.iter().for_each(|v| schema_words(v, words)),
        _ => {}
    }
}

/// The start of a `technologies` entry for every technology the radar names.
fn radar_words(radar: &Value, words: &mut BTreeSet<String>) {
    match radar {
        Value::Object(map) => {
            if let (Some(Value::String(id)), Some(_)) = (map.get("id"), map.get("ring")) {
                words.insert(format!(
                    r#"{{"id":{},"version":""#,
                    Value::from(id.as_str())
                ));
            }
            map.values().for_each(|v| radar_words(v, words));
        }
        Value::Array(items) => items.iter().for_each(|v| radar_words(v, words)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{DICTIONARY, FactSet};
    use serde_json::json;

    #[test]
    fn fact_sets_give_back_what_they_were_given_packed_or_not() {
        let technologies: Vec<_> = (0..20)
            .map(|i| json!({"id": format!("lib-{i}"), "version": "1.2.3", "source": "pom.xml"}))
            .collect();
        let large = json!({"technologies": technologies, "hasReadme": true});
        let small = json!({"hasReadme": true});
        let odd = json!({"naïve ✓": "\u{0}", "x": [1.5e300, null, {"": -0}]});
        for facts in [&large, &small, &odd] {
            let set = FactSet::new(facts);
            assert_eq!(serde_json::Value::Object(set.map()), *facts);
        }
        assert_eq!(FactSet::new(&large).get("hasReadme"), Some(json!(true)));
        let packed = FactSet::new(&large);
        assert!(
            packed.held() < large.to_string().len() / 2,
            "{}",
            packed.held()
        );
        assert_eq!(FactSet::new(&json!([1])).text(), "{}");
    }

    #[test]
    fn the_dictionary_holds_the_bundled_fact_names_and_radar_ids() {
        let dictionary = String::from_utf8_lossy(&DICTIONARY);
        for word in [
            r#""testCoverage":"#,
            r#""technologies":"#,
            r#""version":"#,
            r#"{"id":"java","version":""#,
        ] {
            assert!(dictionary.contains(word), "{word} in {dictionary}");
        }
    }

    #[test]
    fn facts_that_use_the_dictionary_take_less_than_without() {
        let facts = json!({
            "hasReadme": true, "hasCodeowners": true, "hasTests": true, "testFileCount": 304,
            "ciProvider": "github-actions", "ciRunsTests": true, "deploysOnMerge": true,
            "technologies": [
                {"id": "java", "version": "21.0.4", "source": "build.gradle.kts"},
                {"id": "spring-boot", "version": "3.3.2", "source": "build.gradle.kts"}
            ]
        });
        let text = facts.to_string();
        let without = lz4_flex::block::compress_prepend_size(text.as_bytes()).len();
        let with = FactSet::new(&facts).held();
        assert!(
            with * 10 < without * 7,
            "{with} vs {without} of {}",
            text.len()
        );
    }
}
