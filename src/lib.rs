//! vmcompat: can a running VM move from this x86 host to that one, and if not,
//! what exactly must change?
//!
//! Data flows one way (ARCHITECTURE.md): [`sources`] read a host into a
//! [`cpuid::RawDump`] (and [`model`] facts); [`decode`] turns it, through the
//! feature [`catalog`], into a [`decode::Cpu`]; [`analysis`] compares CPUs and
//! facts (with [`mask`] and the [`shipped`] tables); [`render`] formats results;
//! [`commands`] wire these together for the CLI, whose flags only [`cli`] knows.
//! Each module uses only the ones before it (tests/architecture.rs checks).

pub mod util;

pub mod cpuid;

pub mod catalog;

pub mod decode;

pub mod mask;

pub mod model;

pub mod shipped;

pub mod analysis;
pub mod sources;

pub mod render;

pub mod cli;

pub mod commands;

pub use util::error::{Error, Result};
