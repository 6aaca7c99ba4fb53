//! Rows of a change, either built or made a batch at a time while the transaction writes
//! them: a whole fleet's results or envelopes are never held at once.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

type Maker<T> = Arc<dyn Fn(Range<usize>) -> Vec<T> + Send + Sync>;

#[derive(Clone)]
pub enum Rows<T> {
    Built(Vec<T>),
    /// `len` rows; `make(range)` builds the rows of `range`.
    Made {
        len: usize,
        make: Maker<T>,
    },
}

impl<T: Clone> Rows<T> {
    /// `len` rows made on demand by `make`, which is given ranges within `0..len`.
    pub fn made(len: usize, make: impl Fn(Range<usize>) -> Vec<T> + Send + Sync + 'static) -> Self {
        Rows::Made {
            len,
            make: Arc::new(make),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::Built(rows) => rows.len(),
            Rows::Made { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows in batches of at most `size`, in order.
    pub fn batches(&self, size: usize) -> impl Iterator<Item = Cow<'_, [T]>> + '_ {
        let size = size.max(1);
        (0..self.len()).step_by(size).map(move |start| {
            let end = start.saturating_add(size).min(self.len());
            match self {
                Rows::Built(rows) => Cow::Borrowed(&rows[start..end]),
                Rows::Made { make, .. } => Cow::Owned(make(start..end)),
            }
        })
    }

    /// Adds a row at the end (rows made on demand are built first).
    pub fn push(&mut self, row: T) {
        if let Rows::Made { .. } = self {
            *self = Rows::Built(self.to_vec());
        }
        if let Rows::Built(rows) = self {
            rows.push(row);
        }
    }

    /// Every row, built (for tests and small changes).
    pub fn to_vec(&self) -> Vec<T> {
        self.batches(usize::MAX).flat_map(Cow::into_owned).collect()
    }
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows::Built(Vec::new())
    }
}

impl<T> From<Vec<T>> for Rows<T> {
    fn from(rows: Vec<T>) -> Self {
        Rows::Built(rows)
    }
}

impl<T> FromIterator<T> for Rows<T> {
    fn from_iter<I: IntoIterator<Item = T>>(rows: I) -> Self {
        Rows::Built(rows.into_iter().collect())
    }
}

impl<T: fmt::Debug> fmt::Debug for Rows<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rows::Built(rows) => rows.fmt(f),
            Rows::Made { len, .. } => write!(f, "<{len} rows made on demand>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_and_made_rows_give_the_same_batches() {
        let built: Rows<usize> = (0..10).collect::<Vec<_>>().into();
        let made = Rows::made(10, |r: Range<usize>| r.collect());
        for rows in [&built, &made] {
            let batches: Vec<Vec<usize>> = rows.batches(4).map(Cow::into_owned).collect();
            assert_eq!(
                batches,
                vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]
            );
            assert_eq!(rows.len(), 10);
            assert_eq!(rows.to_vec(), (0..10).collect::<Vec<_>>());
        }
        assert!(Rows::<usize>::default().batches(4).next().is_none());
    }
}
