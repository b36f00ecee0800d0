//! Helpers shared by the end-to-end tests: run the real `hldc` binary on fixture HLDs.
#![allow(dead_code)]

pub mod commands;
pub mod oracle;
pub mod registry;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The helm the tests render with: `$HLDC_HELM`, else the one `scripts/install-tools` puts
/// in `.tools/bin`. Tests that need helm fail loudly when neither exists.
pub fn helm() -> PathBuf {
    if let Some(path) = std::env::var_os("HLDC_HELM") {
        return PathBuf::from(path);
    }
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/helm");
    assert!(installed.exists(), "no helm: run scripts/install-tools or set HLDC_HELM");
    installed
}

/// The repository root (to reach `examples/` and `tests/fixtures/`).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A finished hldc run whose exit code no one has checked yet. Its output is reachable only
/// through `assert_code`, so a test cannot forget to say how hldc should have exited.
#[must_use = "check the exit code with `.assert_code(n)`"]
pub struct Exited(Run);

impl Exited {
    pub fn assert_code(self, code: i32) -> Run {
        match self.check_code(code) {
            (run, None) => run,
            (run, Some(wrong)) => panic!("{wrong}\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr),
        }
    }

    /// For tables that report every failing row at once: the run, and what is wrong with how
    /// it exited, if anything.
    pub fn check_code(self, code: i32) -> (Run, Option<String>) {
        let run = self.0;
        let wrong = if run.code == 101 || run.stderr.contains("panicked") {
            Some(format!("hldc panicked (exit code {})", run.code))
        } else if run.code != code {
            Some(format!("exit code {} (expected {code})", run.code))
        } else {
            None
        };
        (run, wrong)
    }
}

/// The outcome of one hldc run, its exit code checked.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn assert_stderr_contains(&self, needle: &str) -> &Run {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", self.stderr);
        self
    }
}

/// Runs hldc with `args` in `cwd`, with an isolated environment: only PATH and the test helm.
pub fn hldc(cwd: &Path, args: &[&str]) -> Exited {
    hldc_with_env(cwd, args, &[])
}

pub fn hldc_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Exited {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hldc"));
    command
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HLDC_HELM", helm())
        .env("NO_COLOR", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run hldc");
    Exited(Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Copies a fixture or example HLD, without the output an earlier `hldc generate` left in it
/// (the README's first command writes the example's, which git ignores).
pub fn copy_tree(from: &Path, to: &Path) {
    let output = |entry: &walkdir::DirEntry| {
        entry.depth() == 1 && matches!(entry.file_name().to_str(), Some("generated" | ".hldc"))
    };
    for entry in walkdir::WalkDir::new(from).into_iter().filter_entry(|entry| !output(entry)) {
        let entry = entry.expect("walk fixture");
        let target = to.join(entry.path().strip_prefix(from).expect("inside"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file under `dir` with its bytes, keyed by `/`-separated relative path.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(dir).expect("inside").to_string_lossy().replace('\\', "/");
            (relative, std::fs::read(e.path()).expect("read"))
        })
        .collect()
}

/// Writes `files` (relative path → contents) under `root`, creating directories.
pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, contents) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
}

/// `args` with `--allow-local-sources` after a command that fetches: fixtures keep their git
/// repositories in temporary directories beside the HLD, which only a pipeline may allow.
pub fn allowing_local_sources<'a>(args: &[&'a str]) -> Vec<&'a str> {
    const FETCHING: [&str; 7] = ["generate", "update", "diff", "tree", "config", "validate", "promote"];
    let mut args = args.to_vec();
    if args.first().is_some_and(|command| FETCHING.contains(command)) {
        args.insert(1, "--allow-local-sources");
    }
    args
}
