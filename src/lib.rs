//! tech-health: scores Backstage catalog entities against Golden Tech standards.

pub mod catalog;
pub mod source;
