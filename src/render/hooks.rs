//! Fabrikate's hooks: shell commands a component runs around generation. They run arbitrary
//! code, so hldc refuses them unless the user passed `--allow-hooks`.

use std::process::Command;

use crate::diag::Problem;
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

/// An error for every enabled component that declares hooks, unless hooks are allowed.
pub fn check_hooks_allowed(planned: &[Planned], allowed: bool) -> Vec<Problem> {
    if allowed {
        return Vec::new();
    }
    planned
        .iter()
        .filter(|p| p.node.definition.spec.hooks.values().any(|commands| !commands.is_empty()))
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

/// Runs one stage's hooks of a component in its directory; output goes to stderr.
pub fn run_hooks(planned: &Planned, stage: HookStage) -> Result<(), Problem> {
    let definition = &planned.node.definition;
    for key in stage.keys() {
        for command in definition.spec.hooks.get(*key).into_iter().flatten() {
            let status = Command::new("sh")
                .args(["-c", command])
                .current_dir(&planned.node.dir)
                .stdout(std::process::Stdio::from(std::io::stderr()))
                .status();
            let failure = match status {
                Ok(status) if status.success() => continue,
                Ok(status) => format!("it exited with {status}"),
                Err(e) => format!("it could not start: {e}"),
            };
            return Err(Problem::error(
                "hldc::hooks::failed",
                format!("the {key} hook `{command}` of component `{}` failed: {failure}", planned.node.path),
            )
            .at(definition.field_location("hooks"))
            .help("fix the command or the environment it needs"));
        }
    }
    Ok(())
}
