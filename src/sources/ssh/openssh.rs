//! The OpenSSH-client transport: one `ssh -T -o BatchMode=yes ... sh` per host,
//! commands written to that remote shell one after another and their ends found by
//! markers. It honours ~/.ssh/config, ProxyJump and certificates; known_hosts and
//! its `@revoked` lines are checked by `ssh` itself.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::transport::{
    too_much_output, Abort, Output, Session, MAX_STDERR_BYTES, MAX_STDOUT_BYTES,
};
use super::{FailureKind, RemoteError, SshOptions, Target};

enum Msg {
    Out(Vec<u8>),
    Err(Vec<u8>),
    OutEof,
    ErrEof,
}

/// A remote shell behind an `ssh` process.
pub struct OpensshSession {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Msg>,
    out: Vec<u8>,
    err: Vec<u8>,
    out_eof: bool,
    err_eof: bool,
    seq: u64,
    /// A random token in every end marker, so no output can fake one.
    token: String,
    target: Target,
    abort: Arc<Abort>,
}

fn pump(mut r: impl Read + Send + 'static, tx: mpsc::Sender<Msg>, is_err: bool) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(if is_err { Msg::ErrEof } else { Msg::OutEof });
                    return;
                }
                Ok(n) => {
                    let chunk = buf[..n].to_vec();
                    let m = if is_err {
                        Msg::Err(chunk)
                    } else {
                        Msg::Out(chunk)
                    };
                    if tx.send(m).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// The `ssh` command line for a target (without the remote command).
pub fn ssh_args(target: &Target, opts: &SshOptions) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "-T".into(),
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        format!("ConnectTimeout={}", opts.connect_timeout.as_secs().max(1)),
        "-o".into(),
        format!(
            "StrictHostKeyChecking={}",
            if opts.accept_new_host_keys {
                "accept-new"
            } else {
                "yes"
            }
        ),
    ];
    if let Some(kh) = &opts.known_hosts {
        a.extend([
            "-o".into(),
            format!("UserKnownHostsFile={}", kh.display()),
            "-o".into(),
            "GlobalKnownHostsFile=/dev/null".into(),
        ]);
    }
    if let Some(id) = &opts.identity {
        a.extend([
            "-i".into(),
            id.display().to_string(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
        ]);
    }
    a.extend([
        "-p".into(),
        target.port.to_string(),
        "-l".into(),
        target.user.clone(),
        "--".into(),
        target.host.clone(),
    ]);
    a
}

/// Starts `ssh` and waits until the remote shell answers.
pub fn connect(
    target: &Target,
    opts: &SshOptions,
    abort: &Arc<Abort>,
) -> Result<Box<dyn Session>, RemoteError> {
    abort.note("starting ssh");
    if opts.accept_new_host_keys {
        // ssh appends new keys as they are: a last line without its line feed
        // would be glued to the new entry and the host it pins lost.
        for f in super::known_hosts::files(opts.known_hosts.as_deref())
            .iter()
            .take(1)
        {
            let _ = super::known_hosts::ensure_final_newline(f);
        }
    }
    let mut child = Command::new("ssh")
        .args(ssh_args(target, opts))
        .arg("sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            RemoteError::new(
                FailureKind::CommandMissing,
                format!(
                    "cannot run the local OpenSSH client `ssh`: {e}. Install openssh-client, or use \
                     `ssh_backend = \"libssh2\"`"
                ),
            )
        })?;
    abort.set_pid(child.id());
    let (tx, rx) = mpsc::channel();
    if let Some(o) = child.stdout.take() {
        pump(o, tx.clone(), false);
    }
    if let Some(e) = child.stderr.take() {
        pump(e, tx, true);
    }
    let stdin = child.stdin.take();
    let mut s = OpensshSession {
        child,
        stdin,
        rx,
        out: Vec::new(),
        err: Vec::new(),
        out_eof: false,
        err_eof: false,
        seq: 0,
        token: super::transport::random_token(),
        target: target.clone(),
        abort: Arc::clone(abort),
    };
    abort.note("SSH connection (ssh client)");
    // The first command proves the connection, host key and authentication.
    s.exec("true", opts.deadline).map_err(|e| {
        if e.kind == FailureKind::TimedOut {
            RemoteError::new(
                FailureKind::TimedOut,
                format!(
                    "ssh to {target} did not log in within {} s",
                    opts.deadline.as_secs_f64()
                ),
            )
        } else {
            e
        }
    })?;
    Ok(Box::new(s))
}

/// Classifies what `ssh` printed when it gave up.
pub fn classify(stderr: &str, target: &Target) -> RemoteError {
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    let fp = stderr
        .split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .unwrap_or("(fingerprint not shown)")
        .trim_end_matches('.');
    let has = |s: &str| stderr.contains(s);
    let (kind, msg) = if has("REVOKED HOST KEY") || has("revoked") {
        (
            FailureKind::RevokedHostKey,
            format!("ssh refused {target}: its host key {fp} is marked @revoked in known_hosts; not connecting"),
        )
    } else if has("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        (
            FailureKind::ChangedHostKey,
            format!(
                "{target} presented host key {fp}, which differs from the one in known_hosts. This can be \
                 a man-in-the-middle attack, or the host was reinstalled: verify the fingerprint out of \
                 band, then remove the old entry (ssh-keygen -R HOST)"
            ),
        )
    } else if has("host key is known for") || has("Host key verification failed") {
        (
            FailureKind::UnknownHostKey,
            format!(
                "{target} is not in known_hosts ({last}). Verify its fingerprint, then add the key \
                 (ssh-keyscan), or opt in with `accept_new_host_keys = true` / --accept-new-host-keys"
            ),
        )
    } else if has("Connection refused") {
        (
            FailureKind::Refused,
            format!(
                "nothing accepts connections on {}:{}; is sshd running, and is the port right?",
                target.host, target.port
            ),
        )
    } else if has("timed out") || has("Connection timed out") {
        (FailureKind::TimedOut, format!("ssh to {target}: {last}"))
    } else if has("Permission denied") {
        (
            FailureKind::AuthFailed,
            format!(
                "no key accepted for user {:?} ({last}). Put your public key in the host's \
                 authorized_keys, load it into ssh-agent, or set `identity`; vmcompat never prompts",
                target.user
            ),
        )
    } else {
        (
            FailureKind::Connect,
            format!(
                "ssh to {target} failed: {}",
                crate::util::text::snippet(stderr, 300)
            ),
        )
    };
    RemoteError::new(kind, msg)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl OpensshSession {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.abort.clear_pid();
    }

    /// The stdout end marker, if complete: (start, end, status).
    /// `from`: where to start looking (what was searched before, less the tag's
    /// length), so a long output is scanned once, not once per chunk.
    fn out_marker(&self, tag: &[u8], from: usize) -> Option<(usize, usize, Option<i32>)> {
        let start = from + find(&self.out[from.min(self.out.len())..], tag)?;
        let rest = &self.out[start + tag.len()..];
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let status = std::str::from_utf8(&rest[..nl])
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        Some((start, start + tag.len() + nl + 1, status))
    }
}

impl Session for OpensshSession {
    fn exec(&mut self, command: &str, timeout: Duration) -> Result<Output, RemoteError> {
        self.seq += 1;
        // The markers carry 128 random bits: a command's output cannot guess
        // them, so it cannot fake the end of its own output.
        let tag = format!("\n@@VMCOMPAT-END-{}-{} ", self.token, self.seq);
        let etag = format!("\n@@VMCOMPAT-END-{}-{}\n", self.token, self.seq);
        let script = format!(
            "( {command}\n) </dev/null; printf '{}%s\\n' \"$?\"; printf '{}' >&2\n",
            tag.replace('\n', "\\n"),
            etag.replace('\n', "\\n")
        );
        let what = format!(
            "running `{}` on {}",
            crate::util::text::snippet(command, 60),
            self.target
        );
        let written = match self.stdin.as_mut() {
            Some(w) => w
                .write_all(script.as_bytes())
                .and_then(|()| w.flush())
                .is_ok(),
            None => false,
        };
        let deadline = Instant::now() + timeout;
        let mut marker = None;
        let mut cmd_err: Option<Vec<u8>> = None;
        let (mut out_from, mut err_from) = (0usize, 0usize);
        loop {
            if marker.is_none() {
                marker = self.out_marker(tag.as_bytes(), out_from);
                out_from = self.out.len().saturating_sub(tag.len() + 16);
            }
            if cmd_err.is_none() {
                let from = err_from.min(self.err.len());
                err_from = self.err.len().saturating_sub(etag.len());
                if let Some(p) = find(&self.err[from..], etag.as_bytes()).map(|p| p + from) {
                    let rest = self.err.split_off(p + etag.len());
                    let mut mine = std::mem::replace(&mut self.err, rest);
                    mine.truncate(p);
                    cmd_err = Some(mine);
                }
            }
            if let (Some((start, end, status)), Some(stderr)) = (marker, cmd_err.as_ref()) {
                let stdout = self.out[..start].to_vec();
                self.out.drain(..end);
                let stderr = stderr.clone();
                return Ok(Output {
                    stdout,
                    stderr,
                    status,
                });
            }
            if self.out_eof && (self.err_eof || marker.is_none()) {
                // The ssh process has gone: either it never logged in or the shell died.
                while !self.err_eof {
                    match self.rx.recv_timeout(Duration::from_secs(2)) {
                        Ok(Msg::Err(b)) => self.err.extend_from_slice(&b),
                        Ok(Msg::ErrEof) | Err(_) => self.err_eof = true,
                        Ok(_) => {}
                    }
                }
                let stderr = super::text(&self.err);
                self.kill();
                if self.seq == 1 || !written {
                    return Err(classify(&stderr, &self.target));
                }
                return Err(RemoteError::new(
                    FailureKind::Connect,
                    format!(
                        "{what}: the connection closed before the command finished ({})",
                        crate::util::text::snippet(&stderr, 200)
                    ),
                ));
            }
            let caps = [
                (self.out.len(), MAX_STDOUT_BYTES + tag.len() + 16, "stdout"),
                (self.err.len(), MAX_STDERR_BYTES + etag.len(), "stderr"),
            ];
            if let Some(&(_, cap, stream)) = caps.iter().find(|(len, cap, _)| len > cap) {
                self.kill();
                return Err(too_much_output(&what, stream, cap));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Msg::Out(b)) => self.out.extend_from_slice(&b),
                Ok(Msg::Err(b)) => self.err.extend_from_slice(&b),
                Ok(Msg::OutEof) => self.out_eof = true,
                Ok(Msg::ErrEof) => self.err_eof = true,
                Err(RecvTimeoutError::Timeout) => {
                    self.kill();
                    return Err(RemoteError::new(
                        FailureKind::TimedOut,
                        format!("{what}: no end within {} s", timeout.as_secs_f64()),
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.out_eof = true;
                    self.err_eof = true;
                }
            }
        }
    }

    fn close(&mut self) {
        drop(self.stdin.take());
        let until = Instant::now() + Duration::from_secs(1);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(10)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
            }
        }
        self.abort.clear_pid();
    }
}

impl Drop for OpensshSession {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}
