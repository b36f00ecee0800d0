//! `examples/ci/`: every template is YAML its CI system accepts (against the trimmed schemas in
//! `tests/ci-schemas/`), holds its pipeline's hldc steps, and every hldc command line in it
//! parses with the real CLI. And `.pre-commit-hooks.yaml`, the hook HLD repositories run.

mod common;

use std::path::{Path, PathBuf};

use clap::Parser;
use common::commands::hldc_command_lines;
use common::{hldc, repo, write_files};
use hldc::cli::{Cli, Command, DiffFormat};

fn templates() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(repo().join("examples/ci"))
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

/// Every string in a YAML value: scripts are strings, however the file folds them.
fn strings(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        serde_yaml::Value::Mapping(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn schema_for(path: &Path) -> &'static str {
    match path.parent().and_then(Path::file_name).and_then(|n| n.to_str()) {
        Some("github") => "github-workflow.json",
        Some("gitlab") => "gitlab-ci.json",
        Some("azure") => "azure-pipelines.json",
        other => panic!("{}: no CI system for directory {other:?}", path.display()),
    }
}

fn parsed_commands(path: &Path, value: &serde_yaml::Value) -> Vec<Cli> {
    let mut texts = Vec::new();
    strings(value, &mut texts);
    texts
        .iter()
        .flat_map(|text| hldc_command_lines(text))
        .map(|words| {
            let args = std::iter::once("hldc".to_string()).chain(words.iter().cloned());
            Cli::try_parse_from(args)
                .unwrap_or_else(|e| panic!("{}: `hldc {}` does not parse:\n{e}", path.display(), words.join(" ")))
        })
        .collect()
}

#[test]
fn every_template_matches_its_ci_schema() {
    let files = templates();
    assert_eq!(files.len(), 12, "three pipelines, and the merge one sharded, for each of three CI systems: {files:?}");
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let value: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
        let instance: serde_json::Value = serde_json::to_value(&value).unwrap();
        let schema_path = repo().join("tests/ci-schemas").join(schema_for(path));
        let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{} against {}:\n{}", path.display(), schema_path.display(), errors.join("\n"));
    }
}

#[test]
fn the_trimmed_schemas_catch_a_misspelled_key() {
    for (schema, text) in [
        ("github-workflow.json", "on: push\njobs:\n  a:\n    run-on: ubuntu-latest\n    steps: [{run: x}]\n"),
        ("gitlab-ci.json", "job:\n  scirpt: [x]\n"),
        ("azure-pipelines.json", "steps:\n  - scrpt: x\n"),
    ] {
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(repo().join("tests/ci-schemas").join(schema)).unwrap())
                .unwrap();
        let instance = serde_json::to_value(serde_yaml::from_str::<serde_yaml::Value>(text).unwrap()).unwrap();
        assert!(!jsonschema::draft202012::new(&schema).unwrap().is_valid(&instance), "{schema} accepted {text}");
    }
}

#[test]
fn every_template_runs_its_pipelines_hldc_steps_and_each_line_parses() {
    for path in templates() {
        let text = std::fs::read_to_string(&path).unwrap();
        let commands = parsed_commands(&path, &serde_yaml::from_str(&text).unwrap());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let shown = path.display();
        if name.starts_with("service-build") {
            let sets: Vec<_> =
                commands.iter().filter_map(|c| if let Command::Set(a) = &c.command { Some(a) } else { None }).collect();
            assert!(
                sets.iter().any(|a| !a.trace && a.assignments.iter().any(|s| s.starts_with("image.tag="))),
                "{shown}: no `hldc set image.tag=...`"
            );
            assert!(
                sets.iter().any(|a| a.trace && a.assignments.iter().any(|s| s.starts_with("sourceCommit="))),
                "{shown}: no `hldc set --trace sourceCommit=...`"
            );
        } else if name.starts_with("hld-pr") {
            assert!(commands.iter().any(|c| matches!(c.command, Command::Validate(_))), "{shown}: no validate");
            assert!(
                commands.iter().any(|c| matches!(&c.command,
                    Command::Diff(a) if a.against.is_some() && a.output == DiffFormat::Markdown && a.fetch.locked)),
                "{shown}: no `hldc diff --against REF --locked --output markdown` (without --locked, a pull request changing a version without hldc.lock passes and its merge fails)"
            );
            // The pull request is untrusted: nothing of the runner's is opened to it (SECURITY.md).
            for command in &commands {
                let (render, access) = match &command.command {
                    Command::Diff(a) => (&a.render, &a.fetch.access),
                    Command::Validate(a) => (&a.render, &a.access),
                    _ => continue,
                };
                assert!(!render.allow_hooks && render.hook_env.is_empty(), "{shown}: hooks in a PR pipeline");
                assert!(!access.allow_local_sources, "{shown}: local sources in a PR pipeline");
                for token in &access.allow_tokens {
                    assert!(token.contains('='), "{shown}: `--allow-token {token}` is not bound to a URL");
                }
            }
        } else if name.starts_with("hld-merge") {
            assert!(
                commands.iter().any(|c| matches!(&c.command, Command::Generate(a) if a.fetch.locked)),
                "{shown}: no `hldc generate --locked`"
            );
            assert!(text.contains("--trailer \"Hld-Commit: "), "{shown}: the commit has no Hld-Commit trailer");
            // Runs of two merges can finish out of order: only the branch's newest commit writes.
            let checks_newest =
                text.find("ls-remote origin").zip(text.find("git add -A")).is_some_and(|(check, add)| check < add);
            assert!(checks_newest, "{shown}: commits without checking it is still the branch's newest commit");
            // A runner starts with an empty cache: every merge would fetch and render everything.
            let cached = match schema_for(&path) {
                "github-workflow.json" => text.contains("uses: actions/cache@") && text.contains("path: ~/.cache/hldc"),
                "gitlab-ci.json" => {
                    text.contains("XDG_CACHE_HOME: $CI_PROJECT_DIR/.cache") && text.contains("paths: [.cache/hldc]")
                }
                _ => {
                    text.contains("task: Cache@2")
                        && text.contains("XDG_CACHE_HOME: $(Pipeline.Workspace)/.cache")
                        && text.contains("path: $(Pipeline.Workspace)/.cache/hldc")
                }
            };
            assert!(cached, "{shown}: hldc's cache directory is not kept between runs");
            if name.starts_with("hld-merge-sharded") {
                // One job per cluster, checked against (or built from) `hldc clusters`.
                assert!(
                    commands.iter().any(|c| matches!(c.command, Command::Clusters(_))),
                    "{shown}: no `hldc clusters`"
                );
                assert!(
                    commands
                        .iter()
                        .any(|c| matches!(&c.command, Command::Generate(a) if !a.targets.clusters.is_empty())),
                    "{shown}: no `hldc generate --cluster`"
                );
            }
        } else {
            panic!("{shown}: not one of the three pipelines");
        }
    }
}

/// Whether pre-commit runs `hook` on a commit changing `path`: its `files` and `exclude`
/// patterns, read as Python's `re.search` reads them (neither: every file).
fn pre_commit_runs(hook: &serde_yaml::Value, path: &str) -> bool {
    let pattern = |key: &str| hook.get(key).and_then(|p| p.as_str()).map(|p| regex::Regex::new(p).unwrap());
    pattern("files").is_none_or(|files| files.is_match(path)) && pattern("exclude").is_none_or(|ex| !ex.is_match(path))
}

#[test]
fn the_pre_commit_hook_runs_on_every_file_hldc_reads_and_fails_an_invalid_hldc_yaml() {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 2);
    // What hldc reads: the project, lock and access files, component and config files, but also
    // static manifests, CRDs hldc.yaml names, local charts, and what .gitignore hides from it.
    let read = [
        "hldc.yaml",
        "hldc.lock",
        "access.yaml",
        "component.yaml",
        "component.json",
        "config/common.yaml",
        "infra/prometheus/config/prod.json",
        "services/web/manifests/deployment.yaml",
        "crds/widgets.yaml",
        "charts/app/values.yaml",
        "charts/app/templates/deployment.yaml",
        ".gitignore",
    ];
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[("component.yaml", "name: hld\nsubcomponents: []\n"), ("hldc.yaml", "enviroments: {prod: {}}\n")],
    );
    for hook in &hooks {
        let id = hook["id"].as_str().unwrap();
        for path in read {
            assert!(pre_commit_runs(hook, path), "hook {id} skips a commit changing {path}");
        }
        assert_eq!(hook["pass_filenames"].as_bool(), Some(false), "{id}: validate reads the whole HLD");
        let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
        assert_eq!(entry, ["hldc", "validate"], "{id}");
        // What pre-commit then runs, in the repository root: the unknown key fails the commit.
        hldc(hld.path(), &entry[1..]).assert_code(1).assert_stderr_contains("error[hldc::schema::");
    }
}
