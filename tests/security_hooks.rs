//! Hooks are the HLD's code: with `--allow-hooks` they run, but with a deadline and none of the
//! pipeline's environment except what it passes on (issue 21, attack 15).

mod common;

use common::{hldc_with_env, write_files};

fn hld_with_hook(root: &std::path::Path, hook: &str) {
    let component = format!(
        "name: app\nhooks:\n  before-generate:\n    - {hook}\nsubcomponents:\n  - name: s\n    type: static\n    path: m\n"
    );
    write_files(
        root,
        &[("component.yaml", &component), ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")],
    );
}

#[test]
fn a_hook_sees_path_a_home_of_its_own_and_only_the_variables_passed_to_it() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    hld_with_hook(root, "env > hook-env.txt");
    let pipeline = [("CI_DEPLOY_SECRET", "s3cr3t"), ("PASSED_ON", "visible"), ("HOME", "/root")];
    hldc_with_env(root, &["generate", "--allow-hooks", "--hook-env", "PASSED_ON"], &pipeline).assert_code(0);
    let seen = std::fs::read_to_string(root.join("hook-env.txt")).unwrap();
    let mut names: Vec<&str> = seen.lines().filter_map(|line| line.split_once('=').map(|(name, _)| name)).collect();
    names.sort_unstable();
    // `sh` itself sets PWD (and dash OLDPWD); everything else would have come from hldc.
    names.retain(|name| !["PWD", "OLDPWD", "SHLVL", "_"].contains(name));
    assert_eq!(names, ["HOME", "PASSED_ON", "PATH"], "the hook's environment:\n{seen}");
    assert!(!seen.contains("s3cr3t"), "a secret the pipeline did not pass reached the hook");
    assert!(seen.contains("PASSED_ON=visible"));
    let home = seen.lines().find_map(|line| line.strip_prefix("HOME=")).unwrap();
    assert_ne!(home, "/root", "the hook got the pipeline's home");
    assert!(!std::path::Path::new(home).exists(), "the hook's home was left behind");
}

#[test]
fn a_hook_that_outlives_its_timeout_is_killed_and_nothing_is_written() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    hld_with_hook(root, "sleep 600");
    let run = hldc_with_env(root, &["generate", "--allow-hooks", "--hook-timeout", "1s"], &[]).assert_code(2);
    run.assert_stderr_contains("error[hldc::hooks::failed]")
        .assert_stderr_contains("no result after 1s")
        .assert_stderr_contains("--hook-timeout");
    assert!(!root.join("generated").exists(), "a failed hook let the output be written");
}

#[test]
fn hook_settings_need_allow_hooks() {
    let hld = tempfile::tempdir().unwrap();
    hld_with_hook(hld.path(), "true");
    hldc_with_env(hld.path(), &["generate", "--hook-env", "X"], &[])
        .assert_code(2)
        .assert_stderr_contains("--allow-hooks");
}
