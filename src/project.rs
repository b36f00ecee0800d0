//! The project file, `hldc.yaml` at the HLD root: settings of the whole HLD that belong to no
//! component (its environments and their clusters, scopes of unknown kinds). Optional;
//! schema-checked (`schemas/project.schema.json`) like every input.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::check::scope::ScopeRule;
use crate::diag::{Problem, Problems};
use crate::load::read_document;
use crate::model::environments::Environments;
use crate::schema::Schema;
use crate::sources::Sources;
use crate::suggest::did_you_mean;
use crate::yaml::{Document, Segment};

pub const PROJECT_FILE: &str = "hldc.yaml";

/// What `hldc.yaml` says; the defaults when there is none.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Scopes of kinds hldc cannot know (custom resources without their CRD in the output).
    #[serde(default)]
    pub scopes: Vec<ScopeRule>,
    /// Environments by name, with the clusters each one runs in.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSpec>,
    /// How requests reach the rings of ringed components.
    #[serde(default)]
    pub rings: crate::route::RingSettings,
    /// CRD files whose custom resources the output checks are checked against (`crds.rs`).
    #[serde(default)]
    pub crds: Vec<CrdSource>,
    /// Repository URL prefix → the mirror to fetch from instead (sources and chart
    /// dependencies; `fetch::Mirrors`).
    #[serde(default)]
    pub mirrors: BTreeMap<String, String>,
    /// The warnings this HLD allows and denies (`diagnostics.rs`).
    #[serde(default)]
    pub diagnostics: crate::diagnostics::Diagnostics,
    /// `hldc.yaml` itself, to point at its entries.
    #[serde(skip)]
    pub document: Option<std::sync::Arc<Document>>,
}

/// One environment of `environments:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// In the order written, which is the order they render and are listed in.
    #[serde(default)]
    pub clusters: Vec<String>,
}

/// How a remote entry is fetched: git only (a chart or a single http file holds no CRD tree).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrdMethod {
    Git,
}

/// One entry of `crds:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CrdSource {
    /// A path relative to the HLD root.
    Local(String),
    /// A file or directory in a fetched source.
    Remote(RemoteCrds),
}

/// `{source, method, path, version, branch}`, as in a component entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteCrds {
    pub source: String,
    pub method: CrdMethod,
    pub path: Option<String>,
    pub version: Option<String>,
    pub branch: Option<String>,
}

impl Project {
    /// The repository mirrors, for fetching.
    pub fn fetch_mirrors(&self) -> crate::fetch::Mirrors {
        crate::fetch::Mirrors::new(self.mirrors.iter().map(|(from, to)| (from.as_str(), to.as_str())))
    }

    /// The environment `cluster` belongs to, if it is a declared cluster.
    fn environment_of(&self, cluster: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|(_, spec)| spec.clusters.iter().any(|c| c == cluster))
            .map(|(env, _)| env.as_str())
    }

    /// Refuses a cluster named where an environment belongs: its config would apply as a
    /// whole environment, without the environment it belongs to.
    pub fn check_environments(&self, environments: &Environments) -> Result<(), Vec<Problem>> {
        let problems: Vec<Problem> = environments
            .names()
            .iter()
            .filter_map(|name| {
                let env = self.environment_of(name)?;
                Some(
                    Problem::error(
                        "hldc::project::cluster-as-environment",
                        format!("`{name}` is a cluster of environment `{env}`, not an environment"),
                    )
                    .help(format!("name the environment and choose the cluster: `{env} --cluster {name}`")),
                )
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// What a run of `environments` renders: one target per cluster of those environments (only
    /// the `chosen` ones when some are), or the environments alone when they have no clusters.
    pub fn targets(&self, environments: &Environments, chosen: &[String]) -> Result<Vec<Environments>, Vec<Problem>> {
        self.check_environments(environments)?;
        let clusters = self.clusters_of(environments);
        if chosen.is_empty() {
            return Ok(match clusters.is_empty() {
                true => vec![environments.clone()],
                false => clusters.into_iter().map(|c| environments.clone().with_cluster(c)).collect(),
            });
        }
        let mut targets = Vec::new();
        let mut problems = Vec::new();
        for (index, cluster) in chosen.iter().enumerate() {
            if chosen[..index].contains(cluster) {
                continue;
            }
            match self.cluster_target(environments, cluster) {
                Ok(target) => targets.push(target),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(targets)
        } else {
            Err(problems)
        }
    }

    /// Several environments the project file declares apart (`generate dev prod`) are layered
    /// into one output, the first over the next, as Fabrikate read several environments: said,
    /// since a run naming two declared environments more likely meant each of them.
    pub fn layering(&self, environments: &Environments) -> Option<Problem> {
        let declared: Vec<&str> = environments
            .names()
            .iter()
            .map(String::as_str)
            .filter(|name| self.environments.contains_key(*name))
            .collect();
        if declared.len() < 2 {
            return None;
        }
        let quoted: Vec<String> = declared.iter().map(|name| format!("`{name}`")).collect();
        let each: Vec<String> = declared.iter().map(|name| format!("`hldc generate {name}`")).collect();
        Some(
            Problem::warning(
                "hldc::project::layered-environments",
                format!(
                    "{} are environments of their own in hldc.yaml, layered here into one output, `generated/{}` (the first one's config over the next's, as Fabrikate read several environments)",
                    quoted.join(" and "),
                    environments.environment_dir()
                ),
            )
            .help(format!("to render each environment, run {}", each.join(" and "))),
        )
    }

    /// `environments` seen from one of their clusters.
    pub fn cluster_target(&self, environments: &Environments, cluster: &str) -> Result<Environments, Problem> {
        let clusters = self.clusters_of(environments);
        if clusters.contains(&cluster) {
            Ok(environments.clone().with_cluster(cluster))
        } else {
            Err(self.unknown_cluster(environments, cluster, &clusters))
        }
    }

    fn clusters_of(&self, environments: &Environments) -> Vec<&str> {
        environments
            .names()
            .iter()
            .filter_map(|env| self.environments.get(env))
            .flat_map(|spec| spec.clusters.iter().map(String::as_str))
            .collect()
    }

    fn unknown_cluster(&self, environments: &Environments, cluster: &str, clusters: &[&str]) -> Problem {
        let envs = environments.output_dir();
        let problem =
            Problem::error("hldc::project::unknown-cluster", format!("`{cluster}` is not a cluster of `{envs}`"));
        if clusters.is_empty() {
            let help = match self.environment_of(cluster) {
                Some(env) => format!("`{cluster}` is a cluster of `{env}`: run it with `{env} --cluster {cluster}`"),
                None => format!("`{envs}` has no clusters; declare them in `{PROJECT_FILE}` under `environments.<env>.clusters`, or drop `--cluster`"),
            };
            return problem.help(help);
        }
        match did_you_mean(cluster, clusters.iter().copied()) {
            Some(near) => problem.help(format!("did you mean `{near}`? clusters of `{envs}`: {}", clusters.join(", "))),
            None => problem.help(format!("choose among the clusters of `{envs}`: {}", clusters.join(", "))),
        }
    }
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
    let mut project: Project = serde_yaml::from_value(document.value.clone()).map_err(|error| {
        vec![Problem::error("hldc::project::invalid", format!("cannot read `{PROJECT_FILE}`: {error}"))
            .at(document.value_location(&[]))
            .help("see `hldc schema project` for the format")]
    })?;
    let mut problems = Problems::default();
    problems.extend(duplicate_scopes(&project, &document));
    problems.extend(bad_mirrors(&project, &document));
    problems.extend(clashing_names(&project, &document));
    problems.extend(contradicting_diagnostics(&project, &document));
    project.document = Some(document);
    if problems.has_errors() {
        Err(problems.into_vec())
    } else {
        Ok(project)
    }
}

/// A mirror that is not a URL, or of another kind than what it mirrors.
fn bad_mirrors(project: &Project, document: &Document) -> Vec<Problem> {
    project
        .mirrors
        .iter()
        .filter_map(|(from, to)| {
            let reason = crate::fetch::check_mirror(from, to).err()?;
            Some(
                Problem::error("hldc::project::bad-mirror", reason)
                    .at(document.value_location(&[Segment::Key("mirrors".into()), Segment::Key(from.clone())]))
                    .help("write `\"<repository URL prefix>\": \"<mirror URL prefix>\"`, e.g. `\"https://kubernetes-charts.storage.googleapis.com\": \"https://charts.helm.sh/stable\"`"),
            )
        })
        .collect()
}

/// A code both allowed and denied in one block of `diagnostics:`: which one was meant?
fn contradicting_diagnostics(project: &Project, document: &Document) -> Vec<Problem> {
    let diagnostics = &project.diagnostics;
    let top = std::iter::once((vec![Segment::Key("diagnostics".into())], diagnostics.rules()));
    let components = diagnostics.components.iter().map(|(key, rules)| {
        let at = ["diagnostics", "components", key.as_str()].map(|k| Segment::Key(k.to_string())).to_vec();
        (at, rules.clone())
    });
    let mut problems = Vec::new();
    for (at, rules) in top.chain(components) {
        for code in rules.contradictions() {
            problems.push(
                Problem::error(
                    "hldc::project::allowed-and-denied",
                    format!("`{PROJECT_FILE}` both allows and denies `{code}`"),
                )
                .at(document.value_location(&at))
                .help(format!("keep `{code}` in `allow` or in `deny`, not both")),
            );
        }
    }
    problems
}

/// Two entries for one kind: whichever came last would win, silently.
fn duplicate_scopes(project: &Project, document: &Document) -> Vec<Problem> {
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
    duplicates
}

/// A cluster listed twice (in one environment or two), or named like an environment: its
/// config file would be one layer for two things, and its output directory ambiguous.
/// (An environment named twice is a duplicate key, which the YAML reader refuses.)
fn clashing_names(project: &Project, document: &Document) -> Vec<Problem> {
    let cluster_at = |env: &str, i: usize| {
        vec![
            Segment::Key("environments".into()),
            Segment::Key(env.into()),
            Segment::Key("clusters".into()),
            Segment::Index(i),
        ]
    };
    // In file order, so that "second" means second as written.
    let mut entries: Vec<(&str, usize, &String, crate::diag::Location)> = project
        .environments
        .iter()
        .flat_map(|(env, spec)| {
            spec.clusters.iter().enumerate().map(move |(index, cluster)| (env.as_str(), index, cluster))
        })
        .map(|(env, index, cluster)| (env, index, cluster, document.value_location(&cluster_at(env, index))))
        .collect();
    entries.sort_by_key(|entry| entry.3.span.start);
    let mut first: BTreeMap<&str, &crate::diag::Location> = BTreeMap::new();
    let mut problems: Vec<Problem> = project
        .environments
        .keys()
        .filter(|env| *env == "common")
        .map(|env| {
            common_named(env, "an environment")
                .at(document.key_location(&[Segment::Key("environments".into()), Segment::Key(env.clone())]))
        })
        .collect();
    for (env, _, cluster, here) in &entries {
        if *cluster == "common" {
            problems.push(common_named(cluster, "a cluster").at(here.clone()));
        } else if project.environments.contains_key(*cluster) {
            problems.push(
                Problem::error(
                    "hldc::project::cluster-is-environment",
                    format!("`{cluster}` is both an environment and a cluster of `{env}`"),
                )
                .at(here.clone())
                .label("cluster")
                .help("rename the cluster or the environment: `config/<name>.yaml` files would serve both")
                .related(
                    Problem::warning("hldc::project::cluster-is-environment", "the environment")
                        .at(document
                            .key_location(&[Segment::Key("environments".into()), Segment::Key((*cluster).clone())])),
                ),
            );
        } else if let Some(earlier) = first.insert(cluster, here) {
            problems.push(
                Problem::error("hldc::project::duplicate-cluster", format!("cluster `{cluster}` is listed twice"))
                    .at(here.clone())
                    .label("second entry")
                    .help("list each cluster once, under the one environment it runs in")
                    .related(Problem::warning("hldc::project::duplicate-cluster", "first entry").at(earlier.clone())),
            );
        }
    }
    problems
}

/// `common` applies to every run; as a name of its own it would be applied twice or never.
fn common_named(name: &str, what: &str) -> Problem {
    Problem::error("hldc::project::common", format!("`{name}` cannot be {what}: `common` applies to every run"))
        .label("reserved name")
        .help("choose another name; `config/common.yaml` files already apply everywhere")
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
    use crate::check::scope::Scope;

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
    fn mirrors_must_be_urls_of_the_kind_they_mirror() {
        let project = load_text(Some(
            "mirrors:\n  \"https://kubernetes-charts.storage.googleapis.com/\": https://charts.helm.sh/stable\n",
        ))
        .unwrap();
        assert_eq!(
            project.fetch_mirrors().apply("https://kubernetes-charts.storage.googleapis.com").as_deref(),
            Some("https://charts.helm.sh/stable")
        );
        let found = load_text(Some("mirrors:\n  oci://ghcr.io/org: https://charts.example\n")).unwrap_err();
        assert!(found.iter().any(|(at, m)| at == "hldc.yaml:2:22" && m.contains("same kind")), "{found:?}");
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
