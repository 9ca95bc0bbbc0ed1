//! One SSH round trip per host: a shell script runs each command between
//! markers, so one output carries every command's text and exit status, and a
//! missing command is reported as such.

use std::collections::BTreeMap;

const BEGIN: &str = "@@vmcompat-begin";
const END: &str = "@@vmcompat-end";
const TOKEN: &str = "@@vmcompat-token ";

/// Seconds each command of the script may run on the host before it is killed
/// (a `virsh` with no daemon, an `ovs-vsctl` with no database, a hung NFS
/// mount): its part is then [`Part::TimedOut`] and the other parts still come.
pub const COMMAND_LIMIT_SECS: u64 = 5;

/// What one command of the script produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// It ran and exited 0: its output (stdout and stderr).
    Ok(String),
    /// It ran and failed: exit status and output.
    Failed(i32, String),
    /// It is not installed on the host.
    Missing,
    /// It was killed after [`COMMAND_LIMIT_SECS`] without finishing; what it
    /// printed until then.
    TimedOut(String),
}

/// Builds the script: `commands` are (key, shell command); the first word of a
/// command is checked with `command -v` (unless it is shell code, marked by a
/// leading `!`). Every command runs with stdin from /dev/null under a watchdog
/// that kills it after [`COMMAND_LIMIT_SECS`]. The markers carry a random token,
/// printed first, so no command's output can fake the end of its part or the
/// start of another.
pub fn build(commands: &[(&str, &str)]) -> String {
    let token = crate::sources::ssh::transport::random_token();
    let mut s = format!(
        "vmc_t={token}\n\
         echo \"{TOKEN}$vmc_t\"\n\
         vmc_lim() {{ \"$@\" </dev/null 2>&1 & vmc_p=$!; \
         ( sleep {COMMAND_LIMIT_SECS}; kill -9 $vmc_p ) >/dev/null 2>&1 </dev/null & vmc_w=$!; \
         wait $vmc_p; vmc_rc=$?; kill $vmc_w 2>/dev/null; \
         [ $vmc_rc = 137 ] && vmc_rc=timeout; }}\n\
         vmc_run() {{ k=$1; shift; echo \"{BEGIN}-$vmc_t $k\"; \
         if command -v \"$1\" >/dev/null 2>&1; then vmc_lim \"$@\"; echo; echo \"{END}-$vmc_t $k $vmc_rc\"; \
         else echo \"{END}-$vmc_t $k missing\"; fi; }}\n",
    );
    for (n, (key, cmd)) in commands.iter().enumerate() {
        match cmd.strip_prefix('!') {
            Some(code) => s.push_str(&format!(
                "vmc_code{n}() {{ {code}\n}}\necho \"{BEGIN}-$vmc_t {key}\"; vmc_lim vmc_code{n}; echo; \
                 echo \"{END}-$vmc_t {key} $vmc_rc\"\n"
            )),
            None => s.push_str(&format!("vmc_run {key} {cmd}\n")),
        }
    }
    s
}

/// Splits the script's output into its parts. A part whose end marker is
/// missing (output cut short) is an error naming the command.
///
/// The first line gives the run's token (`@@vmcompat-token T`); only markers
/// carrying it count, and the blank line the script adds before each end
/// marker (so a command's last line without a line feed cannot swallow it) is
/// removed. Output without a token line (tests, older scripts) uses the plain
/// markers.
pub fn split(output: &str, commands: &[(&str, &str)]) -> Result<BTreeMap<String, Part>, String> {
    let mut parts = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let mut lines = output.lines().peekable();
    let token = lines
        .peek()
        .and_then(|l| l.trim_end_matches('\r').strip_prefix(TOKEN))
        .map(|t| t.trim().to_string());
    if token.is_some() {
        lines.next();
    }
    let (begin, end) = match &token {
        Some(t) => (format!("{BEGIN}-{t} "), format!("{END}-{t} ")),
        None => (format!("{BEGIN} "), format!("{END} ")),
    };
    for line in lines {
        let line = line.trim_end_matches('\r');
        if let Some(k) = line.strip_prefix(begin.as_str()) {
            current = Some((k.trim().to_string(), String::new()));
            continue;
        }
        if let Some(rest) = line.strip_prefix(end.as_str()) {
            let (k, status) = rest.trim().rsplit_once(' ').unwrap_or((rest.trim(), ""));
            if let Some((ck, mut text)) = current.take() {
                if ck == k {
                    if token.is_some() && text.ends_with("\n\n") {
                        text.pop();
                    } else if token.is_some() && text == "\n" {
                        text.clear();
                    }
                    let part = match status {
                        "missing" => Part::Missing,
                        "timeout" => Part::TimedOut(text),
                        "0" => Part::Ok(text),
                        s => Part::Failed(s.parse().unwrap_or(-1), text),
                    };
                    parts.insert(ck, part);
                }
            }
            continue;
        }
        if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    for (key, cmd) in commands {
        if !parts.contains_key(*key) {
            return Err(format!(
                "the output ends before `{}` finished (cut short or garbled)",
                cmd.trim_start_matches('!')
            ));
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_parts_and_detects_truncation() {
        let cmds = [("a", "esxcli a"), ("b", "esxcli b"), ("c", "!cat /x")];
        let out = "@@vmcompat-begin a\nline1\n@@vmcompat-end a 0\n@@vmcompat-begin b\n@@vmcompat-end b missing\n@@vmcompat-begin c\noops\n@@vmcompat-end c 1\n";
        let p = split(out, &cmds).unwrap();
        assert_eq!(p["a"], Part::Ok("line1\n".into()));
        assert_eq!(p["b"], Part::Missing);
        assert_eq!(p["c"], Part::Failed(1, "oops\n".into()));
        let cut = &out[..40];
        assert!(split(cut, &cmds).unwrap_err().contains("esxcli a"));
        assert!(build(&cmds).contains("vmc_run a esxcli a"));
    }

    /// Symptom: the markers were predictable, so a command's output could fake
    /// the end of its part and the start of another.
    #[test]
    fn markers_carry_an_unguessable_token() {
        let cmds = [("a", "virsh net-list"), ("b", "esxcli b")];
        let (s1, s2) = (build(&cmds), build(&cmds));
        let t1 = s1.lines().next().unwrap().strip_prefix("vmc_t=").unwrap();
        assert_eq!(t1.len(), 32);
        assert_ne!(s1.lines().next(), s2.lines().next());
        // A hostile `a` prints fake plain and fake guessed markers.
        let out = format!(
            "@@vmcompat-token {t1}\n@@vmcompat-begin-{t1} a\nnet1\n@@vmcompat-end a 0\n\
             @@vmcompat-begin b\nforged\n@@vmcompat-end-0000 a 0\n\n@@vmcompat-end-{t1} a 0\n\
             @@vmcompat-begin-{t1} b\nreal\n\n@@vmcompat-end-{t1} b 0\n@@vmcompat-begin-{t1} x\nlate"
        );
        let p = split(&out, &cmds).unwrap();
        assert_eq!(
            p["a"],
            Part::Ok(
                "net1\n@@vmcompat-end a 0\n@@vmcompat-begin b\nforged\n@@vmcompat-end-0000 a 0\n"
                    .into()
            )
        );
        assert_eq!(p["b"], Part::Ok("real\n".into()));
        let out = format!("@@vmcompat-token {t1}\n@@vmcompat-begin-{t1} a\nhalf\n@@vmcompat-end-{t1} a timeout\n@@vmcompat-begin-{t1} b\n\n@@vmcompat-end-{t1} b 0\n");
        let p = split(&out, &cmds).unwrap();
        assert_eq!(p["a"], Part::TimedOut("half\n".into()));
        assert_eq!(p["b"], Part::Ok(String::new()));
    }
}
