//! Which sessions a routine named on the command line stands for (`hipvoice history NAME`).

/// The sessions a routine named on the command line stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// A routine that exists: the sessions of its source (`builtin:ID` or `file:PATH`, as
    /// [`super::source_of`] keys them), so a copy of a file, or another file with the same id,
    /// is another routine. `title` names it in messages.
    Source { key: String, title: String },
    /// A name no routine has today (a file since deleted): the sessions recorded under that
    /// routine id, or under that file (`file:` and the absolute path).
    Gone { id: String, key: String },
}

impl Pick {
    /// How messages name it: the routine's title, or the name given.
    pub fn label(&self) -> &str {
        match self {
            Pick::Source { title, .. } => title,
            Pick::Gone { id, .. } => id,
        }
    }
}

/// The condition on `sessions` that picks `p`'s sessions, and its two parameters (`?1`, `?2`).
pub fn picked(p: &Pick) -> (&'static str, [&str; 2]) {
    match p {
        Pick::Source { key, .. } => ("(routine_key = ?1 AND ?2 IS NOT NULL)", [key, ""]),
        Pick::Gone { id, key } => ("(routine_key = ?2 OR routine_id = ?1)", [id, key]),
    }
}
