//! Running programs: the one way hldc runs a program and waits for its answer (`helm template`
//! and kustomize in `render/`, `helm pull` and `helm registry login` in `fetch/`, and the
//! components' hooks).
//!
//! The child gets its own process group, its input on stdin and a deadline after which the
//! whole group is killed. Every way a run can go wrong comes back as what it is, so that a
//! broken pipe is not taken for success, a lost child for a timeout, or a failed read for
//! empty output.

use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often a running child is looked at: short next to a render (tens of milliseconds), whose
/// end is noticed this much late, and next to any sensible timeout.
const POLL: Duration = Duration::from_millis(1);

/// `helm` cut off from the user's setup: no inherited environment (its Go runtime tuned for
/// a short-lived process instead), and its home, config,
/// cache, data, plugins, repositories, registry logins and kubeconfig all under `home` (a
/// fresh directory per run), so that what helm does depends on its arguments alone.
pub fn helm_command(helm: &Path, home: &Path) -> Command {
    let mut command = Command::new(helm);
    command.env_clear().env("HOME", home);
    // A `helm template` lives for a few dozen milliseconds, and collected garbage for a third
    // of its CPU time. Collecting when the heap has grown fivefold (not twofold) since the last
    // collection saves nearly all of that (W2 cold: 0.95 s -> 0.75 s; turning the collector
    // off saved no more), and memory stays proportional to what a render keeps, with no fixed
    // limit to pick, times `--jobs` renders at once.
    command.env("GOGC", "400");
    for (variable, name) in [
        ("HELM_CONFIG_HOME", "config"),
        ("HELM_CACHE_HOME", "cache"),
        ("HELM_DATA_HOME", "data"),
        ("HELM_PLUGINS", "plugins"),
        ("HELM_REPOSITORY_CONFIG", "repositories.yaml"),
        ("HELM_REPOSITORY_CACHE", "repository-cache"),
        ("HELM_REGISTRY_CONFIG", "registry.json"),
        ("KUBECONFIG", "kubeconfig"),
    ] {
        command.env(variable, home.join(name));
    }
    command
}

/// A proxy nobody listens on: port 9 (discard) on loopback is closed on any machine that
/// runs hldc, so a connection through it fails at once.
const CLOSED_PROXY: &str = "http://127.0.0.1:9";

/// Any other program (kustomize, kubectl) cut off from the user's setup the same way: no
/// inherited environment; home, XDG directories and kubeconfig under `home`. It cannot reach
/// the network either: hldc refuses every remote reference before it runs (they are not in the
/// lock), and should one slip through, its HTTP goes to a proxy on a closed loopback port (Go
/// honours `HTTP(S)_PROXY` for every host but loopback ones) and git, were it found without a
/// `PATH`, would allow no protocol.
pub fn isolated_command(program: &Path, home: &Path) -> Command {
    let mut command = Command::new(program);
    command.env_clear().env("HOME", home);
    for variable in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        command.env(variable, CLOSED_PROXY);
    }
    command.env("GIT_ALLOW_PROTOCOL", "none");
    for (variable, name) in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
        ("KUBECONFIG", "kubeconfig"),
    ] {
        command.env(variable, home.join(name));
    }
    command
}

/// Why a run gave no output.
#[derive(Debug)]
pub enum Failure {
    /// The program could not be started.
    Spawn(io::Error),
    /// Its input could not be written; a broken pipe means it ended without reading all of it.
    Input(io::Error),
    /// Its output could not be read.
    Output(io::Error),
    /// Waiting for it failed, so how it ended is unknown; its process group was killed.
    Wait(io::Error),
    /// It, or a process it started, was still running at the deadline; its group was killed.
    Timeout(Duration),
    /// It ended unsuccessfully; `stderr` is what it said.
    Exit { status: ExitStatus, stderr: String },
}

/// What happened, as the end of a sentence about the program ("helm failed: …").
impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Spawn(e) => write!(f, "cannot start it: {e}"),
            Failure::Input(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                f.write_str("it ended without reading all of its input")
            }
            Failure::Input(e) => write!(f, "cannot write its input: {e}"),
            Failure::Output(e) => write!(f, "cannot read its output: {e}"),
            Failure::Wait(e) => write!(f, "cannot wait for it to end: {e}"),
            Failure::Timeout(timeout) => write!(f, "no result after {}", humantime::format_duration(*timeout)),
            Failure::Exit { status, .. } => match (status.code(), status.signal()) {
                (Some(code), _) => write!(f, "exit code {code}"),
                (None, Some(signal)) => write!(f, "killed by signal {signal}"),
                (None, None) => write!(f, "{status}"),
            },
        }
    }
}

/// A shell command from an HLD (a Fabrikate hook), cut off from the pipeline's environment: it
/// sees `PATH`, `home` as its home, and only the variables in `passed`, the ones the pipeline
/// named with `--hook-env`. A hook is the HLD's code; the pipeline's secrets are not its to read.
pub fn hook_command(script: &str, dir: &Path, home: &Path, passed: &[(String, std::ffi::OsString)]) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]).current_dir(dir).env_clear().env("HOME", home);
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(passed.iter().map(|(name, value)| (name, value)));
    command
}

/// Runs `command` with `input` on its stdin and returns its stdout, or kills its process group
/// once `timeout` has passed. The command's stdio and process group are set here.
pub fn run(command: Command, input: &[u8], timeout: Duration) -> Result<Vec<u8>, Failure> {
    run_with(command, input, timeout, Output::Collect)
}

/// Runs `command` like [`run`], its stdout and stderr going straight to hldc's stderr as it
/// writes them (a hook's progress, which a user watches), with nothing on its stdin.
pub fn run_showing_output(command: Command, timeout: Duration) -> Result<(), Failure> {
    run_with(command, b"", timeout, Output::ToStderr).map(drop)
}

/// Where a child's output goes.
enum Output {
    /// Into pipes hldc reads: stdout is the result, stderr explains a failure.
    Collect,
    /// Onto hldc's own stderr.
    ToStderr,
}

fn run_with(mut command: Command, input: &[u8], timeout: Duration, output: Output) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + timeout;
    let (stdout, stderr) = match output {
        Output::Collect => (Stdio::piped(), Stdio::piped()),
        Output::ToStderr => (Stdio::from(io::stderr()), Stdio::from(io::stderr())),
    };
    command.stdin(Stdio::piped()).stdout(stdout).stderr(stderr).process_group(0);
    let mut child = command.spawn().map_err(Failure::Spawn)?;
    let writer = {
        let (stdin, input) = (child.stdin.take(), input.to_vec());
        // Dropping stdin at the end closes it, which tells the child its input is complete.
        thread::spawn(move || stdin.map_or(Ok(()), |mut stdin| stdin.write_all(&input)))
    };
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    // Done when the child has exited and its pipes are closed: a process it started may still
    // hold them, and the deadline covers that process too.
    loop {
        let exited = match has_exited(&child) {
            Ok(exited) => exited,
            Err(e) => {
                kill_group(&mut child);
                return Err(Failure::Wait(e));
            }
        };
        if exited && writer.is_finished() && stdout.is_finished() && stderr.is_finished() {
            break;
        }
        if Instant::now() >= deadline {
            // The threads are left behind: a process outside the group may keep a pipe open.
            kill_group(&mut child);
            return Err(Failure::Timeout(timeout));
        }
        thread::sleep(POLL);
    }
    let status = child.wait().map_err(Failure::Wait)?;
    let written = join(writer);
    let (stdout, stderr) = (join(stdout), join(stderr));
    if !status.success() {
        let stderr = match stderr {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => format!("(its error output could not be read: {e})"),
        };
        return Err(Failure::Exit { status, stderr });
    }
    written.map_err(Failure::Input)?;
    stderr.map_err(Failure::Output)?;
    stdout.map_err(Failure::Output)
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<io::Result<Vec<u8>>> {
    thread::spawn(move || {
        let mut buffer = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut buffer)?;
        }
        Ok(buffer)
    })
}

fn join<T>(handle: JoinHandle<io::Result<T>>) -> io::Result<T> {
    handle.join().unwrap_or_else(|_| Err(io::Error::other("the thread serving the pipe panicked")))
}

/// Whether the child has exited, without reaping it: until it is reaped its pid, and so its
/// process group id, cannot be reused, which keeps `kill_group` aimed at its group.
fn has_exited(child: &Child) -> io::Result<bool> {
    // SAFETY: `siginfo_t` is plain old data, for which all zeroes is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: waitid(2) writes only into `info`; WNOWAIT leaves the child waitable.
    if unsafe { libc::waitid(libc::P_PID, child.id(), &mut info, flags) } == -1 {
        let error = io::Error::last_os_error();
        return if error.kind() == io::ErrorKind::Interrupted { Ok(false) } else { Err(error) };
    }
    // SAFETY: with WNOHANG, waitid leaves `si_pid` zero when the child has not exited.
    Ok(unsafe { info.si_pid() } != 0)
}

fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) takes plain integers; a negative pid names the process group that
        // `process_group(0)` created for this child, and nothing else.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    // Reaps it; an error here adds nothing to the failure being reported.
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    fn alive(pid: i32) -> bool {
        // A zombie (reparented to an init that does not reap) is as dead as a missing process.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    }

    #[test]
    fn output_is_stdout_and_input_arrives_whole() {
        let input = "line\n".repeat(100_000);
        let output = run(sh("wc -c; echo noise >&2"), input.as_bytes(), Duration::from_secs(30)).unwrap();
        assert_eq!(String::from_utf8(output).unwrap().trim(), input.len().to_string());
    }

    #[test]
    fn non_zero_exit_keeps_stderr() {
        let script = "echo partial; echo 'Error: bad chart' >&2; exit 3";
        let failure = run(sh(script), b"", Duration::from_secs(30)).unwrap_err();
        let Failure::Exit { stderr, .. } = &failure else { panic!("{failure:?}") };
        assert_eq!(stderr, "Error: bad chart\n");
        assert_eq!(failure.to_string(), "exit code 3");
    }

    #[test]
    fn a_child_that_exits_without_reading_its_input_is_reported() {
        // Far more than a pipe buffer, so the write can only finish if the child reads.
        let input = vec![b'x'; 4 << 20];
        let failure = run(sh("exit 0"), &input, Duration::from_secs(30)).unwrap_err();
        assert!(matches!(&failure, Failure::Input(e) if e.kind() == io::ErrorKind::BrokenPipe), "{failure:?}");
        assert_eq!(failure.to_string(), "it ended without reading all of its input");
    }

    #[test]
    fn the_timeout_kills_the_child_and_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("grandchild");
        let script = format!("sleep 60 & echo $! > '{}'; wait", pid_file.display());
        let started = Instant::now();
        let failure = run(sh(&script), b"", Duration::from_millis(500)).unwrap_err();
        assert!(matches!(failure, Failure::Timeout(_)), "{failure:?}");
        assert_eq!(failure.to_string(), "no result after 500ms");
        assert!(started.elapsed() < Duration::from_secs(10));
        let grandchild: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
        let gone_by = Instant::now() + Duration::from_secs(5);
        while alive(grandchild) && Instant::now() < gone_by {
            thread::sleep(POLL);
        }
        assert!(!alive(grandchild), "the grandchild {grandchild} survived the timeout");
    }

    #[test]
    fn a_process_left_holding_the_output_is_covered_by_the_timeout() {
        // The child exits at once; what it started keeps stdout open.
        let started = Instant::now();
        let failure = run(sh("sleep 60 & echo started"), b"", Duration::from_millis(500)).unwrap_err();
        assert!(matches!(failure, Failure::Timeout(_)), "{failure:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_a_spawn_failure() {
        let failure = run(Command::new("/nonexistent/helm"), b"", Duration::from_secs(30)).unwrap_err();
        assert!(matches!(failure, Failure::Spawn(_)), "{failure:?}");
    }

    #[test]
    fn isolated_commands_cannot_reach_the_network() {
        let home = tempfile::tempdir().unwrap();
        let output =
            run(isolated_command(Path::new("/usr/bin/env"), home.path()), b"", Duration::from_secs(30)).unwrap();
        let output = String::from_utf8(output).unwrap();
        for proxy in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
            assert!(output.contains(&format!("{proxy}={CLOSED_PROXY}\n")), "{output}");
        }
        assert!(output.contains("GIT_ALLOW_PROTOCOL=none\n") && !output.contains("PATH="), "{output}");
    }

    #[test]
    fn helm_commands_see_none_of_the_callers_environment() {
        assert!(std::env::var_os("PATH").is_some(), "the test needs a variable to leave behind");
        let home = tempfile::tempdir().unwrap();
        let output = run(helm_command(Path::new("/usr/bin/env"), home.path()), b"", Duration::from_secs(30)).unwrap();
        let mut names: Vec<String> = String::from_utf8(output)
            .unwrap()
            .lines()
            .map(|line| line.split('=').next().unwrap_or_default().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "GOGC",
                "HELM_CACHE_HOME",
                "HELM_CONFIG_HOME",
                "HELM_DATA_HOME",
                "HELM_PLUGINS",
                "HELM_REGISTRY_CONFIG",
                "HELM_REPOSITORY_CACHE",
                "HELM_REPOSITORY_CONFIG",
                "HOME",
                "KUBECONFIG"
            ]
        );
    }
}
