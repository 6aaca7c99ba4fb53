//! Writing JSON text straight into a buffer, byte for byte as serde_json would, for the bulk
//! outputs (the `evaluate` NDJSON, the eligibility export) that skip building values.

use crate::catalog::EntityRef;

/// Whether serde_json escapes something in `text`: a quote, a backslash or a control character.
fn needs_escape(text: &str) -> bool {
    // No early exit: the compiler checks many bytes at a time.
    text.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// Appends `text` as a JSON string: as is when nothing needs escaping, otherwise by serde_json.
pub fn string(out: &mut Vec<u8>, text: &str) {
    if needs_escape(text) {
        // Writing a string to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, text);
    } else {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Appends an entity ref as a JSON string, `kind:namespace/name`, without building it first.
pub fn entity_ref(out: &mut Vec<u8>, r: &EntityRef) {
    if needs_escape(r.as_str()) {
        string(out, r.as_str());
        return;
    }
    out.push(b'"');
    out.extend_from_slice(r.as_str().as_bytes());
    out.push(b'"');
}
