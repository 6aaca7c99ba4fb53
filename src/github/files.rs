//! A repository's files fetched from GitHub, as the scanner's [`FileTree`]: the listing comes
//! first, file contents as the scanner asks for them. Reads of files not fetched yet are
//! recorded, fetched in the next GraphQL round, and the scan runs again.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io;

use crate::scanner::{FileTree, TreeFile};

#[derive(Debug, Default)]
pub struct RemoteTree {
    files: Vec<TreeFile>,
    /// Contents fetched, or why a file cannot be read.
    blobs: BTreeMap<String, Result<Vec<u8>, String>>,
    /// Files the scanner asked for that are not fetched yet.
    wanted: RefCell<BTreeSet<String>>,
}

impl RemoteTree {
    pub fn new(files: Vec<(String, u64)>) -> Self {
        RemoteTree {
            files: files
                .into_iter()
                .map(|(path, size)| TreeFile { path, size })
                .collect(),
            ..RemoteTree::default()
        }
    }

    pub fn has(&self, path: &str) -> bool {
        self.files.iter().any(|f| f.path == path)
    }

    pub fn add_blob(&mut self, path: String, content: Result<Vec<u8>, String>) {
        self.blobs.insert(path, content);
    }

    /// The text of a fetched file.
    pub fn text(&self, path: &str) -> Option<&str> {
        match self.blobs.get(path) {
            Some(Ok(bytes)) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// The files asked for since the last call, and forgets them.
    pub fn take_wanted(&self) -> Vec<String> {
        std::mem::take(&mut *self.wanted.borrow_mut())
            .into_iter()
            .collect()
    }
}

impl FileTree for RemoteTree {
    fn files(&self) -> io::Result<Vec<TreeFile>> {
        Ok(self.files.clone())
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        match self.blobs.get(path) {
            Some(Ok(bytes)) => Ok(bytes.clone()),
            Some(Err(why)) => Err(io::Error::other(why.clone())),
            None => {
                self.wanted.borrow_mut().insert(path.to_string());
                Err(io::Error::new(io::ErrorKind::NotFound, "not fetched yet"))
            }
        }
    }
}

/// The bytes of a `Blob` object read with [`super::graphql::Read::Blob`].
pub fn blob_content(object: Option<&serde_json::Value>) -> Result<Vec<u8>, String> {
    let Some(o) = object else {
        return Err("not found at the scanned commit".into());
    };
    let flag = |k: &str| o.get(k).and_then(serde_json::Value::as_bool) == Some(true);
    if flag("isBinary") {
        return Err("a binary file".into());
    }
    if flag("isTruncated") {
        return Err("GitHub truncated its text".into());
    }
    match o.get("text").and_then(serde_json::Value::as_str) {
        Some(t) => Ok(t.as_bytes().to_vec()),
        None => Err("GitHub gave no text".into()),
    }
}
