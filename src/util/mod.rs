//! Helpers every layer may use and that know nothing of CPUs or hosts: the
//! error type, terminal-safe text, atomic and size-bounded file I/O, and text
//! helpers for messages and data files.

pub mod atomic_file;
pub mod error;
pub mod local_file;
pub mod safe_text;
pub mod text;
pub mod vmx_syntax;
