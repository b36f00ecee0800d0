//! Diagnostics a team tunes, as clippy's lints: the warnings it allows (not said) and the ones
//! it denies (errors, exit 2), by code, for the whole HLD or a component subtree (`hldc.yaml`'s
//! `diagnostics:`), with the pipeline's `-A CODE` / `-D CODE` flags deciding over the file.
//!
//! Only warnings are tuned. `hldc.yaml` comes with the HLD, maybe from the pull request a
//! pipeline checks: it may quiet a warning or make it an error, but no file and no flag turns
//! an error into anything else.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::{Level, Problem};

/// The name that stands for every warning, as in `-D warnings`.
pub const ALL_WARNINGS: &str = "warnings";

/// Codes allowed and denied at one level: the flags, `diagnostics:`, or one of its components.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

/// `diagnostics:` in `hldc.yaml`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Diagnostics {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    /// Rules for a component and everything below it, by its path (`infra/prometheus`).
    #[serde(default)]
    pub components: BTreeMap<String, Rules>,
}

/// What one level says of a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Allow,
    /// Denied, and by what (said in the error's help).
    Deny(String),
}

impl Rules {
    /// A code named here decides before `warnings`; named in both lists, it is denied.
    fn decide(&self, code: &str, denied_by: impl Fn(&str) -> String) -> Option<Decision> {
        [code, ALL_WARNINGS].into_iter().find_map(|name| {
            if self.deny.iter().any(|c| c == name) {
                Some(Decision::Deny(denied_by(name)))
            } else if self.allow.iter().any(|c| c == name) {
                Some(Decision::Allow)
            } else {
                None
            }
        })
    }

    /// The codes both allowed and denied.
    pub fn contradictions(&self) -> impl Iterator<Item = &str> {
        self.allow.iter().filter(|code| self.deny.contains(code)).map(String::as_str)
    }
}

impl Diagnostics {
    /// The top level as `Rules`.
    pub fn rules(&self) -> Rules {
        Rules { allow: self.allow.clone(), deny: self.deny.clone() }
    }

    /// The rules of the components covering `component`, the deepest first.
    fn covering<'a>(&'a self, component: &'a str) -> impl Iterator<Item = (&'a String, &'a Rules)> {
        let mut covering: Vec<_> = self.components.iter().filter(|(key, _)| covers(key, component)).collect();
        covering.sort_by_key(|(key, _)| std::cmp::Reverse(key.len()));
        covering.into_iter()
    }
}

/// Whether a `components:` key names `component` (a `/`-separated path from the root) or a
/// component above it; written from the root (`hld/infra`) or below it (`infra`).
fn covers(key: &str, component: &str) -> bool {
    let key = key.trim_matches('/');
    let below_root = component.split_once('/').map(|(_, rest)| rest);
    [Some(component), below_root].into_iter().flatten().any(|path| {
        path.strip_prefix(key).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')) && !key.is_empty()
    })
}

/// A run's policy: the pipeline's flags over `hldc.yaml`'s `diagnostics:`.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub flags: Rules,
    pub project: Diagnostics,
}

impl Policy {
    /// The flags alone: for what no `hldc.yaml` governs (a manifest repository, a problem
    /// before the file was read).
    pub fn of_flags(flags: &Rules) -> Policy {
        Policy { flags: flags.clone(), project: Diagnostics::default() }
    }

    /// Each warning allowed left out, each denied made an error; errors as they are.
    pub fn apply(&self, problems: Vec<Problem>) -> Vec<Problem> {
        problems
            .into_iter()
            .filter_map(|problem| match self.decide(&problem) {
                None => Some(problem),
                Some(Decision::Allow) => None,
                Some(Decision::Deny(by)) => {
                    let note = Problem::warning(problem.code, format!("an error because {by}"));
                    Some(Problem { level: Level::Error, ..problem }.related(note))
                }
            })
            .collect()
    }

    /// `apply`, then the problems as an outcome: `Err` with all of them when one is an error.
    pub fn judge(&self, problems: Vec<Problem>) -> Result<Vec<Problem>, Vec<Problem>> {
        let problems = self.apply(problems);
        if problems.iter().any(Problem::is_error) {
            Err(problems)
        } else {
            Ok(problems)
        }
    }

    fn decide(&self, problem: &Problem) -> Option<Decision> {
        if problem.is_error() {
            return None;
        }
        let code = problem.code;
        let flag = |name: &str| format!("`-D {name}` was given");
        let file = |name: &str| format!("hldc.yaml's `diagnostics` denies `{name}`");
        let component = |key: &str, name: &str| format!("hldc.yaml's `diagnostics.components.{key}` denies `{name}`");
        self.flags
            .decide(code, flag)
            .or_else(|| {
                let path = problem.component.as_deref()?;
                self.project.covering(path).find_map(|(key, rules)| rules.decide(code, |name| component(key, name)))
            })
            .or_else(|| self.project.rules().decide(code, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warning(code: &'static str, component: Option<&str>) -> Problem {
        let problem = Problem::warning(code, "something");
        match component {
            Some(path) => problem.component(path),
            None => problem,
        }
    }

    fn levels(policy: &Policy, problems: Vec<Problem>) -> Vec<(&'static str, Level)> {
        policy.apply(problems).into_iter().map(|p| (p.code, p.level)).collect()
    }

    #[test]
    fn flags_decide_over_the_file_and_a_component_over_the_whole_hld() {
        let project = Diagnostics {
            allow: vec!["hldc::kube::not-served".into()],
            deny: vec![ALL_WARNINGS.into()],
            components: BTreeMap::from([(
                "infra/prometheus".into(),
                Rules { allow: vec![], deny: vec!["hldc::kube::not-served".into()] },
            )]),
        };
        let policy = Policy { flags: Rules::default(), project: project.clone() };
        let problems = || {
            vec![
                warning("hldc::kube::not-served", Some("hld/infra/prometheus/grafana")),
                warning("hldc::kube::not-served", Some("hld/web")),
                warning("hldc::output::unknown-kind", None),
                Problem::error("hldc::kube::invalid", "bad"),
            ]
        };
        assert_eq!(
            levels(&policy, problems()),
            [
                ("hldc::kube::not-served", Level::Error),
                ("hldc::output::unknown-kind", Level::Error),
                ("hldc::kube::invalid", Level::Error)
            ]
        );
        let flags = Rules { allow: vec![ALL_WARNINGS.into()], deny: vec![] };
        let policy = Policy { flags, project };
        assert_eq!(levels(&policy, problems()), [("hldc::kube::invalid", Level::Error)], "errors are never allowed");
    }

    #[test]
    fn a_denied_warning_says_what_denied_it() {
        let policy =
            Policy { flags: Rules { allow: vec![], deny: vec!["hldc::a::b".into()] }, project: Diagnostics::default() };
        let denied = policy.judge(vec![warning("hldc::a::b", None).help("fix it")]).unwrap_err();
        assert_eq!(denied[0].help.as_deref(), Some("fix it"));
        assert_eq!(denied[0].related[0].message, "an error because `-D hldc::a::b` was given");
    }

    #[test]
    fn component_keys_name_a_subtree_from_the_root_or_below_it() {
        assert!(covers("infra", "hld/infra/jaeger"));
        assert!(covers("hld/infra/jaeger", "hld/infra/jaeger"));
        assert!(covers("infra/jaeger/", "hld/infra/jaeger"));
        assert!(!covers("infra/jae", "hld/infra/jaeger"));
        assert!(!covers("jaeger", "hld/infra/jaeger"));
        assert!(!covers("", "hld/infra/jaeger"));
    }
}
