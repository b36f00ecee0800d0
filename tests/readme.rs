//! The README as a newcomer meets it: its first two commands are the ones that work, and the
//! 5-minute tour runs literally, every shown output as shown.

mod common;

use std::path::Path;

use clap::Parser;
use common::{copy_tree, hldc, repo};

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

#[test]
fn the_first_two_commands_are_generate_on_the_example_and_the_ci_test_command() {
    let text = readme();
    let block = text.split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    let lines: Vec<&str> = block.lines().collect();
    let generate = lines[0].strip_prefix("scripts/install-tools && cargo run -- ").expect(lines[0]);
    let args = std::iter::once("hldc").chain(generate.split_whitespace());
    let cli = hldc::cli::Cli::try_parse_from(args).unwrap();
    assert!(matches!(cli.command, hldc::cli::Command::Generate(_)), "{generate}");
    assert!(generate.contains("-C examples/fabrikam-trivia"), "{generate}");
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert!(ci.lines().any(|line| line == lines[1]), "the README's second command is not what .ci/run runs");
}

/// One `$ command` of the tour and the lines shown after it.
struct Step {
    command: String,
    output: Vec<String>,
}

fn tour() -> Vec<Step> {
    let text = readme();
    let section = text.split("## A 5-minute tour\n").nth(1).unwrap().split("\n## ").next().unwrap();
    let mut steps: Vec<Step> = Vec::new();
    for block in section.split("```console\n").skip(1) {
        for line in block.split("```").next().unwrap().lines() {
            match line.strip_prefix("$ ") {
                Some(command) => steps.push(Step { command: command.to_string(), output: Vec::new() }),
                None => steps.last_mut().expect("output before a command").output.push(line.to_string()),
            }
        }
    }
    steps
}

#[test]
fn the_tour_runs_literally() {
    let root = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/fabrikam-trivia"), &root.path().join("examples/fabrikam-trivia"));
    // A clone: the example is committed in a git repository, as it is in this one.
    for args in [&["init", "-q", "-b", "main"][..], &["add", "-A"], &["commit", "-q", "-m", "clone"]] {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(root.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", root.path())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
    let mut cwd = root.path().to_path_buf();
    let steps = tour();
    assert!(steps.len() >= 10, "{} steps", steps.len());
    for step in steps {
        let words: Vec<&str> = step.command.split_whitespace().collect();
        let shown = step.output.join("\n");
        match words[0] {
            // The test runs the binary it built, with the test helm.
            "cargo" | "scripts/install-tools" => continue,
            "cd" => cwd = cwd.join(words[1]),
            "cat" => {
                let file = std::fs::read_to_string(cwd.join(words[1])).unwrap();
                assert_eq!(file.trim_end(), shown, "`{}` shows another file", step.command);
            }
            "ls" => {
                let mut names: Vec<String> = std::fs::read_dir(cwd.join(words[1]))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                assert_eq!(names.join("\n"), shown, "`{}`", step.command);
            }
            "hldc" => {
                let expected_code = if words[1] == "diff" { 1 } else { 0 };
                let run = hldc(Path::new(&cwd), &words[1..]).assert_code(expected_code);
                let said = format!("{}{}", run.stdout, run.stderr);
                assert_eq!(said.trim_end(), shown, "`{}` says something else", step.command);
            }
            other => panic!("the tour runs `{other}`, which this test does not know"),
        }
    }
}
