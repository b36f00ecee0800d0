//! What `hldc clusters` checks before listing: that the directory is an HLD and that each
//! environment it names exists, read from file names alone (it reads only hldc.yaml otherwise).

use std::collections::BTreeSet;
use std::path::Path;

use crate::diag::Problem;
use crate::project::Project;
use crate::sources::Sources;
use crate::suggest::did_you_mean;

/// An error for a directory without a component file, and for each of `environments` that
/// hldc.yaml does not declare and no `config/<env>.yaml` in the HLD's tree names.
pub fn check_known(sources: &Sources, project: &Project, environments: &[String]) -> Result<(), Vec<Problem>> {
    let root = sources.hld_root();
    crate::load::component_file(sources, root).map_err(|problem| vec![problem])?;
    let mut known: BTreeSet<String> = project.environments.keys().cloned().collect();
    known.extend(config_file_names(root));
    let clusters: BTreeSet<&String> = project.environments.values().flat_map(|spec| &spec.clusters).collect();
    let problems: Vec<Problem> = environments
        .iter()
        .filter(|name| !known.contains(*name) && !clusters.contains(name))
        .map(|name| {
            let listed: Vec<&str> =
                known.iter().filter(|env| !clusters.contains(env) && *env != "common").map(String::as_str).collect();
            let help = match did_you_mean(name, listed.iter().copied()) {
                Some(near) => format!("did you mean `{near}`? known environments: {}", listed.join(", ")),
                None => format!("known environments: {}", listed.join(", ")),
            };
            Problem::error(
                "hldc::config::unknown-environment",
                format!(
                    "no config file for environment `{name}` anywhere in the HLD, and hldc.yaml does not declare it"
                ),
            )
            .help(help)
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The environments the config files under `root` name (`config/<env>.yaml`), by file name:
/// nothing is read, `.git` and links are not followed.
fn config_file_names(root: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| entry.file_name() != ".git")
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_file())
        .filter(|entry| entry.path().parent().and_then(Path::file_name).is_some_and(|dir| dir == "config"))
        .filter_map(|entry| {
            let path = entry.path();
            let extension = path.extension()?.to_str()?;
            matches!(extension, "yaml" | "yml" | "json").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect()
}
