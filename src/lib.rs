//! tech-health: scores Backstage catalog entities against Golden Tech standards, certifies a
//! level per track, and decides which entities may receive automated fleet changes.

pub mod api;
pub mod catalog;
pub mod certification;
pub mod cli;
pub mod collectors;
pub mod config;
pub mod evaluate;
pub mod facts;
pub mod fleet;
pub mod fuzzing;
pub mod github;
pub mod governance;
pub mod health;
pub mod intern;
pub(crate) mod json_out;
pub mod preview;
pub mod radar;
pub mod rules;
pub mod scanner;
pub mod service;
pub mod settings;
pub mod source;
pub mod store;
