//! The routines shipped in `routines/`, compiled into the binary so `hipvoice stretch` works from
//! any folder after `cargo install`.

use super::{Origin, Routine};
use crate::diag::Diagnostics;

/// A shipped routine: its id, the name its diagnostics use, and its text.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub id: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

pub const BUILTIN: [Builtin; 2] = [
    Builtin {
        id: "stretch",
        file: "routines/stretch.toml",
        text: include_str!("../../routines/stretch.toml"),
    },
    Builtin {
        id: "strengthen",
        file: "routines/strengthen.toml",
        text: include_str!("../../routines/strengthen.toml"),
    },
];

pub fn builtin_source(id: &str) -> Option<&'static Builtin> {
    BUILTIN.iter().find(|b| b.id == id)
}

impl Builtin {
    pub fn load(&self) -> Result<Routine, Diagnostics> {
        super::parse(self.file, self.text, Origin::Builtin)
    }
}
