//! What every SSH backend offers: run a command, get its output and exit status;
//! and a handle that tears the connection down from another thread at the deadline.

use std::net::TcpStream;
use std::sync::Mutex;
use std::time::Duration;

use super::RemoteError;

/// The most standard output one remote command may print (32 MiB): a full
/// `cpuid -r` of a 1,024-thread host is about 5 MB. Past it the command is
/// stopped and the host reported, instead of buffering without bound (a host
/// whose `cpuid` never stops writing grew vmcompat to gigabytes).
pub const MAX_STDOUT_BYTES: usize = 32 << 20;

/// The most standard error one remote command may print (1 MiB).
pub const MAX_STDERR_BYTES: usize = 1 << 20;

/// The error for a command whose output passed a cap.
pub fn too_much_output(what: &str, stream: &str, cap: usize) -> RemoteError {
    RemoteError::new(
        super::FailureKind::Malformed,
        format!(
            "{what}: printed more than {} MiB on {stream}; stopped reading (a CPUID dump or \
             a storage/network listing is far smaller: is the command right?)",
            cap >> 20
        ),
    )
}

/// 128 random bits as 32 hex digits, from the kernel (`getrandom(2)`), for
/// markers a remote host cannot guess. Falls back to the clock, the process id and
/// a stack address hashed with SHA-256 if the kernel has no getrandom.
pub fn random_token() -> String {
    let mut buf = [0u8; 16];
    // SAFETY: getrandom writes at most buf.len() bytes into buf.
    let n = unsafe { libc::getrandom(buf.as_mut_ptr().cast(), buf.len(), 0) };
    if usize::try_from(n).ok() != Some(buf.len()) {
        use sha2::Digest;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let local = 0u8;
        let seed = format!("{now} {} {:p}", std::process::id(), &local);
        buf.copy_from_slice(&sha2::Sha256::digest(seed.as_bytes())[..16]);
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The result of one remote command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output, raw.
    pub stdout: Vec<u8>,
    /// Standard error, raw.
    pub stderr: Vec<u8>,
    /// Exit status; `None` when the command was killed by a signal or none was sent.
    pub status: Option<i32>,
}

/// An open SSH session to one host.
pub trait Session: Send {
    /// Runs `command` through the remote user's shell, waiting at most `timeout`.
    fn exec(&mut self, command: &str, timeout: Duration) -> Result<Output, RemoteError>;
    /// Closes the session politely (best effort, never blocks long).
    fn close(&mut self);
}

#[derive(Debug, Default)]
struct AbortState {
    aborted: bool,
    stream: Option<TcpStream>,
    pid: Option<u32>,
    activity: Option<String>,
}

/// Lets the thread that waits for a host tear its connection down at the deadline:
/// the socket is shut down (libssh2) or the `ssh` process killed (OpenSSH), so the
/// worker thread's blocking calls return at once.
#[derive(Debug, Default)]
pub struct Abort {
    state: Mutex<AbortState>,
}

impl Abort {
    fn with<R>(&self, f: impl FnOnce(&mut AbortState) -> R) -> R {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Registers the connection's socket (a clone); shut down at once if already aborted.
    pub fn set_stream(&self, stream: TcpStream) {
        self.with(|s| {
            if s.aborted {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
            s.stream = Some(stream);
        });
    }

    /// Registers the `ssh` process; killed at once if already aborted.
    pub fn set_pid(&self, pid: u32) {
        self.with(|s| {
            if s.aborted {
                kill(pid);
            }
            s.pid = Some(pid);
        });
    }

    /// Forgets the `ssh` process (once it has been reaped, its pid may be reused).
    pub fn clear_pid(&self) {
        self.with(|s| s.pid = None);
    }

    /// Records what the worker is doing now (for the timeout message).
    pub fn note(&self, activity: impl Into<String>) {
        let a = activity.into();
        self.with(|s| s.activity = Some(a));
    }

    /// What the worker was doing last, if it said.
    pub fn activity(&self) -> Option<String> {
        self.with(|s| s.activity.clone())
    }

    /// Tears the connection down.
    pub fn abort(&self) {
        self.with(|s| {
            s.aborted = true;
            if let Some(stream) = &s.stream {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
            if let Some(pid) = s.pid {
                kill(pid);
            }
        });
    }
}

fn kill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a pid this process spawned and has not yet reaped
        // (the spawning thread reaps it only after this handle is dropped).
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}
