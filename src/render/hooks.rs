//! Fabrikate's hooks: shell commands a component runs around generation. They run arbitrary
//! code, so hldc refuses them unless the user passed `--allow-hooks`, and then runs them with
//! a deadline and none of the pipeline's environment but what it passes on.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::{Location, Problem};
use crate::model::plan::Planned;

#[derive(Debug, Clone, Copy)]
pub enum HookStage {
    /// Fabrikate's install and before-generate hooks: hldc has no separate install step.
    Before,
    After,
}

impl HookStage {
    fn keys(self) -> &'static [&'static str] {
        match self {
            HookStage::Before => &["before-install", "after-install", "before-generate"],
            HookStage::After => &["after-generate"],
        }
    }
}

/// One hook command of one component, ready to run.
#[derive(Debug, Clone)]
pub struct Hook {
    component: String,
    key: &'static str,
    command: String,
    dir: PathBuf,
    at: Location,
}

/// How hooks run once the pipeline allowed them: the pipeline's settings, never the HLD's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRunner {
    /// Each hook is killed, with what it started, after this long (`--hook-timeout`).
    pub timeout: Duration,
    /// The variables the pipeline passes on (`--hook-env VAR`), with their values.
    pub passed_env: Vec<(String, OsString)>,
}

/// An error for every enabled component that declares hooks (run without `--allow-hooks`).
pub fn refuse_hooks(planned: &[Planned]) -> Vec<Problem> {
    planned
        .iter()
        .filter(|p| !p.node.definition.spec.hooks.is_empty())
        .map(|p| {
            Problem::error(
                "hldc::hooks::not-allowed",
                format!("component `{}` declares hooks, which run shell commands", p.node.path),
            )
            .at(p.node.definition.field_location("hooks"))
            .label("hooks")
            .help("review the commands, then pass `--allow-hooks` to run them")
        })
        .collect()
}

/// The hooks of one stage, component by component in tree order.
pub fn hooks_of(planned: &[Planned], stage: HookStage) -> Vec<Hook> {
    let mut hooks = Vec::new();
    for component in planned {
        let definition = &component.node.definition;
        for (key, commands) in definition.spec.hooks.stages() {
            if !stage.keys().contains(&key) {
                continue;
            }
            for command in commands {
                hooks.push(Hook {
                    component: component.node.path.clone(),
                    key,
                    command: command.clone(),
                    dir: component.node.dir.clone(),
                    at: definition.field_location("hooks"),
                });
            }
        }
    }
    hooks
}

/// Runs hooks in order, each in its component's directory with a home of its own, its output on
/// stderr; stops at the first that fails or outlives the timeout.
pub fn run_hooks(hooks: &[Hook], runner: &HookRunner) -> Result<(), Problem> {
    for hook in hooks {
        let failure = match tempfile::Builder::new().prefix("hldc-hook-home-").tempdir() {
            Ok(home) => {
                let command = crate::process::hook_command(&hook.command, &hook.dir, home.path(), &runner.passed_env);
                match crate::process::run_showing_output(command, runner.timeout) {
                    Ok(()) => continue,
                    Err(failure @ crate::process::Failure::Timeout(_)) => {
                        return Err(hook_failed(hook, &failure.to_string())
                            .help("make the hook finish sooner, or give it longer with `--hook-timeout` (default 5m)"))
                    }
                    Err(failure) => failure.to_string(),
                }
            }
            Err(e) => format!("no home directory could be made for it: {e}"),
        };
        return Err(hook_failed(hook, &failure).help(
            "fix the command; it sees only PATH, a temporary HOME and the variables passed with `--hook-env VAR`",
        ));
    }
    Ok(())
}

fn hook_failed(hook: &Hook, failure: &str) -> Problem {
    Problem::error(
        "hldc::hooks::failed",
        format!("the {} hook `{}` of component `{}` failed: {failure}", hook.key, hook.command, hook.component),
    )
    .at(hook.at.clone())
}
