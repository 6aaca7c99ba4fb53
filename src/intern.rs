//! Texts held once however many values repeat them (blocking-reason sentences, collector
//! names): a fleet repeats a few of them hundreds of thousands of times.

use std::sync::Arc;

use parking_lot::Mutex;
use rustc_hash::FxHashSet;

/// A set of shared texts. Bounded: past `MAX` distinct texts (say, sentences quoting an
/// entity's own values), a new text is no longer kept for sharing. Clones share the set.
#[derive(Debug, Clone, Default)]
pub struct Texts(Arc<Mutex<FxHashSet<Arc<str>>>>);

impl Texts {
    const MAX: usize = 4096;

    /// `text`, shared with every earlier equal one.
    pub fn get(&self, text: &str) -> Arc<str> {
        let mut set = self.0.lock();
        if let Some(shared) = set.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        if set.len() < Self::MAX {
            set.insert(shared.clone());
        }
        shared
    }
}

/// A short text that values across the process repeat (a collector's name, `apiVersion`,
/// `kind`), shared with every earlier equal one.
pub fn shared(text: &str) -> Arc<str> {
    static WORDS: std::sync::LazyLock<Texts> = std::sync::LazyLock::new(Default::default);
    WORDS.get(text)
}

#[cfg(test)]
mod tests {
    use super::Texts;
    use std::sync::Arc;

    #[test]
    fn equal_texts_share_one_allocation_up_to_the_bound() {
        let texts = Texts::default();
        let a = texts.get("owner-unknown");
        let b = texts.get(&String::from("owner-unknown"));
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..Texts::MAX {
            texts.get(&i.to_string());
        }
        let late = texts.get("late");
        assert_eq!(&*late, "late");
        assert!(!Arc::ptr_eq(&late, &texts.get("late")));
    }
}
