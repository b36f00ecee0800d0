//! `hldc generate` writes only inside its output root (issue 21, attacks 6 and 13): a symlink
//! the HLD commits among the output directories is refused, temporary files are never created
//! through a link, and concurrent runs take turns on a lock, leaving no stray files.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use common::{hldc, read_tree, write_files};

const COMPONENT: &str = "name: app\ntype: static\npath: manifests\n";
const CONFIG_MAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\ndata:\n  key: one\n";

/// A static HLD with a `prod` environment, not generated yet.
fn hld() -> tempfile::TempDir {
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[("component.yaml", COMPONENT), ("config/prod.yaml", ""), ("manifests/maps.yaml", CONFIG_MAP)],
    );
    hld
}

/// A directory outside the HLD holding what an earlier output there would: the victim.
fn outside() -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    write_files(
        outside.path(),
        &[
            ("prod/app.yaml", "precious\n"),
            ("prod/keep.txt", "precious\n"),
            ("prod.json", "precious\n"),
            ("prod/hldc.yaml", "precious\n"),
            ("victim", "precious\n"),
        ],
    );
    outside
}

#[test]
fn a_symlink_among_the_output_directories_is_refused_and_nothing_outside_changes() {
    let cases: [(&str, &str, &[&str]); 6] = [
        ("generated", "", &[]),
        ("generated/prod", "prod", &[]),
        ("generated/prod/nested", "prod", &[]),
        (".hldc", "", &[]),
        ("clusters", "", &["--flux-kustomizations"]),
        ("clusters/prod", "prod", &["--flux-kustomizations"]),
    ];
    for (link, target, flags) in cases {
        let (hld, outside) = (hld(), outside());
        let root = hld.path();
        let at = root.join(link);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(outside.path().join(target), &at).unwrap();
        let (outside_before, hld_before) = (read_tree(outside.path()), read_tree(root));
        let args: Vec<&str> = ["generate", "prod"].iter().chain(flags).copied().collect();
        let run = hldc(root, &args).assert_code(2);
        run.assert_stderr_contains("error[hldc::output::symlink]");
        run.assert_stderr_contains(&format!("`{link}` is a symbolic link"));
        assert_eq!(read_tree(outside.path()), outside_before, "{link}: the outside changed");
        assert_eq!(read_tree(root), hld_before, "{link}: something was written");
        assert!(std::fs::symlink_metadata(&at).unwrap().file_type().is_symlink(), "{link}");
        // `diff` does not read a baseline through a link either.
        if link.starts_with("generated") {
            hldc(root, &["diff", "prod"]).assert_code(2).assert_stderr_contains("error[hldc::output::symlink]");
        }
    }
}

#[test]
fn a_link_planted_at_a_temporary_name_is_never_followed() {
    let (hld, outside) = (hld(), outside());
    let root = hld.path();
    let victim = outside.path().join("victim");
    // The fixed names earlier versions wrote through, and names like those of a run's staging.
    for link in [
        ".hldc/.prod.json.hldc-new",
        "clusters/prod/.hldc.yaml.hldc-new",
        "generated/.prod.hldc-new-planted",
        "generated/.prod.hldc-old-planted",
    ] {
        std::fs::create_dir_all(root.join(link).parent().unwrap()).unwrap();
        symlink(&victim, root.join(link)).unwrap();
    }
    let outside_before = read_tree(outside.path());
    hldc(root, &["generate", "prod", "--flux-kustomizations"]).assert_code(0);
    hldc(root, &["generate", "prod", "--flux-kustomizations"]).assert_code(0);
    assert_eq!(read_tree(outside.path()), outside_before);
    assert!(std::fs::symlink_metadata(root.join(".hldc/prod.json")).unwrap().is_file());
    assert!(std::fs::symlink_metadata(root.join("clusters/prod/hldc.yaml")).unwrap().is_file());
    // A run's leftovers beside the output are cleared (links removed, never followed).
    let generated: Vec<_> =
        std::fs::read_dir(root.join("generated")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(generated, ["prod"]);
}

#[test]
fn a_committed_leftover_cannot_bring_a_link_into_the_output() {
    let (hld, outside) = (hld(), outside());
    let root = hld.path();
    // Looks like the old output of a run killed mid-swap, which the next run puts back.
    std::fs::create_dir_all(root.join("generated/.prod.hldc-old-planted")).unwrap();
    symlink(outside.path().join("prod/app.yaml"), root.join("generated/.prod.hldc-old-planted/app.yaml")).unwrap();
    let outside_before = read_tree(outside.path());
    let run = hldc(root, &["generate", "prod"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::output::symlink]: `generated/prod/app.yaml` is a symbolic link");
    assert_eq!(read_tree(outside.path()), outside_before);
}

#[test]
fn status_lines_cannot_be_forged_by_a_file_name_in_the_previous_output() {
    let hld = hld();
    let root = hld.path();
    hldc(root, &["generate", "prod"]).assert_code(0);
    write_files(root, &[("generated/prod/x\n::error::forged\u{1b}[2J.yaml", "")]);
    let run = hldc(root, &["generate", "prod"]).assert_code(0);
    run.assert_stderr_contains("removed 1 file of an earlier run: x\\u{a}::error::forged\\u{1b}[2J.yaml");
    assert!(run.stderr.lines().all(|line| !line.starts_with("::")) && !run.stderr.contains('\u{1b}'), "{}", run.stderr);
}

/// `generated/` and `.hldc/` of a run, every file's bytes.
fn output_of(root: &Path) -> Vec<(String, Vec<u8>)> {
    ["generated", ".hldc"]
        .iter()
        .flat_map(|dir| {
            read_tree(&root.join(dir)).into_iter().map(move |(path, bytes)| (format!("{dir}/{path}"), bytes))
        })
        .collect()
}

#[test]
fn concurrent_runs_take_turns_and_leave_the_output_of_one_run() {
    let reference = hld();
    hldc(reference.path(), &["generate", "prod"]).assert_code(0);
    let expected = output_of(reference.path());
    let hld = hld();
    let root = hld.path().to_path_buf();
    let runs: Vec<_> = (0..32)
        .map(|i| {
            let root = root.clone();
            std::thread::spawn(move || {
                let args: &[&str] = if i % 2 == 0 { &["generate", "prod"] } else { &["generate", "prod", "-q"] };
                let run = hldc(&root, args).assert_code(0);
                run.stderr
            })
        })
        .collect();
    for run in runs {
        run.join().unwrap();
    }
    assert_eq!(output_of(&root), expected);
    let generated: Vec<_> =
        std::fs::read_dir(root.join("generated")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(generated, ["prod"], "no staging or retired directories are left");
    let top: Vec<String> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(
        top.iter().all(|name| ["component.yaml", "config", "manifests", "generated", ".hldc"].contains(&name.as_str())),
        "{top:?}"
    );
}

#[test]
fn a_run_waits_for_the_lock_and_no_wait_fails_at_once() {
    let hld = hld();
    let root = hld.path().to_path_buf();
    hldc(&root, &["generate", "prod"]).assert_code(0);
    let before = read_tree(&root);
    // Another run holding the lock: the output root's own lock.
    let held = std::fs::File::open(&root).unwrap();
    held.lock().unwrap();
    write_files(&root, &[("manifests/maps.yaml", &CONFIG_MAP.replace("one", "two"))]);
    let run = hldc(&root, &["generate", "prod", "--no-wait"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::output::locked]: another hldc run is writing the output in");
    assert_eq!(read_tree(&root).get("generated/prod/app.yaml"), before.get("generated/prod/app.yaml"));
    let waiting = Command::new(env!("CARGO_BIN_EXE_hldc"))
        .args(["generate", "prod"])
        .current_dir(&root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut waiting = waiting;
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(waiting.try_wait().unwrap().is_none(), "the run did not wait for the lock");
    held.unlock().unwrap();
    let output = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("waiting for another hldc run writing the output in"), "{stderr}");
    let written = std::fs::read_to_string(root.join("generated/prod/app.yaml")).unwrap();
    assert!(written.contains("key: two"), "{written}");
}
