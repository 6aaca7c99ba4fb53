//! Reading YAML and JSON files while remembering where every value came from, so that any
//! error found later (by a JSON Schema, by typed deserialisation, by cross-reference checks)
//! can be reported as `file:line:column: message`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

/// A 1-based position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// An error that points into a file: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: PathBuf,
    pub pos: Option<Pos>,
    pub message: String,
}

impl SourceError {
    pub fn new(file: impl Into<PathBuf>, pos: Option<Pos>, message: impl Into<String>) -> Self {
        SourceError {
            file: file.into(),
            pos,
            message: message.into(),
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.file.display(),
                p.line,
                p.column,
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for SourceError {}

/// One YAML document (or one JSON file) as a JSON value, with the position of each of its
/// parts, addressed by JSON Pointer (`/spec/owner`, `/checks/3/id`).
#[derive(Debug, Clone)]
pub struct Document {
    /// Shared by every document of the file (and every entity read from them).
    pub file: Arc<Path>,
    /// 1-based ordinal of the document in its file (non-empty documents only).
    pub ordinal: usize,
    pub value: Value,
    positions: Positions,
}

impl Document {
    /// Where the value at `pointer` starts; falls back to the nearest ancestor that has a
    /// position (a missing key is reported at its parent object).
    pub fn pos(&self, pointer: &str) -> Pos {
        let nodes = match &self.positions {
            Positions::Read(nodes) => nodes.as_slice(),
            Positions::Later { root, .. } if pointer.is_empty() => return *root,
            Positions::Later { text, read, root } => read
                .get_or_init(|| {
                    // The text was read as JSON; read again as YAML (a superset), with positions.
                    let mut nodes = None;
                    let _ = yaml_documents(&self.file, text, |doc| {
                        if let Positions::Read(n) = doc.positions
                            && doc.ordinal == self.ordinal
                        {
                            nodes = Some(n);
                        }
                    });
                    nodes.unwrap_or_else(|| {
                        vec![PosNode {
                            pos: Some(*root),
                            ..PosNode::default()
                        }]
                    })
                })
                .as_slice(),
        };
        let mut value = &self.value;
        let mut node = nodes[0];
        let mut found = node.pos.unwrap_or(Pos { line: 1, column: 1 });
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            // Item or entry i is child i (keys are unique: a repeated key is an error). Where
            // the positions were read separately and do not match the value, the last position
            // found stands.
            let child = match value {
                Value::Array(items) if items.len() == node.children as usize => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| Some((i, items.get(i)?))),
                Value::Object(map) if map.len() == node.children as usize => map
                    .iter()
                    .enumerate()
                    .find(|(_, (k, _))| **k == token)
                    .map(|(i, (_, v))| (i, v)),
                _ => None,
            };
            let Some((child, at)) =
                child.and_then(|(i, v)| Some((v, nodes.get(node.first as usize + i)?)))
            else {
                break;
            };
            value = child;
            node = *at;
            found = node.pos.unwrap_or(found);
        }
        found
    }

    /// An error located at `pointer` in this document.
    pub fn error_at(&self, pointer: &str, message: impl Into<String>) -> SourceError {
        SourceError::new(&*self.file, Some(self.pos(pointer)), message)
    }
}

/// Escapes one JSON Pointer reference token (RFC 6901).
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Reads a file and parses every document in it.
pub fn read_documents(file: &Path) -> Result<Vec<Document>, SourceError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| SourceError::new(file, None, format!("cannot read file: {e}")))?;
    parse_documents(file, &text)
}

/// Parses YAML (one or more `---` separated documents) or JSON text. Empty documents are
/// skipped. Syntax errors are reported with their position.
pub fn parse_documents(file: &Path, text: &str) -> Result<Vec<Document>, SourceError> {
    let mut docs = Vec::new();
    for_each_document(file, text, |doc| docs.push(doc))?;
    Ok(docs)
}

/// As [`parse_documents`], handing each document to `each` as soon as it is read: a file
/// holding a whole catalog is never held parsed at once. On a syntax error the documents
/// before it have been handed over; the caller decides what to keep.
pub fn for_each_document(
    file: &Path,
    text: &str,
    mut each: impl FnMut(Document),
) -> Result<(), SourceError> {
    match json_document(file, text) {
        Some(doc) => {
            each(doc);
            Ok(())
        }
        None => yaml_documents(file, text, each),
    }
}

/// A JSON text, read by the JSON parser (ten times as fast as the YAML one); where each of its
/// values stands is found only when asked. `None` for anything the YAML parser is to read or
/// report on: YAML, a syntax error, a repeated key, deep nesting.
fn json_document(file: &Path, text: &str) -> Option<Document> {
    let start = text.len() - text.trim_start().len();
    if !matches!(text.as_bytes().get(start), Some(b'{' | b'[')) {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = de::DeserializeSeed::deserialize(Json { depth: 0 }, &mut de).ok()?;
    de.end().ok()?;
    let before = &text[..start];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let root = Pos {
        line: before.matches('\n').count() as u32 + 1,
        column: before[line_start..].chars().count() as u32 + 1,
    };
    Some(Document {
        file: Arc::from(file),
        ordinal: 1,
        value,
        positions: Positions::Later {
            text: Arc::from(text),
            read: OnceLock::new(),
            root,
        },
    })
}

/// A JSON value nested at `depth`, read as the YAML path would read it.
struct Json {
    depth: usize,
}

/// Deeper JSON is left to the YAML path, which holds nesting to 64 levels with its own message.
const JSON_DEPTH: usize = 60;

impl<'de> de::DeserializeSeed<'de> for Json {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Json {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(number_from_f64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(Json { depth: inner })? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom("repeated key"));
            }
            let v = map.next_value_seed(Json { depth: inner })?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

impl Json {
    fn nested<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth >= JSON_DEPTH {
            return Err(E::custom("nested deeply"));
        }
        Ok(self.depth + 1)
    }
}

/// [`for_each_document`] by the YAML parser, positions read with the values.
fn yaml_documents(
    file: &Path,
    text: &str,
    mut each: impl FnMut(Document),
) -> Result<(), SourceError> {
    // YAML 1.2 core booleans only, as Backstage's own parser reads them: `yes`, `y`, `on`
    // stay strings. The parser's default budget (1,024 documents, 250k nodes) is made for one
    // config file; a generated `all.yaml` may hold a whole catalog. Nesting stays bounded (64
    // levels, reported with the line). Aliases replay what they name, so a few lines of them
    // can stand for a billion nodes: they are held to 100k events, a tenth of the default.
    let mut options = serde_saphyr::options! {
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_documents: 10_000_000,
            max_events: 500_000_000,
            max_nodes: 200_000_000,
            max_reader_input_bytes: None,
            max_recorded_anchor_events: MAX_ALIAS_EVENTS,
        },
    };
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_EVENTS;
    let shared: Arc<Path> = Arc::from(file);
    let mut reader = text.as_bytes();
    let nodes = serde_saphyr::read_with_options::<_, Node>(&mut reader, options);
    for (i, node) in nodes.enumerate() {
        let node = node.map_err(|e| {
            let pos = e.location().map(|l| Pos {
                line: l.line() as u32,
                column: l.column() as u32,
            });
            SourceError::new(file, pos, first_line(&e.to_string()))
        })?;
        let mut nodes = vec![PosNode::default()];
        let value = node.flatten(0, &mut nodes);
        each(Document {
            file: shared.clone(),
            ordinal: i + 1,
            value,
            positions: Positions::Read(nodes),
        });
    }
    Ok(())
}

/// The most events aliases may replay, and anchors record, in one text.
const MAX_ALIAS_EVENTS: usize = 100_000;

/// The bundled YAML files of the standards, each as the JSON `build.rs` made of it.
static READY: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/ready.rs"));

/// The documents of a ready form: their values as built, their positions read from `yaml`
/// when first asked for.
fn ready_documents(file: &Path, json: &str, yaml: String) -> Vec<Document> {
    #[derive(serde::Deserialize)]
    struct Ready {
        line: u32,
        column: u32,
        value: Value,
    }
    let ready: Vec<Ready> = serde_json::from_str(json).unwrap_or_default();
    let file: Arc<Path> = Arc::from(file);
    let text: Arc<str> = Arc::from(yaml);
    ready
        .into_iter()
        .enumerate()
        .map(|(i, d)| Document {
            file: file.clone(),
            ordinal: i + 1,
            value: d.value,
            positions: Positions::Later {
                text: text.clone(),
                read: OnceLock::new(),
                root: Pos {
                    line: d.line,
                    column: d.column,
                },
            },
        })
        .collect()
}

/// Parses text that must hold exactly one document.
pub fn parse_single(file: &Path, text: &str) -> Result<Document, SourceError> {
    single(file, parse_documents(file, text)?)
}

/// The one document of a file that must hold exactly one.
pub fn single(file: &Path, mut docs: Vec<Document>) -> Result<Document, SourceError> {
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => Err(SourceError::new(file, None, "the file is empty")),
        n => Err(SourceError::new(
            file,
            Some(docs[1].pos("")),
            format!("expected one document, found {n}"),
        )),
    }
}

fn first_line(s: &str) -> String {
    // serde-saphyr may append a rendered snippet; the first line is the message.
    let line = s.lines().next().unwrap_or(s).trim();
    // Drop a trailing " at line X column Y" — we print the position ourselves.
    let line = match line.find(" at line ") {
        Some(i) => &line[..i],
        None => line,
    };
    // The budget's own words name a Rust enum (`budget breached: Depth { depth: 65 }`).
    if line.contains("budget breached: Depth") {
        "nested more than 64 levels deep (lists and maps); write it flatter".to_string()
    } else if line.contains("budget breached: RecordedAnchorEvents")
        || line.contains("alias replay")
    {
        format!("aliases expand to more than {MAX_ALIAS_EVENTS} parser events")
    } else {
        line.to_string()
    }
}

/// A YAML node with its position, deserialised through serde-saphyr's `Spanned`.
struct Node(Spanned<NodeValue>);

enum NodeValue {
    Scalar(Value),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Where each node of a document starts, as a tree beside its value: a container's children
/// are consecutive, in the order of the value's items or entries. (Built for every document
/// read and looked at only for the few that have a problem: no strings, no hashing.)
#[derive(Debug, Clone)]
enum Positions {
    Read(Vec<PosNode>),
    /// Read from the document's text (JSON, or YAML read at build time) when first asked
    /// for; the root's is known.
    Later {
        text: Arc<str>,
        read: OnceLock<Vec<PosNode>>,
        root: Pos,
    },
}

#[derive(Debug, Clone, Copy, Default)]
struct PosNode {
    pos: Option<Pos>,
    /// Index of the first child.
    first: u32,
    children: u32,
}

impl Node {
    /// The value of this node, its position and its descendants' recorded in `nodes`, where
    /// `slot` is reserved for it.
    fn flatten(self, slot: usize, nodes: &mut Vec<PosNode>) -> Value {
        let loc = self.0.referenced;
        if loc.line() > 0 {
            nodes[slot].pos = Some(Pos {
                line: loc.line() as u32,
                column: loc.column() as u32,
            });
        }
        let children = |n: usize, nodes: &mut Vec<PosNode>| {
            let first = nodes.len();
            nodes.resize(first + n, PosNode::default());
            // A document has far fewer than 4 billion nodes: the parser's budget holds it.
            nodes[slot].first = first as u32;
            nodes[slot].children = n as u32;
            first
        };
        match self.0.value {
            NodeValue::Scalar(v) => v,
            NodeValue::Seq(items) => {
                let first = children(items.len(), nodes);
                Value::Array(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, n)| n.flatten(first + i, nodes))
                        .collect(),
                )
            }
            NodeValue::Map(entries) => {
                let first = children(entries.len(), nodes);
                let mut map = Map::with_capacity(entries.len());
                for (i, (k, n)) in entries.into_iter().enumerate() {
                    let v = n.flatten(first + i, nodes);
                    map.insert(k, v);
                }
                Value::Object(map)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Spanned::<NodeValue>::deserialize(d).map(Node)
    }
}

impl<'de> Deserialize<'de> for NodeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(number_from_f64(v as f64)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(number_from_f64(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(number_from_f64(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::Null))
    }
    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<KeyString>()? {
            let node = map.next_value::<Node>()?;
            entries.push((key.0, node));
        }
        Ok(NodeValue::Map(entries))
    }
}

/// JSON has no NaN or infinity; such YAML floats (`.nan`, `.inf`) become strings.
fn number_from_f64(v: f64) -> Value {
    Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(v.to_string()))
}

/// A mapping key: YAML allows any scalar, JSON objects (and Backstage) only strings.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyString, E> {
                Ok(KeyString("null".into()))
            }
        }
        d.deserialize_string(KeyVisitor)
    }
}

/// Where configuration and catalog files are read from: the disk, or the copies of
/// `checks/`, `golden-tech/` and `examples/` built into the binary (so the bundled
/// standards and example fleet work from any directory).
pub trait Files: Sync {
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// The raw bytes (large data files need not be checked as UTF-8 twice).
    fn read_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.read(path).map(String::into_bytes)
    }
    fn is_dir(&self, path: &Path) -> bool;
    fn exists(&self, path: &Path) -> bool;
    /// Files (not folders) directly or recursively under `dir`, sorted.
    fn list(&self, dir: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>>;
    /// Paths matching a glob pattern (`*`, `**`, `?`), sorted.
    fn glob(&self, pattern: &Path) -> std::io::Result<Vec<PathBuf>>;
    /// Whether these are the files built into the binary, which the tests check against
    /// their schemas (so they need no checking at run time).
    fn bundled(&self) -> bool {
        false
    }
    /// The documents of a YAML or JSON file, parsed.
    fn documents(&self, path: &Path) -> Result<Vec<Document>, SourceError> {
        let text = self
            .read(path)
            .map_err(|e| SourceError::new(path, None, format!("cannot read file: {e}")))?;
        parse_documents(path, &text)
    }
}

/// The real file system.
pub struct DiskFiles;

impl Files for DiskFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
    fn read_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn list(&self, dir: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    if recursive {
                        stack.push(path);
                    }
                } else {
                    out.push(path);
                }
            }
        }
        out.sort();
        Ok(out)
    }
    fn glob(&self, pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
        let pattern = pattern.to_string_lossy();
        let paths = glob::glob(&pattern)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut out: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        out.sort();
        Ok(out)
    }
}

static BUNDLED: [(&str, include_dir::Dir<'static>); 3] = [
    (
        "checks",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/checks"),
    ),
    (
        "golden-tech",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/golden-tech"),
    ),
    (
        "examples",
        include_dir::include_dir!("$CARGO_MANIFEST_DIR/examples"),
    ),
];

/// The bundled files, addressed by paths relative to the repository root
/// (`checks/…`, `golden-tech/…`, `examples/fleet/…`).
pub struct BundledFiles;

impl BundledFiles {
    fn key(path: &Path) -> String {
        let s = path.to_string_lossy().replace('\\', "/");
        s.trim_start_matches("./").trim_end_matches('/').to_string()
    }
    /// The bundled folder named by the first component of `key`, and the rest of the key
    /// (relative to that folder).
    fn split(key: &str) -> Option<(&'static include_dir::Dir<'static>, &str)> {
        let (top, rest) = key.split_once('/').unwrap_or((key, ""));
        BUNDLED
            .iter()
            .find(|(name, _)| *name == top)
            .map(|(_, dir)| (dir, rest))
    }
    fn all_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &include_dir::Dir<'static>, out: &mut Vec<PathBuf>) {
            for f in dir.files() {
                out.push(f.path().to_path_buf());
            }
            for d in dir.dirs() {
                walk(d, out);
            }
        }
        let mut out = Vec::new();
        for (name, dir) in &BUNDLED {
            let mut files = Vec::new();
            walk(dir, &mut files);
            out.extend(files.into_iter().map(|f| Path::new(name).join(f)));
        }
        out.sort();
        out
    }
}

impl Files for BundledFiles {
    fn bundled(&self) -> bool {
        true
    }
    /// The standards' YAML files from their ready form (see `build.rs`).
    fn documents(&self, path: &Path) -> Result<Vec<Document>, SourceError> {
        let key = Self::key(path);
        let text = self
            .read(path)
            .map_err(|e| SourceError::new(path, None, format!("cannot read file: {e}")))?;
        match READY.iter().find(|(k, _)| *k == key) {
            Some((_, json)) => Ok(ready_documents(path, json, text)),
            None => parse_documents(path, &text),
        }
    }
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let key = Self::key(path);
        let not_found =
            || std::io::Error::new(std::io::ErrorKind::NotFound, "no such bundled file");
        let (dir, rel) = Self::split(&key).ok_or_else(not_found)?;
        let file = dir.get_file(rel).ok_or_else(not_found)?;
        file.contents_utf8().map(str::to_owned).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "bundled file is not UTF-8")
        })
    }
    fn is_dir(&self, path: &Path) -> bool {
        let key = Self::key(path);
        key.is_empty()
            || Self::split(&key)
                .is_some_and(|(dir, rel)| rel.is_empty() || dir.get_dir(rel).is_some())
    }
    fn exists(&self, path: &Path) -> bool {
        self.is_dir(path) || self.read(path).is_ok()
    }
    fn list(&self, dir: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>> {
        let prefix = PathBuf::from(Self::key(dir));
        Ok(self
            .all_files()
            .into_iter()
            .filter(|p| {
                let parent = p.parent().unwrap_or(Path::new(""));
                if recursive {
                    parent.starts_with(&prefix)
                } else {
                    parent == prefix
                }
            })
            .collect())
    }
    fn glob(&self, pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
        let pat = glob::Pattern::new(&Self::key(pattern))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(self
            .all_files()
            .into_iter()
            .filter(|p| pat.matches_path(p))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_and_aliases_past_the_budget_are_reported_with_their_line() {
        let block: String = (0..70).map(|i| format!("{}- \n", "  ".repeat(i))).collect();
        let e = parse_documents(Path::new("all.yaml"), &format!("kind: x\nspec:\n{block}"))
            .unwrap_err();
        assert!(
            e.to_string().starts_with("all.yaml:") && e.pos.is_some(),
            "{e}"
        );
        assert!(e.message.contains("nested more than 64 levels"), "{e}");
        let ok: String = (0..60).map(|i| format!("{}- \n", "  ".repeat(i))).collect();
        assert!(parse_documents(Path::new("ok.yaml"), &ok).is_ok());
        let mut laughs = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g"])
        {
            laughs.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        let e = parse_documents(Path::new("lol.yaml"), &laughs).unwrap_err();
        assert!(
            e.message.contains("aliases expand to more than 100000"),
            "{e}"
        );
    }

    #[test]
    fn positions_follow_every_node() {
        let text = "a: 1\nlist:\n  - x: true\n    y: hello\n---\nb: [1, 2]\n";
        let docs = parse_documents(Path::new("f.yaml"), text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["list"][0]["y"], "hello");
        assert_eq!(docs[0].pos("/list/0/y"), Pos { line: 4, column: 8 });
        assert_eq!(docs[0].pos("/list/0/missing").line, 3);
        assert_eq!(docs[1].ordinal, 2);
        assert_eq!(docs[1].pos("/b").line, 6);
        assert_eq!(docs[1].pos("/b/1"), Pos { line: 6, column: 8 });
        assert_eq!(
            docs[1].pos("/b/7").column,
            4,
            "a missing item is its list's"
        );
        assert_eq!(docs[1].pos("/b/x").column, 4);
        let docs = parse_documents(Path::new("f.yaml"), "x: 0\n\"a/b~c\":\n  k: v\n").unwrap();
        assert_eq!(docs[0].pos("/a~1b~0c/k"), Pos { line: 3, column: 6 });
        assert_eq!(docs[0].pos("/a/b~c/k"), Pos { line: 1, column: 1 });
    }

    #[test]
    fn json_parses_too() {
        let docs = parse_documents(Path::new("f.json"), "[{\"id\": \"a\",\n \"n\": 1.5}]").unwrap();
        assert_eq!(docs[0].value[0]["n"], 1.5);
        assert_eq!(docs[0].pos("/0/n").line, 2);
    }

    #[test]
    fn json_is_read_as_yaml_reads_it() {
        let text = "\n  {\"checks\": [{\"id\": \"a\", \"n\": -1, \"big\": 18446744073709551616,\n  \"f\": 2.50, \"t\": true, \"z\": null, \"s\": \"\\u00e9\\/\"},\n {\"a/b\": {}}]}\n";
        let json = parse_documents(Path::new("f.json"), text).unwrap();
        let mut yaml = Vec::new();
        yaml_documents(Path::new("f.json"), text, |d| yaml.push(d)).unwrap();
        assert!(matches!(json[0].positions, Positions::Later { .. }));
        assert_eq!(json[0].value, yaml[0].value);
        for pointer in [
            "",
            "/checks",
            "/checks/0/f",
            "/checks/0/s",
            "/checks/1/a~1b",
            "/checks/1/x",
            "/nope",
        ] {
            assert_eq!(json[0].pos(pointer), yaml[0].pos(pointer), "{pointer}");
        }
        assert_eq!(json[0].pos("/checks/0/f"), Pos { line: 3, column: 8 });
        // What the JSON reader leaves to the YAML one is reported as before.
        let err = parse_documents(Path::new("d.json"), "{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert_eq!(err.pos.map(|p| p.line), Some(2), "{err}");
        let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
        let err = parse_documents(Path::new("deep.json"), &deep).unwrap_err();
        assert!(err.message.contains("nested more than 64 levels"), "{err}");
        let ok = format!("{}{}", "[".repeat(60), "]".repeat(60));
        assert!(parse_documents(Path::new("ok.json"), &ok).is_ok());
        // YAML reads `<<` as a merge key: its positions do not match the JSON value, and the
        // nearest that does is given.
        let merged = "{\"a\": [1, 2, 3],\n \"<<\": {\"b\": [4]}}";
        let docs = parse_documents(Path::new("m.json"), merged).unwrap();
        assert_eq!(docs[0].value["<<"]["b"][0], 4);
        for pointer in ["/a/2", "/<</b/0", "/<</b/7"] {
            assert!(docs[0].pos(pointer).line >= 1, "{pointer}");
        }
    }

    #[test]
    fn the_ready_standards_are_what_the_yaml_reader_reads() {
        assert!(READY.len() >= 7, "{} ready files", READY.len());
        for (key, _) in READY {
            let path = Path::new(key);
            let text = BundledFiles.read(path).unwrap();
            let ready = BundledFiles.documents(path).unwrap();
            let read = parse_documents(path, &text).unwrap();
            assert_eq!(ready.len(), read.len(), "{key}");
            for (a, b) in ready.iter().zip(&read) {
                assert!(matches!(a.positions, Positions::Later { .. }), "{key}");
                assert_eq!((a.ordinal, &a.value), (b.ordinal, &b.value), "{key}");
                assert_eq!(a.pos(""), b.pos(""), "{key}");
                let deep = match &b.value {
                    Value::Object(m) => format!("/{}", m.keys().next_back().unwrap()),
                    _ => "/0".into(),
                };
                assert_eq!(a.pos(&deep), b.pos(&deep), "{key} {deep}");
            }
        }
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse_documents(Path::new("bad.yaml"), "a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("bad.yaml:"), "{text}");
        assert!(err.pos.is_some(), "{text}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse_documents(Path::new("d.yaml"), "a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.pos.map(|p| p.line), Some(2), "{err}");
    }
}

/// Reads through another [`Files`] and remembers every answer it gave, so that a later look
/// can tell whether the same reads would give the same answers: a catalog whose files, folders
/// and glob matches did not change need not be parsed again.
pub struct RecordedFiles<'a> {
    inner: &'a dyn Files,
    seen: parking_lot::Mutex<Vec<Answer>>,
}

/// What the file system answered once (file contents by length and hash).
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Read(PathBuf, Result<(usize, u64), std::io::ErrorKind>),
    IsDir(PathBuf, bool),
    Exists(PathBuf, bool),
    List(PathBuf, bool, Result<Vec<PathBuf>, std::io::ErrorKind>),
    Glob(PathBuf, Result<Vec<PathBuf>, std::io::ErrorKind>),
}

/// The answers a load was given; see [`RecordedFiles`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilesSeen(Vec<Answer>);

fn fingerprint(bytes: &[u8]) -> (usize, u64) {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(bytes);
    (bytes.len(), h.finish())
}

impl Answer {
    /// The same question asked again.
    fn again(&self, files: &dyn Files) -> Answer {
        match self {
            Answer::Read(p, _) => Answer::Read(
                p.clone(),
                files
                    .read_bytes(p)
                    .map(|b| fingerprint(&b))
                    .map_err(|e| e.kind()),
            ),
            Answer::IsDir(p, _) => Answer::IsDir(p.clone(), files.is_dir(p)),
            Answer::Exists(p, _) => Answer::Exists(p.clone(), files.exists(p)),
            Answer::List(p, r, _) => {
                Answer::List(p.clone(), *r, files.list(p, *r).map_err(|e| e.kind()))
            }
            Answer::Glob(p, _) => Answer::Glob(p.clone(), files.glob(p).map_err(|e| e.kind())),
        }
    }
}

impl FilesSeen {
    /// Whether `files` still gives every answer it gave.
    pub fn unchanged(&self, files: &dyn Files) -> bool {
        self.0.iter().all(|a| a.again(files) == *a)
    }
}

impl<'a> RecordedFiles<'a> {
    pub fn new(inner: &'a dyn Files) -> RecordedFiles<'a> {
        RecordedFiles {
            inner,
            seen: parking_lot::Mutex::new(Vec::new()),
        }
    }

    pub fn seen(self) -> FilesSeen {
        FilesSeen(self.seen.into_inner())
    }

    fn note(&self, answer: Answer) {
        self.seen.lock().push(answer);
    }
}

impl Files for RecordedFiles<'_> {
    fn bundled(&self) -> bool {
        self.inner.bundled()
    }
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let r = self.inner.read(path);
        let answer = match &r {
            Ok(text) => Ok(fingerprint(text.as_bytes())),
            Err(e) => Err(e.kind()),
        };
        self.note(Answer::Read(path.to_path_buf(), answer));
        r
    }
    fn read_bytes(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let r = self.inner.read_bytes(path);
        let answer = match &r {
            Ok(bytes) => Ok(fingerprint(bytes)),
            Err(e) => Err(e.kind()),
        };
        self.note(Answer::Read(path.to_path_buf(), answer));
        r
    }
    fn is_dir(&self, path: &Path) -> bool {
        let r = self.inner.is_dir(path);
        self.note(Answer::IsDir(path.to_path_buf(), r));
        r
    }
    fn exists(&self, path: &Path) -> bool {
        let r = self.inner.exists(path);
        self.note(Answer::Exists(path.to_path_buf(), r));
        r
    }
    fn list(&self, dir: &Path, recursive: bool) -> std::io::Result<Vec<PathBuf>> {
        let r = self.inner.list(dir, recursive);
        let answer = r.as_ref().map(Vec::clone).map_err(|e| e.kind());
        self.note(Answer::List(dir.to_path_buf(), recursive, answer));
        r
    }
    fn glob(&self, pattern: &Path) -> std::io::Result<Vec<PathBuf>> {
        let r = self.inner.glob(pattern);
        let answer = r.as_ref().map(Vec::clone).map_err(|e| e.kind());
        self.note(Answer::Glob(pattern.to_path_buf(), answer));
        r
    }
}
