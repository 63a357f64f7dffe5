//! Prongsai's domain: the plan of integrity measures of one agency-year, its Automerge documents,
//! the merged view the central office sees, and the Thai conventions official output follows.
//!
//! Invariant: this crate performs no IO. It reads no clock, socket or file; time and ids are
//! passed in. It builds for `wasm32-unknown-unknown`.

pub mod access;
pub mod admin;
pub mod agency_year;
pub mod app;
pub mod calendar;
pub mod conflicts;
pub mod detail;
pub mod divisions;
pub mod docs;
pub mod durability;
pub mod edit;
pub mod filetype;
pub mod hash;
pub mod history;
pub mod incoming;
pub mod ita;
pub mod itas;
pub mod model;
pub mod notifications;
pub mod position;
pub mod profile;
pub mod report_format;
pub mod report_model;
pub mod sample;
pub mod signing;
pub mod thai;
pub mod totp;
pub mod tracks;
pub mod verification;
pub mod view;
pub mod wire;

pub use agency_year::AgencyYear;
pub use calendar::{Date, FiscalQuarter, FiscalYear, Schedule};
pub use docs::{CommitMeta, DocError};
pub use model::{DocKey, DocKind};
pub use view::{MergedView, merged_view};

/// Re-exported so that dependants use the same Automerge as the documents.
pub use automerge;
pub use autosurgeon;
