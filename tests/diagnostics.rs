//! Diagnostics a team tunes (issue 25, point 4): a warning said once per component with a count,
//! `-q` errors only, hldc.yaml's `diagnostics:` (whole HLD, per component) and the `-A`/`-D`
//! flags over it; only warnings are tuned; Fabrikate's old spellings said by `validate` alone.

mod common;

use std::path::Path;

use common::{hldc, write_files, Run};

const PDB: &str =
    "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: NAME\nspec:\n  minAvailable: 1\n";

/// `infra/prom`: three PodDisruptionBudgets of an API version Kubernetes no longer serves and a
/// kind of unknown scope; `web` (spelt with Fabrikate's `generator`): one more such budget.
fn hld(project: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let budgets: Vec<String> = ["a", "b", "c"].iter().map(|name| PDB.replace("NAME", name)).collect();
    write_files(
        dir.path(),
        &[
            (
                "component.yaml",
                "name: hld\nsubcomponents:\n  - name: infra\n    subcomponents:\n      - name: prom\n        type: static\n        path: ./infra/prom\n  - name: web\n    generator: static\n    path: ./web\n",
            ),
            ("infra/prom/pdb.yaml", &budgets.join("---\n")),
            ("infra/prom/widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
            ("web/pdb.yaml", &PDB.replace("NAME", "web")),
            ("hldc.yaml", project),
        ],
    );
    dir
}

fn said(run: &Run, code: &str) -> usize {
    run.stderr.matches(&format!("[{code}]:")).count()
}

/// An object the API server would refuse: an error, whatever anyone allows.
const BAD_LABEL: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  labels: {a: \"x y\"}\n";

/// Every command sees a tree outside git: the warning that no commit is stamped is not the point.
const NO_COMMIT: [&str; 2] = ["-A", "hldc::trace::no-commit"];

fn run(root: &Path, args: &[&str]) -> common::Exited {
    hldc(root, &[&NO_COMMIT[..], args].concat())
}

#[test]
fn a_warning_is_said_once_per_component_with_how_many_more_like_it() {
    let hld = hld("{}\n");
    let generated = run(hld.path(), &["generate"]).assert_code(0);
    // Once for infra/prom's three objects, once for web's one.
    assert_eq!(said(&generated, "hldc::kube::not-served"), 2, "{}", generated.stderr);
    generated.assert_stderr_contains("  … and 2 more like it (`-v` shows each)\n");
    assert_eq!(generated.stderr.matches("more like it").count(), 1, "{}", generated.stderr);
    let verbose = run(hld.path(), &["-v", "diff"]).assert_code(0);
    assert_eq!(said(&verbose, "hldc::kube::not-served"), 4, "{}", verbose.stderr);
    assert!(!verbose.stderr.contains("more like it"), "{}", verbose.stderr);
}

#[test]
fn quiet_prints_errors_only() {
    let hld = hld("{}\n");
    std::fs::remove_dir_all(hld.path().join("generated")).ok();
    let quiet = hldc(hld.path(), &["-q", "generate"]).assert_code(0);
    assert_eq!(quiet.stderr, "");
    assert!(hld.path().join("generated/common/web.yaml").is_file());
    let quiet = hldc(hld.path(), &["-q", "validate"]).assert_code(0);
    assert_eq!(quiet.stderr, "");
    // An error is still said, with the warnings that stopped the run left out.
    write_files(hld.path(), &[("web/bad.yaml", BAD_LABEL)]);
    let failed = hldc(hld.path(), &["-q", "generate"]).assert_code(2);
    assert!(failed.stderr.starts_with("error["), "{}", failed.stderr);
    assert!(!failed.stderr.contains("warning["), "{}", failed.stderr);
}

#[test]
fn hldc_yaml_allows_and_denies_by_code_and_component_and_the_flags_decide_over_it() {
    let hld = hld(
        "diagnostics:\n  deny: [hldc::kube::not-served]\n  components:\n    infra/prom: {allow: [hldc::kube::not-served, warnings]}\n",
    );
    // Denied for web, allowed below infra/prom: one error, nothing written.
    let denied = run(hld.path(), &["generate"]).assert_code(2);
    assert_eq!(said(&denied, "hldc::kube::not-served"), 1, "{}", denied.stderr);
    denied
        .assert_stderr_contains("error[hldc::kube::not-served]: `PodDisruptionBudget web` (component `hld/web`)")
        .assert_stderr_contains("note: an error because hldc.yaml's `diagnostics` denies `hldc::kube::not-served`");
    assert!(!denied.stderr.contains("unknown-kind"), "allowed for infra/prom:\n{}", denied.stderr);
    assert!(!hld.path().join("generated/common").exists(), "a denied warning writes nothing");
    run(hld.path(), &["diff"]).assert_code(2).assert_stderr_contains("error[hldc::kube::not-served]");
    // The pipeline's flags decide before the file.
    let allowed = run(hld.path(), &["-A", "hldc::kube::not-served", "generate"]).assert_code(0);
    assert_eq!(said(&allowed, "hldc::kube::not-served"), 0, "{}", allowed.stderr);
    assert!(hld.path().join("generated/common/web.yaml").is_file());
    // `validate` says what is denied too (an invalid HLD: exit 1).
    run(hld.path(), &["validate", "-D", "hldc::component::generator"])
        .assert_code(1)
        .assert_stderr_contains("error[hldc::component::generator]")
        .assert_stderr_contains("note: an error because `-D hldc::component::generator` was given");
}

#[test]
fn deny_warnings_makes_every_warning_an_error() {
    let hld = hld("{}\n");
    let denied = hldc(hld.path(), &["-D", "warnings", "generate"]).assert_code(2);
    denied.assert_stderr_contains("error[hldc::trace::no-commit]");
    assert_eq!(said(&denied, "hldc::kube::not-served"), 4, "errors are each said:\n{}", denied.stderr);
    assert!(!denied.stderr.contains("warning["), "{}", denied.stderr);
    assert!(!hld.path().join("generated/common").exists());
}

#[test]
fn no_file_and_no_flag_allows_an_error() {
    let hld = hld("diagnostics:\n  allow: [warnings, hldc::output::invalid-label]\n");
    write_files(hld.path(), &[("web/bad.yaml", BAD_LABEL)]);
    let failed = run(hld.path(), &["-A", "warnings", "generate"]).assert_code(2);
    assert!(failed.stderr.starts_with("error["), "{}", failed.stderr);
    failed.assert_stderr_contains("error[hldc::output::invalid-label]");
}

#[test]
fn a_code_both_allowed_and_denied_or_misspelled_is_refused() {
    let hld = hld(
        "diagnostics:\n  components:\n    web: {allow: [hldc::kube::not-served], deny: [hldc::kube::not-served]}\n",
    );
    run(hld.path(), &["generate"])
        .assert_code(2)
        .assert_stderr_contains(
            "error[hldc::project::allowed-and-denied]: `hldc.yaml` both allows and denies `hldc::kube::not-served`",
        )
        .assert_stderr_contains("hldc.yaml:3:");
    let hld = self::hld("diagnostics:\n  allow: [not-served]\n");
    run(hld.path(), &["validate"]).assert_code(1).assert_stderr_contains("hldc.yaml:2:");
    hldc(hld.path(), &["-D", "kube::not-served", "tree"])
        .assert_code(2)
        .assert_stderr_contains("invalid value 'kube::not-served' for '--deny <CODE>': not a diagnostic code");
}

#[test]
fn fabrikates_generator_is_said_by_validate_alone() {
    let hld = hld("{}\n");
    let code = "hldc::component::generator";
    assert_eq!(said(&run(hld.path(), &["validate"]).assert_code(0), code), 1);
    for args in [&["generate"][..], &["diff"], &["tree"], &["config", "common"]] {
        // `diff` after `generate`: nothing changed.
        let other = run(hld.path(), args).assert_code(0);
        assert_eq!(said(&other, code), 0, "{args:?}:\n{}", other.stderr);
    }
}
