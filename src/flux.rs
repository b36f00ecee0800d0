//! Flux Kustomizations for `generate --flux-kustomizations`: one per rendered path, so each
//! cluster's Flux applies exactly its own directory of the manifest repository (pure).
//!
//! They live in `clusters/<cluster>/hldc.yaml` (`clusters/<env>/hldc.yaml` for an environment
//! without clusters), Flux's own layout: `flux bootstrap --path=clusters/<cluster>` puts
//! `flux-system/` beside the file, and Flux then applies it. hldc writes only that one file,
//! never the directory, so the bootstrap's files stay untouched.

use serde_yaml::{Mapping, Value};

use crate::model::environments::Environments;

/// `clusters/<name>/hldc.yaml` → the Kustomization syncing `./generated/<output dir>`.
pub fn kustomizations(targets: &[Environments]) -> Vec<(String, String)> {
    targets
        .iter()
        .map(|target| {
            let output_dir = target.output_dir();
            let cluster = target.cluster().map(str::to_string).unwrap_or_else(|| output_dir.clone());
            let name = format!("hldc-{}", output_dir.replace('/', "-"));
            let object = yaml(&[
                ("apiVersion", "kustomize.toolkit.fluxcd.io/v1".into()),
                ("kind", "Kustomization".into()),
                ("metadata", yaml(&[("name", name.into()), ("namespace", "flux-system".into())])),
                (
                    "spec",
                    yaml(&[
                        ("interval", "10m".into()),
                        ("path", format!("./generated/{output_dir}").into()),
                        ("prune", true.into()),
                        ("sourceRef", yaml(&[("kind", "GitRepository".into()), ("name", "flux-system".into())])),
                        ("timeout", "5m".into()),
                        ("wait", true.into()),
                    ]),
                ),
            ]);
            let text = format!("{WRITTEN_BY}{output_dir}.\n---\n{}", crate::yaml::write::to_string(&object));
            (format!("clusters/{cluster}/hldc.yaml"), text)
        })
        .collect()
}

/// The header hldc writes above each Kustomization, naming the path Flux applies.
const WRITTEN_BY: &str = "# Written by `hldc generate --flux-kustomizations`: Flux applies ./generated/";

/// Of `existing` (`clusters/<name>/hldc.yaml` and its text), the files hldc wrote for an output
/// of the environment directory `environment_dir` that this run's `written` no longer holds: a
/// cluster dropped from hldc.yaml, whose directory `generate` deleted and whose Flux would
/// otherwise fail on the missing path. A file hldc did not write is never named.
pub fn stale(existing: &[(String, String)], environment_dir: &str, written: &[String]) -> Vec<String> {
    existing
        .iter()
        .filter(|(path, _)| !written.contains(path))
        .filter(|(_, text)| {
            let applied = text.lines().next().and_then(|line| line.strip_prefix(WRITTEN_BY)?.strip_suffix('.'));
            applied.is_some_and(|applied| {
                applied == environment_dir
                    || applied.strip_prefix(environment_dir).is_some_and(|rest| rest.starts_with('/'))
            })
        })
        .map(|(path, _)| path.clone())
        .collect()
}

fn yaml(entries: &[(&str, Value)]) -> Value {
    Value::Mapping(entries.iter().map(|(k, v)| (Value::from(*k), v.clone())).collect::<Mapping>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cluster_gets_the_path_generate_wrote() {
        let prod = Environments::new(&["prod".to_string()]);
        let files = kustomizations(&[prod.with_cluster("east-us"), Environments::new(&["dev".to_string()])]);
        let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["clusters/east-us/hldc.yaml", "clusters/dev/hldc.yaml"]);
        assert!(files[0].1.contains("path: \"./generated/prod/east-us\"\n"), "{}", files[0].1);
        assert!(files[0].1.contains("name: hldc-prod-east-us\n"));
        assert!(files[1].1.contains("path: \"./generated/dev\"\n"));
    }

    #[test]
    fn a_dropped_clusters_file_is_stale_and_nothing_else_is() {
        let prod = Environments::new(&["prod".to_string()]);
        let mut existing =
            kustomizations(&[prod.clone().with_cluster("east-us"), prod.clone().with_cluster("central")]);
        existing.extend(kustomizations(&[Environments::new(&["prod-eu".to_string()])]));
        existing.push(("clusters/mine/hldc.yaml".into(), "# kept by hand: ./generated/prod/mine\n".into()));
        let written = vec!["clusters/east-us/hldc.yaml".to_string()];
        assert_eq!(stale(&existing, "prod", &written), ["clusters/central/hldc.yaml"]);
    }
}
