//! Text helpers every layer uses for messages and data files: a one-line
//! snippet of untrusted text, byte offsets to line numbers (one lookup, or an
//! index for many), TOML errors with their line, and the shipped data files'
//! name rule.

use crate::util::error::Error;

/// At most `n` characters of `s` (one line, for messages).
pub fn snippet(s: &str, n: usize) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n {
        format!("{}...", one.chars().take(n).collect::<String>())
    } else {
        one
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// Byte offsets to 1-based lines for many lookups in one text (a fleet file of
/// 100,000 hosts asks 200,000 times): a binary search over line starts.
pub struct LineIndex(Vec<usize>);

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex(starts)
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        match self.0.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// A shipped data file whose `name` is not its file name without `.toml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("name {name:?} must equal the file name without .toml ({stem:?})")]
pub struct NameNotFileName {
    /// The name the file gives.
    pub name: String,
    /// Its file name without `.toml`.
    pub stem: String,
}

/// For the data files shipped with vmcompat (`profiles/`, `masks/`): a file's
/// `name` must be its file name without `.toml`, so that the name people type
/// finds the file. The error message says what is expected.
pub fn name_matches_file(name: &str, origin: &str) -> std::result::Result<(), NameNotFileName> {
    let stem = origin
        .rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".toml"))
        .unwrap_or(origin);
    if name == stem {
        Ok(())
    } else {
        Err(NameNotFileName {
            name: name.to_string(),
            stem: stem.to_string(),
        })
    }
}

/// Turns a TOML error into ours, with the line it points at.
pub fn toml_error(text: &str, origin: &str, e: &toml::de::Error) -> Error {
    let message = e.message().to_string();
    match e.span() {
        Some(span) => Error::at_line(origin, line_of(text, span.start), message),
        None => Error::input(origin, message),
    }
}
