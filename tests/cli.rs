//! The command line as people meet it: help, suggestions, verbosity, colour, JSON, completions,
//! the man page, and the command reference generated from it.

mod common;

use clap::CommandFactory;
use common::{copy_tree, hldc, hldc_with_env, repo, write_files};

/// Every command path: `[]`, `["generate"]`, `["cache", "dir"]`, …
fn command_paths() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for sub in command.get_subcommands().filter(|c| c.get_name() != "help") {
            let mut path = prefix.clone();
            path.push(sub.get_name().to_string());
            walk(sub, path, out);
        }
    }
    let mut out = Vec::new();
    walk(&hldc::cli::Cli::command(), Vec::new(), &mut out);
    out
}

#[test]
fn every_help_is_snapshotted_and_every_command_shows_examples() {
    let dir = tempfile::tempdir().unwrap();
    for path in command_paths() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = hldc(dir.path(), &args).assert_code(0).stdout;
        assert!(help.contains("\nExamples:\n"), "`hldc {}` has no examples:\n{help}", path.join(" "));
        let name = std::iter::once("help__hldc").chain(path.iter().map(String::as_str)).collect::<Vec<_>>().join("_");
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name, help);
        });
    }
}

#[test]
fn hld_and_helm_options_appear_only_where_they_mean_something() {
    let reads_hld = [
        "generate", "validate", "diff", "update", "config", "set", "add", "remove", "promote", "tree", "clusters",
        "trace",
    ];
    let runs_helm = ["generate", "validate", "diff", "update", "config", "promote", "tree"];
    let renders_kustomize = ["generate", "validate", "diff", "promote"];
    let dir = tempfile::tempdir().unwrap();
    for path in command_paths().into_iter().filter(|p| !p.is_empty()) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = hldc(dir.path(), &args).assert_code(0).stdout;
        let top = path[0].as_str();
        assert_eq!(help.contains("--directory <DIR>"), reads_hld.contains(&top), "-C in `hldc {}`", path.join(" "));
        assert_eq!(help.contains("--helm <PATH>"), runs_helm.contains(&top), "--helm in `hldc {}`", path.join(" "));
        let kustomize = help.contains("--kustomize <PATH>");
        assert_eq!(kustomize, renders_kustomize.contains(&top), "--kustomize in `hldc {}`", path.join(" "));
    }
    hldc(dir.path(), &["schema", "-C", "x"]).assert_code(2).assert_stderr_contains("unexpected argument '-C'");
    // `hldc -C DIR <command>` of existing scripts keeps working.
    let hld = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), hld.path());
    hldc(dir.path(), &["-C", hld.path().to_str().unwrap(), "validate"]).assert_code(0);
}

#[test]
fn every_command_that_reports_says_what_its_json_holds() {
    let reports = ["generate", "validate", "diff", "config", "journey", "tree", "clusters", "trace", "promote"];
    let dir = tempfile::tempdir().unwrap();
    for path in command_paths().into_iter().filter(|p| !p.is_empty()) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = hldc(dir.path(), &args).assert_code(0).stdout;
        let name = path.join(" ");
        let Some((_, option)) = help.split_once("--output <FORMAT>") else {
            assert!(!reports.contains(&name.as_str()), "`hldc {name}` has no --output");
            continue;
        };
        assert!(reports.contains(&name.as_str()), "`hldc {name}` has --output: list it here");
        // The option's own help: up to the next option (`  -h, --help` or `      --long`).
        let end = ["\n  -", "\n      -"].iter().filter_map(|next| option.find(next)).min().unwrap_or(option.len());
        let option = &option[..end];
        assert!(option.contains("`json` ({"), "`hldc {name} --output` does not name its JSON's keys:{option}");
    }
}

#[test]
fn a_mistyped_command_never_suggests_one_that_writes() {
    let dir = tempfile::tempdir().unwrap();
    let template = hldc(dir.path(), &["template"]).assert_code(2);
    assert!(!template.stderr.contains("'update'"), "{}", template.stderr);
    template.assert_stderr_contains("hldc generate --stdout");
    hldc(dir.path(), &["valdate"]).assert_code(2).assert_stderr_contains("a similar subcommand exists: 'validate'");
    // Every one-letter slip of a command that writes: clap would offer the command itself.
    for name in ["generate", "update", "set", "add", "remove", "cache"] {
        for cut in 0..name.len() {
            let typo = format!("{}{}", &name[..cut], &name[cut + 1..]);
            let run = hldc(dir.path(), &[&typo]).assert_code(2);
            for writer in ["generate", "update", "set", "add", "remove", "cache", "init"] {
                assert!(
                    !run.stderr.contains(&format!("'{writer}'")),
                    "`hldc {typo}` suggests {writer}:\n{}",
                    run.stderr
                );
            }
        }
    }
}

/// The example with two stale files in its prod output.
fn example_with_stale_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), dir.path());
    write_files(dir.path(), &[("generated/prod/old-a.yaml", "a: 1\n"), ("generated/prod/x/old-b.yaml", "b: 1\n")]);
    dir
}

#[test]
fn quiet_says_nothing_and_verbose_names_every_removed_file() {
    let dir = example_with_stale_files();
    let verbose = hldc(dir.path(), &["generate", "prod", "-v"]).assert_code(0);
    verbose.assert_stderr_contains("removed 2 files of an earlier run:\n  old-a.yaml\n  x/old-b.yaml\n");
    write_files(dir.path(), &[("generated/prod/old-a.yaml", "a: 1\n")]);
    let quiet = hldc(dir.path(), &["-q", "generate", "prod"]).assert_code(0);
    // Not even the warning that a copy outside git has no commit to stamp: errors only.
    assert_eq!(quiet.stderr, "");
    assert!(!dir.path().join("generated/prod/old-a.yaml").exists());
    hldc(dir.path(), &["generate", "-q", "-v"]).assert_code(2).assert_stderr_contains("cannot be used with");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("component.yaml", "name: app\nbogus: 1\n")]);
    let escape = '\u{1b}';
    // The helpers set NO_COLOR and no stream is a terminal: `auto` means no colour.
    let auto = hldc(dir.path(), &["validate"]).assert_code(1);
    assert!(!auto.stderr.contains(escape));
    let always = hldc(dir.path(), &["validate", "--color", "always"]).assert_code(1);
    assert!(always.stderr.contains(escape), "{}", always.stderr);
    assert!(always.stderr.starts_with("error["), "the greppable line survives colour");
    let never = hldc_with_env(dir.path(), &["--color", "never", "validate"], &[]).assert_code(1);
    assert!(!never.stderr.contains(escape));
}

#[test]
fn generate_reports_json_on_success_and_on_failure() {
    let dir = example_with_stale_files();
    let run = hldc(dir.path(), &["generate", "prod", "--output", "json"]).assert_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], true);
    // Two clusters of prod, five files each.
    assert_eq!(report["files"], 10);
    assert_eq!(report["removed"], serde_json::json!(["old-a.yaml", "x/old-b.yaml"]));
    assert_eq!(report["diagnostics"].as_array().unwrap().len(), 1, "only the no-commit warning of a copy outside git");
    assert_eq!(report["diagnostics"][0]["code"], "hldc::trace::no-commit");

    let run = hldc(dir.path(), &["generate", "prd", "--output", "json"]).assert_code(2);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["diagnostics"][0]["code"], "hldc::config::unknown-environment");
    assert_eq!(report["diagnostics"][0]["level"], "error");
}

#[test]
fn completions_and_the_man_page_name_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = hldc(dir.path(), &["completions", shell]).assert_code(0).stdout;
        for command in ["generate", "validate", "diff", "completions"] {
            assert!(script.contains(command), "{shell} completion lacks {command}");
        }
    }
    let man = hldc(dir.path(), &["man"]).assert_code(0).stdout;
    assert!(man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH hldc 1"), "{man}");
    assert!(man.contains("generate") && man.contains("validate"));
}

#[test]
fn the_command_reference_is_up_to_date() {
    let path = repo().join("docs/commands.md");
    let expected = hldc::cli::reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(actual == expected, "docs/commands.md is stale: run `UPDATE_DOCS=1 cargo test --test cli`");
}
