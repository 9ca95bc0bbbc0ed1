//! One SSH round trip per host: a shell script runs each command between
//! markers, so one output carries every command's text and exit status, and a
//! missing command is reported as such.

use std::collections::BTreeMap;

const BEGIN: &str = "@@vmcompat-begin ";
const END: &str = "@@vmcompat-end ";

/// What one command of the script produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// It ran and exited 0: its output (stdout and stderr).
    Ok(String),
    /// It ran and failed: exit status and output.
    Failed(i32, String),
    /// It is not installed on the host.
    Missing,
}

/// Builds the script: `commands` are (key, shell command); the first word of a
/// command is checked with `command -v` (unless it is a path or `for`/`cat`
/// builtin-ish shell code, marked by a leading `!`).
pub fn build(commands: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "vmc_run() { k=$1; shift; echo \"@@vmcompat-begin $k\"; \
         if command -v \"$1\" >/dev/null 2>&1; then \"$@\" 2>&1; echo \"@@vmcompat-end $k $?\"; \
         else echo \"@@vmcompat-end $k missing\"; fi; }\n",
    );
    for (key, cmd) in commands {
        match cmd.strip_prefix('!') {
            Some(code) => s.push_str(&format!(
                "echo \"@@vmcompat-begin {key}\"; ( {code} ) 2>&1; echo \"@@vmcompat-end {key} $?\"\n"
            )),
            None => s.push_str(&format!("vmc_run {key} {cmd}\n")),
        }
    }
    s
}

/// Splits the script's output into its parts. A part whose end marker is
/// missing (output cut short) is an error naming the command.
pub fn split(output: &str, commands: &[(&str, &str)]) -> Result<BTreeMap<String, Part>, String> {
    let mut parts = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in output.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(k) = line.strip_prefix(BEGIN) {
            current = Some((k.trim().to_string(), String::new()));
            continue;
        }
        if let Some(rest) = line.strip_prefix(END) {
            let (k, status) = rest.trim().rsplit_once(' ').unwrap_or((rest.trim(), ""));
            if let Some((ck, text)) = current.take() {
                if ck == k {
                    let part = match status {
                        "missing" => Part::Missing,
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
}
