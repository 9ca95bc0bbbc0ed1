//! One SSH connection per host for a full audit: when the command asks for it,
//! the storage/network facts script runs on the session that just read the
//! host's CPUID, inside the same per-host deadline, and its output waits here
//! for the facts phase ([`take`]). A second connection per host (another key
//! exchange, another `ssh` process) doubled the client CPU and the wall time of
//! a 200-host audit against `--only cpu`.
//!
//! Every command in the script runs under its own time limit on the host
//! (`facts::script`), so a stuck optional fact delays the host's CPU row by at
//! most that limit. Concurrency stays bounded: the script runs on the pool
//! worker that holds the session.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::{RemoteKind, Target};

/// Builds the facts script for a kind of host (given by the facts layer).
pub type ScriptFor = fn(RemoteKind) -> String;

static SCRIPT_FOR: OnceLock<ScriptFor> = OnceLock::new();
static OUTPUTS: Mutex<Option<HashMap<String, Result<String, String>>>> = Mutex::new(None);

/// Asks every following CPU collection to run `script_for(kind)` on its session
/// too and keep the output for [`take`].
pub fn enable(script_for: ScriptFor) {
    let _ = SCRIPT_FOR.set(script_for);
}

/// The script to run on `kind`'s session, when [`enable`]d.
pub(crate) fn script(kind: RemoteKind) -> Option<String> {
    SCRIPT_FOR.get().map(|f| f(kind))
}

/// Keeps a host's facts script output (stdout text) or why it failed.
pub(crate) fn store(target: &Target, output: Result<String, String>) {
    let mut guard = OUTPUTS.lock().unwrap_or_else(|p| p.into_inner());
    guard
        .get_or_insert_with(HashMap::new)
        .insert(target.to_string(), output);
}

/// The facts script output read on `target`'s CPU session, if there is one
/// (taken: a second call gets `None`).
pub fn take(target: &Target) -> Option<Result<String, String>> {
    let mut guard = OUTPUTS.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_mut()?.remove(&target.to_string())
}
