//! The Dockerfile: multi-stage, pinned tools (the very binaries the test suite runs against),
//! a non-root user, hldc as the entrypoint; built when a container builder is on the machine.

mod common;

use std::process::Command;

use common::repo;
use sha2::{Digest, Sha256};

fn dockerfile() -> String {
    std::fs::read_to_string(repo().join("Dockerfile")).unwrap()
}

/// `ARG NAME=value` of the Dockerfile.
fn arg(text: &str, name: &str) -> String {
    let prefix = format!("ARG {name}=");
    text.lines().find_map(|l| l.trim().strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {prefix}")).to_string()
}

fn sha256(path: &std::path::Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_image_pins_the_tested_tools_and_runs_as_a_non_root_user() {
    let text = dockerfile();
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert!(stages.len() >= 3, "multi-stage: {stages:?}");
    for stage in &stages {
        let image = stage.split_whitespace().nth(1).unwrap();
        assert!(image.contains(':') && !image.ends_with(":latest"), "unpinned base image {image}");
    }
    // The pins are the binaries scripts/install-tools installs, which the tests render with.
    for (name, tool) in [("HELM_SHA256", "helm"), ("KUBECTL_SHA256", "kubectl")] {
        let pinned = arg(&text, name);
        assert_eq!(pinned, sha256(&repo().join(".tools/bin").join(tool)), "{name} is not the tested {tool}");
        assert!(
            text.contains(&format!("echo \"${{{name}}}  .tools/bin/{tool}\" | sha256sum -c -")),
            "{tool} unchecked"
        );
    }
    let install = std::fs::read_to_string(repo().join("scripts/install-tools")).unwrap();
    assert!(install.contains("--require-hashes"), "install-tools must verify its download");

    let final_stage = text.rsplit("\nFROM ").next().unwrap();
    let user = final_stage.lines().find_map(|l| l.strip_prefix("USER ")).expect("the image sets USER");
    let uid = user.split(':').next().unwrap();
    assert!(uid.parse::<u32>().is_ok_and(|uid| uid != 0), "USER {user} must be a numeric non-root uid");
    assert!(final_stage.contains("ENTRYPOINT [\"hldc\"]"));
    assert!(final_stage.contains("ENV HLDC_HELM=/usr/local/bin/helm"));
}

/// A builder that can build: the binary present and its daemon (if any) reachable.
fn builder() -> Option<&'static str> {
    let works = |program: &str, args: &[&str]| {
        Command::new(program).args(args).output().is_ok_and(|output| output.status.success())
    };
    [("docker", &["info"][..]), ("podman", &["info"][..]), ("buildah", &["--version"][..])]
        .into_iter()
        .find(|(program, args)| works(program, args))
        .map(|(program, _)| program)
}

#[test]
fn the_image_builds_and_runs_hldc_as_non_root() {
    let Some(builder) = builder() else {
        eprintln!("skipped: no working docker, podman or buildah on this machine (the image is not built)");
        return;
    };
    let tag = "hldc-test:latest";
    let build = match builder {
        "buildah" => Command::new("buildah").args(["bud", "-t", tag, "."]).current_dir(repo()).status(),
        _ => Command::new(builder).args(["build", "-t", tag, "."]).current_dir(repo()).status(),
    };
    assert!(build.unwrap().success(), "{builder} build failed");
    if builder == "buildah" {
        return;
    }
    let run = |args: &[&str]| {
        let output = Command::new(builder).args(["run", "--rm"]).args(args).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(run(&[tag, "--version"]).starts_with("hldc "));
    assert_eq!(run(&["--entrypoint", "id", tag, "-u"]).trim(), "10001");
    assert!(run(&["--entrypoint", "helm", tag, "version", "--short"]).starts_with("v4.1.4"));
}
