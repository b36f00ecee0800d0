//! `deploy/` (Argo CD) and `generate --flux-kustomizations` (Flux): every file parsed, every
//! hldc command line parsed by the real CLI, and the plugin's script run for real.

mod common;

use std::path::Path;
use std::process::Command;

use clap::Parser;
use common::commands::hldc_command_lines;
use common::{copy_tree, helm, hldc, read_tree, repo, write_files};
use serde_yaml::Value;

fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

#[test]
fn every_deploy_file_is_a_kubernetes_object_and_its_hldc_lines_parse() {
    let mut files = 0;
    let mut lines = 0;
    for entry in walkdir::WalkDir::new(repo().join("deploy")).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        files += 1;
        for document in documents(entry.path()) {
            for field in ["apiVersion", "kind"] {
                assert!(document[field].is_string(), "{}: no {field}", entry.path().display());
            }
            assert!(document["metadata"]["name"].is_string(), "{}: no metadata.name", entry.path().display());
        }
        for words in hldc_command_lines(&std::fs::read_to_string(entry.path()).unwrap()) {
            lines += 1;
            let args = std::iter::once("hldc".to_string()).chain(words.iter().cloned());
            if let Err(e) = hldc::cli::Cli::try_parse_from(args) {
                panic!("{}: `hldc {}` does not parse:\n{e}", entry.path().display(), words.join(" "));
            }
        }
    }
    assert_eq!(files, 3);
    assert_eq!(lines, 2, "the plugin's two generate lines");
}

/// The plugin's generate script, run as the CMP server runs it: `sh -c` in the source
/// directory, the Application's parameters as `ARGOCD_ENV_*`.
fn run_plugin(dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let plugin = &documents(&repo().join("deploy/argocd/plugin.yaml"))[0];
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let command: Vec<&str> =
        plugin["spec"]["generate"]["command"].as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(command, ["sh", "-c"]);
    let script = plugin["spec"]["generate"]["args"][0].as_str().unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_hldc")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .env_clear()
        .env("PATH", path)
        .env("HLDC_HELM", helm())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

#[test]
fn the_argo_cd_plugin_prints_what_generate_stdout_prints() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), dir.path());
    let expected = hldc(dir.path(), &["generate", "dev", "--stdout"]).assert_code(0).stdout;
    let output = run_plugin(dir.path(), &[("ARGOCD_ENV_HLDC_ENVIRONMENT", "dev")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    assert!(!dir.path().join("generated").exists(), "the plugin wrote into the checkout");

    // The example's prod has two clusters: the plugin must be told which one.
    let refused = run_plugin(dir.path(), &[("ARGOCD_ENV_HLDC_ENVIRONMENT", "prod")]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--cluster"));
    let one =
        run_plugin(dir.path(), &[("ARGOCD_ENV_HLDC_ENVIRONMENT", "prod"), ("ARGOCD_ENV_HLDC_CLUSTER", "west-us")]);
    assert!(one.status.success(), "{}", String::from_utf8_lossy(&one.stderr));
    assert!(String::from_utf8_lossy(&one.stdout).contains("# Source: trivia-web.yaml"));
}

#[test]
fn flux_kustomizations_sync_each_cluster_path_and_leave_flux_system_alone() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), dir.path());
    write_files(
        dir.path(),
        &[
            // The example's prod has clusters east-us and west-us.
            ("clusters/east-us/flux-system/gotk-sync.yaml", "bootstrap: mine\n"),
        ],
    );
    hldc(dir.path(), &["generate", "prod", "--flux-kustomizations"])
        .assert_code(0)
        .assert_stderr_contains("wrote clusters/east-us/hldc.yaml");
    let clusters: Vec<String> = read_tree(&dir.path().join("clusters")).into_keys().collect();
    assert_eq!(clusters, ["east-us/flux-system/gotk-sync.yaml", "east-us/hldc.yaml", "west-us/hldc.yaml"]);
    for cluster in ["east-us", "west-us"] {
        let objects = documents(&dir.path().join(format!("clusters/{cluster}/hldc.yaml")));
        assert_eq!(objects.len(), 1);
        let kustomization = &objects[0];
        assert_eq!(kustomization["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
        assert_eq!(kustomization["kind"], "Kustomization");
        assert_eq!(kustomization["metadata"]["name"].as_str(), Some(format!("hldc-prod-{cluster}").as_str()));
        let path = kustomization["spec"]["path"].as_str().unwrap();
        assert_eq!(path, format!("./generated/prod/{cluster}"));
        assert!(dir.path().join(path).join("trivia-web.yaml").is_file(), "{path} was not generated");
        assert_eq!(kustomization["spec"]["prune"], true);
    }
    // Without the flag nothing under clusters/ changes; one cluster writes only its own file.
    std::fs::remove_file(dir.path().join("clusters/west-us/hldc.yaml")).unwrap();
    hldc(dir.path(), &["generate", "prod"]).assert_code(0);
    assert!(!dir.path().join("clusters/west-us/hldc.yaml").exists());
    hldc(dir.path(), &["generate", "prod", "--cluster", "west-us", "--flux-kustomizations"]).assert_code(0);
    assert!(dir.path().join("clusters/west-us/hldc.yaml").exists());
    hldc(dir.path(), &["generate", "prod", "--stdout", "--flux-kustomizations"]).assert_code(2);
}

#[test]
fn command_lines_are_found_as_a_shell_would_split_them() {
    let text = "# hldc generate in a comment\nrun: hldc validate --output json > out.json\n  - 'x' && hldc diff prod --against \"origin/main\" | tee d\nexec hldc set --trace sourceCommit=${{ github.sha }} \\\n  --env prod\necho hldc is not a command here\n";
    let found = hldc_command_lines(text);
    assert_eq!(
        found,
        [
            vec!["validate", "--output", "json"],
            vec!["diff", "prod", "--against", "origin/main"],
            vec!["set", "--trace", "sourceCommit=VALUE", "--env", "prod"],
        ]
    );
}
