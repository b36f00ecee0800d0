//! Fabrikate's hooks: shell commands a component runs around generation. They run arbitrary
//! code, so hldc refuses them unless the user passed `--allow-hooks`.

use std::path::PathBuf;
use std::process::Command;

use crate::diag::{Location, Problem};
use crate::resolve::Planned;

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

/// Runs hooks in order, each in its component's directory, its output on stderr; stops at the
/// first that fails.
pub fn run_hooks(hooks: &[Hook]) -> Result<(), Problem> {
    for hook in hooks {
        let status = Command::new("sh")
            .args(["-c", &hook.command])
            .current_dir(&hook.dir)
            .stdout(std::process::Stdio::from(std::io::stderr()))
            .status();
        let failure = match status {
            Ok(status) if status.success() => continue,
            Ok(status) => format!("it exited with {status}"),
            Err(e) => format!("it could not start: {e}"),
        };
        return Err(Problem::error(
            "hldc::hooks::failed",
            format!("the {} hook `{}` of component `{}` failed: {failure}", hook.key, hook.command, hook.component),
        )
        .at(hook.at.clone())
        .help("fix the command or the environment it needs"));
    }
    Ok(())
}
