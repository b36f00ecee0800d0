//! The project file, `hldc.yaml` at the HLD root: settings of the whole HLD that belong to no
//! component. Optional; schema-checked (`schemas/project.schema.json`) like every input.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::diag::Problem;
use crate::load::read_document;
use crate::schema::Schema;
use crate::scope::ScopeRule;
use crate::sources::Sources;
use crate::yaml::Segment;

pub const PROJECT_FILE: &str = "hldc.yaml";

/// What `hldc.yaml` says; the defaults when there is none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Scopes of kinds hldc cannot know (custom resources without their CRD in the output).
    #[serde(default)]
    pub scopes: Vec<ScopeRule>,
}

/// Reads `hldc.yaml` of the HLD; no file is the default project.
pub fn load(sources: &Sources) -> Result<Project, Vec<Problem>> {
    let path = sources.hld_root().join(PROJECT_FILE);
    if !path.is_file() {
        return Ok(Project::default());
    }
    let mut problems = crate::diag::Problems::default();
    let Some(document) = read_document(sources, &path, Schema::Project, &mut problems) else {
        return Err(problems.into_vec());
    };
    let project: Project = serde_yaml::from_value(document.value.clone()).map_err(|error| {
        vec![Problem::error("hldc::project::invalid", format!("cannot read `{PROJECT_FILE}`: {error}"))
            .at(document.value_location(&[]))
            .help("see `hldc schema project` for the format")]
    })?;
    // Two entries for one kind: whichever came last would win, silently.
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for (index, rule) in project.scopes.iter().enumerate() {
        if let Some(first) = seen.insert((&rule.group, &rule.kind), index) {
            let at = |i: usize| vec![Segment::Key("scopes".into()), Segment::Index(i)];
            duplicates.push(
                Problem::error(
                    "hldc::project::duplicate-scope",
                    format!("`{PROJECT_FILE}` gives the scope of `{}` twice", describe(&rule.group, &rule.kind)),
                )
                .at(document.value_location(&at(index)))
                .label("second entry")
                .help("keep one entry per group and kind")
                .related(
                    Problem::warning("hldc::project::duplicate-scope", "first entry")
                        .at(document.value_location(&at(first))),
                ),
            );
        }
    }
    if duplicates.is_empty() {
        Ok(project)
    } else {
        Err(duplicates)
    }
}

fn describe(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_string()
    } else {
        format!("{group}/{kind}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    fn load_text(text: Option<&str>) -> Result<Project, Vec<(String, String)>> {
        let dir = tempfile::tempdir().unwrap();
        if let Some(text) = text {
            std::fs::write(dir.path().join(PROJECT_FILE), text).unwrap();
        }
        let sources = Sources::local(dir.path()).unwrap();
        load(&sources)
            .map_err(|problems| problems.into_iter().map(|p| (p.where_().unwrap_or_default(), p.message)).collect())
    }

    #[test]
    fn no_file_is_the_default_project() {
        assert!(load_text(None).unwrap().scopes.is_empty());
    }

    #[test]
    fn scopes_are_read_with_the_core_group_by_default() {
        let project = load_text(Some(
            "scopes:\n  - {group: example.com, kind: Widget, scope: Cluster}\n  - kind: Thing\n    scope: Namespaced\n",
        ))
        .unwrap();
        assert_eq!(
            project.scopes,
            [
                ScopeRule { group: "example.com".into(), kind: "Widget".into(), scope: Scope::Cluster },
                ScopeRule { group: String::new(), kind: "Thing".into(), scope: Scope::Namespaced },
            ]
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_point_at_their_line() {
        let found = load_text(Some("scopes:\n  - kind: Widget\n    scope: cluster\nenvironment: [dev]\n")).unwrap_err();
        assert!(
            found.iter().any(|(at, m)| at == "hldc.yaml:4:1" && m.contains("unknown field `environment`")),
            "{found:?}"
        );
        assert!(found.iter().any(|(at, _)| at == "hldc.yaml:3:12"), "{found:?}");
    }

    #[test]
    fn a_kind_given_twice_is_an_error_at_the_second_entry() {
        let found = load_text(Some(
            "scopes:\n  - {group: example.com, kind: Widget, scope: Cluster}\n  - {group: example.com, kind: Widget, scope: Namespaced}\n",
        ))
        .unwrap_err();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "hldc.yaml:3:6");
        assert!(found[0].1.contains("`example.com/Widget` twice"), "{}", found[0].1);
    }
}
