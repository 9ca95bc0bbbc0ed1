//! The crate's error type. Every error says what was being read (file and line,
//! or host and command) and what was expected, so a user can act on it.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in vmcompat. Input, I/O, collection and usage
/// errors exit with code 2; [`Error::Internal`] (a bug) with [`Error::exit_code`]'s 70.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Malformed input: a file (or other named text) that does not say what it should.
    #[error("{origin}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Input {
        /// File path or other name of the input.
        origin: String,
        /// 1-based line number, where one applies.
        line: Option<usize>,
        /// What was wrong, and what was expected.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: error {action} file: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What was being done ("reading", "writing").
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// CPUID could not be collected from a host.
    #[error("{host}: {message}")]
    Collect {
        /// The host (or "local").
        host: String,
        /// What failed, and what to do about it.
        message: String,
    },
    /// The command line asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// vmcompat's own check of its result failed (a bug, not bad input): the result
    /// is withheld.
    #[error(
        "internal check failed, result withheld (a vmcompat bug, not bad input; \
         please report it): {0}"
    )]
    Internal(String),
}

/// The exit code of an internal error (a vmcompat bug): `EX_SOFTWARE` of
/// BSD's sysexits.h, apart from 2 (bad input or failure to collect).
pub const INTERNAL_EXIT_CODE: u8 = 70;

impl Error {
    /// The process exit code for this error: 2 for bad input, I/O, collection
    /// and usage errors; [`INTERNAL_EXIT_CODE`] for a bug.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Internal(_) => INTERNAL_EXIT_CODE,
            _ => 2,
        }
    }

    /// A malformed-input error at a given line.
    pub fn at_line(origin: impl Into<String>, line: usize, message: impl Into<String>) -> Error {
        Error::Input {
            origin: origin.into(),
            line: Some(line),
            message: message.into(),
        }
    }

    /// A malformed-input error about a whole input.
    pub fn input(origin: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Input {
            origin: origin.into(),
            line: None,
            message: message.into(),
        }
    }

    /// An I/O error while reading `path`.
    pub fn reading(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            action: "reading",
            source,
        }
    }

    /// An I/O error while writing `path`.
    pub fn writing(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            action: "writing",
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// The error of a parse of shipped data (`masks/`, `evc/`) kept in a `OnceLock`
/// cache: [`Error`] is not `Clone`, so the parts are stored and the error is
/// rebuilt at each call ([`StoredError::error`]).
#[derive(Debug, Clone)]
pub struct StoredError {
    origin: String,
    line: Option<usize>,
    message: String,
}

impl StoredError {
    /// Keeps `e`; an error that is not an input error is kept under `origin`.
    pub fn keep(e: Error, origin: &str) -> Self {
        match e {
            Error::Input {
                origin,
                line,
                message,
            } => StoredError {
                origin,
                line,
                message,
            },
            other => StoredError {
                origin: origin.to_string(),
                line: None,
                message: other.to_string(),
            },
        }
    }

    /// The stored error as an input error naming its file and line.
    pub fn error(&self) -> Error {
        Error::Input {
            origin: self.origin.clone(),
            line: self.line,
            message: self.message.clone(),
        }
    }
}
