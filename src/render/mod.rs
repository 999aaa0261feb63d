//! Output formats: one emitter per file, each a function over a [`Report`] (lint) or a
//! [`crate::diff::DiffReport`] (`diff_*.rs`).
//!
//! Emitters only read diagnostics; adding a format never touches the engine.

pub mod diff_json;
pub mod diff_markdown;
pub mod diff_text;
pub mod json;
pub mod text;

use crate::diagnostic::{Diagnostic, InputError, Summary};

/// Everything an emitter may show about a lint run.
#[derive(Debug)]
pub struct Report<'a> {
    /// Findings, sorted.
    pub diagnostics: &'a [Diagnostic],
    /// Counts.
    pub summary: &'a Summary,
    /// Inputs that could not be read.
    pub errors: &'a [InputError],
    /// Central waivers added in this change (`lint --waivers-base`), each needing approval.
    pub new_waivers: &'a [crate::waiver::NewWaiverNote],
}
