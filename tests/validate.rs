//! `hldc validate` end to end, and the bad-input corpus: every broken HLD under
//! `tests/corpus/` (plus a few made at test time: binary, huge or symlinked inputs) runs
//! through the real binary with `validate` and with `generate`.

mod common;

use rayon::prelude::*;

use std::path::{Path, PathBuf};

use common::{hldc, read_tree, repo, write_files, Exited};

/// One row of the corpus table: a case directory, the command, what must come out.
struct Row {
    case: &'static str,
    /// `validate ...` or `generate ...`; `-C <case>` is added, and `--out` for generate.
    args: &'static [&'static str],
    code: i32,
    /// A `file:line` (or file) the report must name.
    at: Option<&'static str>,
    message: &'static str,
}

const fn row(
    case: &'static str,
    args: &'static [&'static str],
    code: i32,
    at: Option<&'static str>,
    message: &'static str,
) -> Row {
    Row { case, args, code, at, message }
}

const V: &[&str] = &["validate"];
const G: &[&str] = &["generate"];
const VR: &[&str] = &["validate", "--rendered"];

#[rustfmt::skip]
const CORPUS: &[Row] = &[
    // YAML syntax and structure of the files themselves.
    row("yaml-syntax", V, 1, Some("component.yaml:3:"), "invalid YAML in `component.yaml`"),
    row("yaml-syntax", G, 2, Some("component.yaml:3:"), "invalid YAML in `component.yaml`"),
    row("yaml-tab-indent", V, 1, Some("config/common.yaml:3:"), "invalid YAML"),
    row("yaml-tab-indent", G, 2, Some("config/common.yaml:3:"), "invalid YAML"),
    row("yaml-unclosed-quote", V, 1, Some("component.yaml:2:"), "invalid YAML"),
    row("yaml-unclosed-quote", G, 2, Some("component.yaml:2:"), "invalid YAML"),
    row("yaml-duplicate-key", V, 1, Some("component.yaml:3:1"), "duplicate entry with key \"name\""),
    row("yaml-duplicate-key", G, 2, Some("component.yaml:3:1"), "duplicate entry with key \"name\""),
    row("yaml-duplicate-key-config", V, 1, Some("config/common.yaml:4:"), "duplicate entry with key \"replicas\""),
    row("yaml-duplicate-key-config", G, 2, Some("config/common.yaml:4:"), "duplicate entry with key \"replicas\""),
    row("yaml-several-documents", V, 1, Some("component.yaml:3:"), "holds 2 YAML documents"),
    row("yaml-several-documents", G, 2, Some("component.yaml:3:"), "holds 2 YAML documents"),
    row("yaml-alias-bomb", V, 1, Some("config/common.yaml:1:"), "repetition limit exceeded"),
    row("yaml-alias-bomb", G, 2, Some("config/common.yaml:1:"), "repetition limit exceeded"),
    row("json-syntax", V, 1, Some("component.json:1:"), "invalid YAML in `component.json`"),
    row("json-syntax", G, 2, Some("component.json:1:"), "invalid YAML in `component.json`"),
    row("empty-component", V, 1, Some("component.yaml:1:1"), "`component.yaml` is empty"),
    row("empty-component", G, 2, Some("component.yaml:1:1"), "`component.yaml` is empty"),
    row("comment-only-component", V, 1, Some("component.yaml:1:1"), "is empty"),
    row("comment-only-component", G, 2, Some("component.yaml:1:1"), "is empty"),
    row("both-yaml-and-json", V, 1, Some("component.yaml"), "has both component.yaml and component.json"),
    row("both-yaml-and-json", G, 2, Some("component.yaml"), "has both component.yaml and component.json"),
    row("config-yaml-and-json", V, 1, Some("config/common.yaml"), "environment `common` has two config files"),
    row("config-yaml-and-json", G, 2, Some("config/common.yaml"), "environment `common` has two config files"),
    // Generated at test time.
    row("generated:non-utf8", V, 1, Some("config/common.yaml:3:16"), "is not valid UTF-8"),
    row("generated:non-utf8", G, 2, Some("config/common.yaml:3:16"), "is not valid UTF-8"),
    row("generated:huge-file", V, 1, Some("component.yaml"), "over the limit"),
    row("generated:huge-file", G, 2, Some("component.yaml"), "over the limit"),
    row("generated:deep-nesting", V, 1, Some("config/common.yaml:1:"), "recursion limit exceeded"),
    row("generated:deep-nesting", G, 2, Some("config/common.yaml:1:"), "recursion limit exceeded"),
    row("generated:symlink-escape", V, 1, Some("component.yaml:5:11"), "resolves outside the HLD"),
    row("generated:symlink-escape", G, 2, Some("component.yaml:5:11"), "resolves outside the HLD"),
    // Wrong types, unknown fields, invalid values.
    row("wrong-type-name", V, 1, Some("component.yaml:1:7"), "wrong type in `component.yaml` at `name`"),
    row("wrong-type-name", G, 2, Some("component.yaml:1:7"), "wrong type in `component.yaml` at `name`"),
    row("wrong-type-subcomponents", V, 1, Some("component.yaml:2:16"), "at `subcomponents`"),
    row("wrong-type-subcomponents", G, 2, Some("component.yaml:2:16"), "at `subcomponents`"),
    row("wrong-type-inject", V, 1, Some("config/common.yaml:2:18"), "at `injectNamespace`"),
    row("wrong-type-inject", G, 2, Some("config/common.yaml:2:18"), "at `injectNamespace`"),
    row("config-not-a-mapping", V, 1, Some("config/common.yaml:1:"), "wrong type in `config/common.yaml`"),
    row("config-not-a-mapping", G, 2, Some("config/common.yaml:1:"), "wrong type in `config/common.yaml`"),
    row("unknown-field-component", V, 1, Some("component.yaml:5:5"), "unknown field `pth`"),
    row("unknown-field-component", G, 2, Some("component.yaml:5:5"), "unknown field `pth`"),
    row("unknown-field-config", V, 1, Some("config/common.yaml:1:1"), "unknown field `namespce`"),
    row("unknown-field-config", G, 2, Some("config/common.yaml:1:1"), "unknown field `namespce`"),
    row("missing-name", V, 1, Some("component.yaml:3:5"), "missing field `name`"),
    row("missing-name", G, 2, Some("component.yaml:3:5"), "missing field `name`"),
    row("bad-type-enum", V, 1, Some("component.yaml:4:11"), "`subcomponents[0].type`"),
    row("bad-type-enum", G, 2, Some("component.yaml:4:11"), "`subcomponents[0].type`"),
    row("bad-method", V, 1, Some("component.yaml:5:13"), "`subcomponents[0].method`"),
    row("bad-method", G, 2, Some("component.yaml:5:13"), "`subcomponents[0].method`"),
    row("bad-namespace", V, 1, Some("config/common.yaml:1:12"), "at `namespace`"),
    row("bad-namespace", G, 2, Some("config/common.yaml:1:12"), "at `namespace`"),
    row("bad-component-name", V, 1, Some("component.yaml:3:11"), "`subcomponents[0].name`"),
    row("bad-component-name", G, 2, Some("component.yaml:3:11"), "`subcomponents[0].name`"),
    // Missing files and paths, traversal.
    row("missing-root", V, 2, Some("component.yaml"), "no component.yaml in"),
    row("missing-root", G, 2, Some("component.yaml"), "no component.yaml in"),
    row("missing-static-path", V, 1, Some("component.yaml:5:11"), "`nowhere` (the source of component `app`) does not exist"),
    row("missing-static-path", G, 2, Some("component.yaml:5:11"), "does not exist"),
    row("missing-chart", V, 1, Some("component.yaml:5:11"), "`charts/web` (the source of component `web`) does not exist"),
    row("missing-chart", G, 2, Some("component.yaml:5:11"), "does not exist"),
    row("chart-without-chart-yaml", V, 1, Some("component.yaml:5:11"), "has no Chart.yaml"),
    row("chart-without-chart-yaml", G, 2, Some("component.yaml:3:5"), "helm failed to render component `web`"),
    row("missing-subcomponent-dir", V, 1, Some("component.yaml:4:11"), "`platform` (the source of component `platform`) does not exist"),
    row("missing-subcomponent-dir", G, 2, Some("component.yaml:4:11"), "does not exist"),
    row("missing-subcomponent-file", V, 1, Some("platform/component.yaml"), "no component.yaml in `platform`"),
    row("missing-subcomponent-file", G, 2, Some("platform/component.yaml"), "no component.yaml in `platform`"),
    row("traversal-path", V, 1, Some("component.yaml:5:11"), "of component `secrets` leaves the"),
    row("traversal-path", G, 2, Some("component.yaml:5:11"), "of component `secrets` leaves the"),
    row("absolute-path", V, 1, Some("component.yaml:5:11"), "of component `secrets` leaves the"),
    row("absolute-path", G, 2, Some("component.yaml:5:11"), "of component `secrets` leaves the"),
    // Structure and references.
    row("cycle", V, 1, Some("a/component.yaml:3:5"), "includes itself"),
    row("cycle", G, 2, Some("a/component.yaml:3:5"), "includes itself"),
    row("self-cycle", V, 1, Some("component.yaml:3:5"), "includes itself"),
    row("self-cycle", G, 2, Some("component.yaml:3:5"), "includes itself"),
    row("duplicate-sibling", V, 1, Some("component.yaml:6:11"), "two subcomponents of `x` are named `app`"),
    row("duplicate-sibling", G, 2, Some("component.yaml:6:11"), "two subcomponents of `x` are named `app`"),
    row("unknown-subcomponent-config", V, 1, Some("config/common.yaml:2:3"), "configures `ap`, but `unknown-subcomponent-config` has no subcomponent"),
    // An invalid HLD is not rendered, and validate says so rather than looking checked.
    row("unknown-subcomponent-config", VR, 1, None, "note: nothing was rendered or checked as objects (`--rendered`): fix the errors above first"),
    // Fabrikate ignored such blocks, and so does generate; only validate catches the typo.
    row("unknown-subcomponent-config", G, 0, None, "wrote 1 file to"),
    row("unknown-environment", &["validate", "prd"], 1, None, "no config file for environment `prd`"),
    row("unknown-environment", &["generate", "prd"], 2, None, "did you mean `prod`?"),
    row("inject-without-namespace", V, 1, Some("config/common.yaml:3:5"), "`injectNamespace` is true for component `inject-without-namespace/app`"),
    row("inject-without-namespace", G, 0, None, "wrote 1 file to"),
    row("values-on-static", V, 1, Some("config/common.yaml:3:5"), "`config` of static component `values-on-static/app` is used by nothing"),
    row("values-on-static", G, 0, Some("config/common.yaml:3:5"), "warning[hldc::config::unused-values]"),
    row("hooks-without-allow", V, 0, Some("component.yaml:2:1"), "runs only with `--allow-hooks`"),
    row("hooks-without-allow", G, 2, Some("component.yaml:2:1"), "declares hooks"),
    row("lock-invalid", V, 1, Some("hldc.lock:1:"), "invalid YAML in `hldc.lock`"),
    row("lock-invalid", G, 2, Some("hldc.lock:1:"), "invalid YAML in `hldc.lock`"),
    row("access-invalid", V, 1, Some("access.yaml:1:"), "wrong type in `access.yaml`"),
    row("access-invalid", G, 2, Some("access.yaml:1:"), "wrong type in `access.yaml`"),
    // Fabrikate differences: warnings, which do not fail.
    row("yaml11-boolean", V, 0, Some("config/common.yaml:4:20"), "is the string \"yes\" for hldc, but Fabrikate read it as `true`"),
    // A version written as a number loses its digits in helm; YAML 1.1 read `0755` and `1_000` as numbers.
    row("config-numbers", V, 0, Some("config/common.yaml:5:14"), "`subcomponents.app.config.image.tag` is written `1.10`, but it is a number: helm reads it as a float64 and prints it `1.1`"),
    row("config-numbers", V, 0, Some("config/common.yaml:6:13"), "`subcomponents.app.config.mode` is the string \"0755\" for hldc, but Fabrikate read it as the number 493"),
    row("config-numbers", V, 0, Some("config/common.yaml:7:12"), "`subcomponents.app.config.big` is the string \"1_000\" for hldc, but Fabrikate read it as the number 1000"),
    row("config-numbers", V, 0, Some("config/common.yaml:11:14"), "`subcomponents.app.config.build` is written `20241201`, but it is a number: helm reads it as a float64 and prints it `2.0241201e+07`"),
    // generate says so too: a pipeline that only generates must see it.
    row("config-numbers", G, 0, Some("config/common.yaml:5:14"), "warning[hldc::config::number-text]"),
    row("yaml11-boolean", G, 0, Some("config/common.yaml:4:20"), "warning[hldc::config::yaml11-boolean]"),
    row("list-replaced", V, 0, Some("config/prod.yaml:4:7"), "replaces the one at `config/common.yaml:4:7` whole"),
    row("generator-field", V, 0, Some("component.yaml:4:16"), "`generator` is Fabrikate's old name for `type`"),
    // What only rendering shows.
    row("chart-fails-in-helm", V, 0, None, "the HLD is valid"),
    row("chart-fails-in-helm", VR, 1, Some("component.yaml:3:5"), "this chart refuses to render"),
    row("chart-fails-in-helm", G, 2, Some("component.yaml:3:5"), "this chart refuses to render"),
    // Valid YAML that leaves a value the chart reads null: the config line, not the template (issue 25).
    row("config-leaves-a-value-null", V, 0, None, "the HLD is valid"),
    row("config-leaves-a-value-null", VR, 1, Some("config/common.yaml:5:7"), "reads `.Values.image.tag`, but `config.image` in `config/common.yaml` has no value"),
    row("config-leaves-a-value-null", G, 2, Some("config/common.yaml:5:7"), "reads `.Values.image.tag`, but `config.image` in `config/common.yaml` has no value"),
    row("duplicate-identity", VR, 1, Some("two/cm.yaml:1:1"), "`v1 ConfigMap settings` is produced twice"),
    row("duplicate-identity", G, 2, Some("two/cm.yaml:1:1"), "`v1 ConfigMap settings` is produced twice"),
    row("not-an-object", VR, 1, Some("manifests/app.yaml:1:"), "is not a Kubernetes object"),
    row("not-an-object", G, 2, Some("manifests/app.yaml:1:"), "is not a Kubernetes object"),
    row("missing-object-name", VR, 1, Some("manifests/app.yaml:3:1"), "has no `metadata.name`"),
    // The API server drops a namespace on a cluster-scoped object; so does hldc, saying so (issue 23).
    row("namespace-on-cluster-scoped", VR, 0, Some("manifests/app.yaml:5:3"), "warning[hldc::render::namespace-dropped]: `ClusterRole reader` (component `namespace-on-cluster-scoped/app`) is cluster-scoped but has `metadata.namespace: web`; hldc drops it"),
    row("label-too-long", VR, 1, Some("manifests/app.yaml:6:14"), "the value of label `release` is 70 characters long"),
    row("kube-unknown-field", VR, 1, Some("manifests/app.yaml:6:3"), "unknown field `spec.replica`"),
    row("kube-unknown-field", &["validate", "--rendered", "--kube-version", "1.33"], 1, Some("manifests/app.yaml:6:3"), "did you mean `replicas`?"),
    row("kube-unknown-field", &["validate", "--rendered", "--kube-version", "1.30"], 1, Some("manifests/app.yaml:6:3"), "did you mean `replicas`?"),
    row("kube-removed-api", VR, 1, Some("manifests/app.yaml:1:"), "Kubernetes 1.34 does not serve `PodDisruptionBudget` in `policy/v1beta1`"),
    row("namespace-on-volume-attributes-class", VR, 0, Some("manifests/app.yaml:5:3"), "`VolumeAttributesClass fast` (component `namespace-on-volume-attributes-class/app`) is cluster-scoped"),
    row("namespace-on-volume-attributes-class", G, 0, Some("manifests/app.yaml:5:3"), "`VolumeAttributesClass fast` (component `namespace-on-volume-attributes-class/app`) is cluster-scoped but has `metadata.namespace: web`; hldc drops it"),
    row("namespace-on-volume-attributes-class", &["generate", "--no-check"], 0, None, "wrote 1 file to"),
    row("missing-object-name", G, 2, Some("manifests/app.yaml:3:1"), "has no `metadata.name`"),
    row("label-too-long", G, 2, Some("manifests/app.yaml:6:14"), "the value of label `release` is 70 characters long"),
    row("kube-unknown-field", G, 2, Some("manifests/app.yaml:6:3"), "did you mean `replicas`?"),
    // generate does not know the cluster's version: an API its default version no longer serves
    // (old charts written for Fabrikate) is a warning there, an error in validate --rendered.
    row("kube-removed-api", G, 0, Some("manifests/app.yaml:1:"), "warning[hldc::kube::not-served]: `PodDisruptionBudget web` (component `kube-removed-api/app`): Kubernetes 1.34 does not serve"),
    row("project-scope-override", VR, 0, Some("manifests/app.yaml:5:3"), "`Widget w` (component `project-scope-override/app`) is cluster-scoped but has `metadata.namespace: web`; hldc drops it"),
    row("project-unknown-key", V, 1, Some("hldc.yaml:2:1"), "unknown field `clusters` in `hldc.yaml`"),
    row("project-unknown-key", G, 2, Some("hldc.yaml:2:1"), "unknown field `clusters` in `hldc.yaml`"),
    row("crd-is-skipped", VR, 0, Some("manifests/app.yaml:1:1"), "hldc does not know whether `cert-manager.io/Certificate` is cluster-scoped"),
    row("crd-is-skipped", VR, 0, None, "not checked against the Kubernetes 1.34 schema (common): cert-manager.io/v1 Certificate"),
    row("crd-is-skipped", &["validate", "--rendered", "--kube-version", "1.20"], 2, None, "no Kubernetes schemas for version `1.20`"),
    // validate --rendered renders without running hooks; the hooks are only warned about.
    row("hooks-without-allow", VR, 0, Some("component.yaml:2:1"), "runs only with `--allow-hooks`"),
    // Not an HLD at all.
    row("generated:no-such-dir", V, 2, None, "cannot open the HLD directory"),
    row("generated:no-such-dir", G, 2, None, "cannot open the HLD directory"),
];

/// Cases made at test time: binary, big or machine-specific inputs are not committed.
fn make_case(name: &str, root: &Path) -> PathBuf {
    let dir = root.join(name);
    match name {
        "non-utf8" => {
            write_files(&dir, &[("component.yaml", "name: x\n")]);
            std::fs::create_dir_all(dir.join("config")).unwrap();
            std::fs::write(dir.join("config/common.yaml"), b"namespace: x\nconfig:\n  greeting: caf\xe9\n").unwrap();
        }
        "huge-file" => {
            // Just over the 64 MiB limit; a comment, so only the size is wrong.
            let mut text = String::from("name: x\n# ");
            text.push_str(&"a".repeat(64 * 1024 * 1024));
            text.push('\n');
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("component.yaml"), text).unwrap();
        }
        "deep-nesting" => {
            let nested = format!("config: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
            write_files(&dir, &[("component.yaml", "name: x\n"), ("config/common.yaml", &nested)]);
        }
        "symlink-escape" => {
            let outside = root.join("outside");
            write_files(&outside, &[("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n")]);
            write_files(
                &dir,
                &[(
                    "component.yaml",
                    "name: x\nsubcomponents:\n  - name: app\n    type: static\n    path: ./manifests\n",
                )],
            );
            std::os::unix::fs::symlink(&outside, dir.join("manifests")).unwrap();
        }
        "no-such-dir" => {}
        other => panic!("no generated case {other}"),
    }
    dir
}

/// A previous output that a failing `generate` must leave exactly as it was.
fn seed_output(out: &Path) {
    write_files(
        out,
        &[
            ("generated/common/app.yaml", "---\nprevious: output\n"),
            ("generated/prod/app.yaml", "---\nprevious: prod\n"),
            ("generated/prod/nested/deep.yaml", "kept: true\n"),
            ("unrelated.txt", "sentinel\n"),
        ],
    );
}

fn run_row(row: &Row, dir: &Path) -> Exited {
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut args: Vec<String> = vec!["-C".into(), dir_arg];
    args.extend(row.args.iter().map(|a| a.to_string()));
    let is_generate = row.args[0] == "generate";
    let out = tempfile::tempdir().unwrap();
    if is_generate {
        seed_output(out.path());
        args.extend(["--out".into(), out.path().to_string_lossy().into_owned()]);
    }
    let before = read_tree(out.path());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = hldc(repo(), &refs);
    if is_generate && row.code != 0 {
        assert_eq!(read_tree(out.path()), before, "{} {:?} changed the previous output", row.case, row.args);
    }
    run
}

/// Text with miette's line wrapping undone: whitespace runs and the `│` margin become one space.
fn flat(text: &str) -> String {
    text.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn corpus() {
    let generated = tempfile::tempdir().unwrap();
    // Cases made at test time are made once, before the rows run in parallel.
    let dirs: Vec<PathBuf> = CORPUS
        .iter()
        .map(|row| match row.case.strip_prefix("generated:") {
            Some(name) => {
                let dir = generated.path().join(name);
                if dir.exists() || name == "no-such-dir" {
                    dir
                } else {
                    make_case(name, generated.path())
                }
            }
            None => repo().join("tests/corpus").join(row.case),
        })
        .collect();
    let failures: Vec<String> = CORPUS.par_iter().zip(&dirs).filter_map(|(row, dir)| check_row(row, dir)).collect();
    assert!(failures.is_empty(), "{} of {} rows failed:\n\n{}", failures.len(), CORPUS.len(), failures.join("\n\n"));
}

/// What is wrong with one row's run, if anything.
fn check_row(row: &Row, dir: &Path) -> Option<String> {
    let (run, wrong_exit) = run_row(row, dir).check_code(row.code);
    let mut wrong: Vec<String> = wrong_exit.into_iter().collect();
    if let Some(at) = row.at {
        if !run.stderr.contains(at) {
            wrong.push(format!("stderr does not name {at:?}"));
        }
    }
    // CI logs are searched with `grep '^error'`: a failing run's report starts with a problem.
    if run.code != 0 && !run.stderr.starts_with("error[") && !run.stderr.starts_with("warning[") {
        wrong.push("stderr does not start with `error[` or `warning[`".to_string());
    }
    if !flat(&run.stderr).contains(&flat(row.message)) {
        wrong.push(format!("stderr lacks {:?}", row.message));
    }
    (!wrong.is_empty()).then(|| format!("{} {:?}: {}\n{}", row.case, row.args, wrong.join("; "), run.stderr))
}

#[test]
fn every_corpus_directory_is_in_the_table() {
    let listed: std::collections::BTreeSet<&str> = CORPUS.iter().map(|r| r.case).collect();
    let on_disk: Vec<String> = std::fs::read_dir(repo().join("tests/corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for case in &on_disk {
        assert!(listed.contains(case.as_str()), "tests/corpus/{case} has no row in CORPUS");
    }
    let cases = listed.len();
    assert!(cases >= 40, "the corpus has {cases} cases; the issue asks for at least 40");
}

#[test]
fn the_example_validates_cleanly() {
    let example = repo().join("examples/fabrikam-trivia");
    hldc(&example, &["validate"]).assert_code(0).assert_stderr_contains("the HLD is valid (");
    let json = hldc(&example, &["validate", "--output", "json"]).assert_code(0);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).expect("stdout is one JSON document");
    assert_eq!(document["valid"], true);
    assert_eq!(document["diagnostics"], serde_json::json!([]), "the example should raise no warning");
    for env in ["dev", "prod"] {
        hldc(&example, &["validate", "--rendered", env]).assert_code(0);
    }
}

#[test]
fn json_output_lists_every_problem_in_file_order_and_nothing_else() {
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[
            ("component.yaml", "name: x\nsubcomponents:\n  - name: web\n    type: static\n    path: ./missing\n"),
            ("config/common.yaml", "namespce: x\n"),
            ("config/prod.yaml", "subcomponents:\n  wbe:\n    namespace: web\n"),
        ],
    );
    let run = hldc(hld.path(), &["validate", "--output", "json"]).assert_code(1);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    assert_eq!(document["valid"], false);
    let found: Vec<(String, u64, String, String)> = document["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["level"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("component.yaml", 5, "error", "hldc::source::missing"),
        ("config/common.yaml", 1, "error", "hldc::schema::invalid"),
        ("config/prod.yaml", 2, "error", "hldc::config::unknown-subcomponent"),
    ];
    let expected: Vec<(String, u64, String, String)> =
        expected.iter().map(|(f, l, v, c)| (f.to_string(), *l, v.to_string(), c.to_string())).collect();
    assert_eq!(found, expected, "{}", run.stdout);
    for diagnostic in document["diagnostics"].as_array().unwrap() {
        for field in ["level", "code", "message", "file", "line", "column", "help"] {
            assert!(!diagnostic[field].is_null(), "{field} missing in {diagnostic}");
        }
    }
    assert!(!run.stderr.contains("error["), "json mode prints no human report:\n{}", run.stderr);
}

#[test]
fn a_token_variable_that_is_not_set_is_a_warning() {
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[
            ("component.yaml", "name: x\ntype: static\npath: m\n"),
            ("m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
            ("config/common.yaml", ""),
            ("access.yaml", "https://github.com/org/: HLDC_TEST_UNSET_TOKEN\n"),
        ],
    );
    let run =
        hldc(hld.path(), &["validate", "--allow-token", "HLDC_TEST_UNSET_TOKEN", "--output", "json"]).assert_code(0);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    assert_eq!(document["valid"], true);
    let diagnostics = document["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{}", run.stdout);
    assert_eq!(diagnostics[0]["level"], "warning");
    assert_eq!(diagnostics[0]["code"], "hldc::access::unset");
    assert_eq!(diagnostics[0]["file"], "access.yaml");
    assert_eq!(diagnostics[0]["line"], 1);
    assert!(diagnostics[0]["message"].as_str().unwrap().contains("`HLDC_TEST_UNSET_TOKEN`"), "{}", run.stdout);
}

#[test]
fn named_environments_are_one_combination_and_typos_get_a_suggestion() {
    let example = repo().join("examples/fabrikam-trivia");
    hldc(&example, &["validate", "prod"]).assert_code(0).assert_stderr_contains("environments: prod");
    hldc(&example, &["validate", "prd"]).assert_code(1).assert_stderr_contains("did you mean `prod`?");
}

/// A config file that exists but does not parse still names its environment: the report is
/// its parse error, not "no such environment", and a run over every environment includes it.
#[test]
fn a_broken_config_file_still_names_its_environment() {
    let hld = tempfile::tempdir().unwrap();
    write_files(
        hld.path(),
        &[
            ("component.yaml", "name: x\n"),
            ("config/common.yaml", "namespace: x\n"),
            ("config/prod.yaml", "namespace: [unclosed\n"),
            ("config/stage.yaml", "namespce: x\n"),
        ],
    );
    let prod = "invalid YAML in `config/prod.yaml`";
    let stage = "unknown field `namespce` in `config/stage.yaml`";
    for (args, expected) in
        [(&["validate", "prod"][..], &[prod][..]), (&["validate", "stage"], &[stage]), (&["validate"], &[prod, stage])]
    {
        let run = hldc(hld.path(), args).assert_code(1);
        for message in expected {
            run.assert_stderr_contains(message);
        }
        assert!(!run.stderr.contains("no config file"), "{args:?} calls an environment unknown:\n{}", run.stderr);
    }
    hldc(hld.path(), &["validate"]).assert_code(1).assert_stderr_contains("environments: common, prod, stage)");
    hldc(hld.path(), &["generate", "prod"]).assert_code(2).assert_stderr_contains("invalid YAML in `config/prod.yaml`");
}

/// What the schema and the typed loader make of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Both accept it.
    Accepted,
    /// Both refuse it.
    Rejected,
    /// Only the schema refuses it, for a rule on values the types cannot state: a name
    /// pattern, a minimum length, a field another field requires.
    SchemaOnly,
}

use Verdict::{Accepted, Rejected, SchemaOnly};

/// Component and config documents with what both readers must make of them; the examples and
/// `tests/corpus/` add their files, whose verdicts are not listed but must agree the same way.
#[rustfmt::skip]
const AGREEMENT: &[(&str, hldc::schema::Schema, &str, Verdict)] = {
    use hldc::schema::Schema::{Component as C, Config as K};
    &[
        ("c-minimal", C, "name: app\n", Accepted),
        ("c-helm-repository", C, "name: app\ntype: helm\nmethod: helm\nsource: https://charts.example.com\npath: web\nversion: ^1.2\n", Accepted),
        ("c-tree", C, "name: hld\nsubcomponents:\n  - name: infra\n    method: git\n    source: https://example.com/infra.git\n    branch: main\n  - name: app\n    type: static\n    path: ./manifests\n", Accepted),
        ("c-hooks", C, "name: app\nhooks:\n  before-generate: [./prep.sh]\n  after-install: []\n", Accepted),
        ("c-generator", C, "name: app\ngenerator: static\npath: m\n", Accepted),
        ("c-repositories", C, "name: app\nrepositories:\n  stable: https://charts.example.com\n", Accepted),
        ("c-json", C, "{\"name\": \"app\", \"subcomponents\": []}", Accepted),
        ("c-subcomponents-null", C, "name: app\nsubcomponents:\n", Accepted),
        ("c-string-null", C, "name: app\nmethod: git\nsource: https://example.com/x.git\nbranch:\n", Accepted),
        ("c-empty", C, "", Rejected),
        ("c-no-name", C, "type: helm\npath: x\n", Rejected),
        ("c-name-list", C, "name: [a]\n", Rejected),
        ("c-unknown-field", C, "name: app\npth: m\n", Rejected),
        ("c-unknown-nested-field", C, "name: app\nsubcomponents:\n  - name: web\n    sorce: x\n", Rejected),
        ("c-unknown-type", C, "name: app\ntype: jsonnet\n", Rejected),
        ("c-unknown-method", C, "name: app\nmethod: ftp\nsource: x\n", Rejected),
        ("c-subcomponents-map", C, "name: app\nsubcomponents: {web: {}}\n", Rejected),
        ("c-hook-not-list", C, "name: app\nhooks:\n  before-generate: ./prep.sh\n", Rejected),
        ("c-unknown-hook", C, "name: app\nhooks:\n  before-everything: [./prep.sh]\n", Rejected),
        ("c-version-number", C, "name: app\nmethod: git\nsource: x\nversion: 1.2\n", Rejected),
        ("c-list", C, "- name: app\n", Rejected),
        ("c-scalar", C, "app\n", Rejected),
        ("c-name-space", C, "name: my app\n", SchemaOnly),
        ("c-name-dash", C, "name: -app\n", SchemaOnly),
        ("c-nested-name", C, "name: app\nsubcomponents:\n  - name: \"a b\"\n", SchemaOnly),
        ("c-git-no-source", C, "name: app\nmethod: git\n", SchemaOnly),
        ("c-helm-no-path", C, "name: app\nmethod: helm\nsource: https://charts.example.com\n", SchemaOnly),
        ("c-static-no-path", C, "name: app\ntype: static\n", SchemaOnly),
        ("c-empty-source", C, "name: app\nmethod: http\nsource: \"\"\n", SchemaOnly),
        ("k-empty", K, "", Accepted),
        ("k-comment", K, "# nothing yet\n", Accepted),
        ("k-full", K, "namespace: web\ninjectNamespace: true\ndisabled: false\nconfig:\n  image: {tag: '1.2'}\n  replicas: 2\n  gone: null\nsubcomponents:\n  web:\n    namespace: web\n    config: {a: [1, 2]}\n    subcomponents:\n      inner: {disabled: true}\n", Accepted),
        ("k-empty-config", K, "config: {}\n", Accepted),
        ("k-config-null", K, "config:\n", Accepted),
        ("k-namespace-null", K, "namespace:\n", Accepted),
        ("k-subcomponents-null", K, "subcomponents:\n", Accepted),
        ("k-nested-config-null", K, "subcomponents:\n  web:\n    config:\n", Accepted),
        ("k-unknown-field", K, "namespce: x\n", Rejected),
        ("k-namespace-number", K, "namespace: 5\n", Rejected),
        ("k-inject-string", K, "injectNamespace: \"true\"\n", Rejected),
        ("k-yaml11-boolean", K, "disabled: yes\n", Rejected),
        ("k-config-list", K, "config: [a]\n", Rejected),
        ("k-config-scalar", K, "config: x\n", Rejected),
        ("k-subcomponents-list", K, "subcomponents: [web]\n", Rejected),
        ("k-child-scalar", K, "subcomponents:\n  web: 5\n", Rejected),
        ("k-nested-unknown-field", K, "subcomponents:\n  web:\n    namspace: x\n", Rejected),
        ("k-list", K, "- a\n", Rejected),
        ("k-scalar", K, "x\n", Rejected),
        ("k-namespace-pattern", K, "namespace: Web_NS\n", SchemaOnly),
        ("k-namespace-long", K, "namespace: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", SchemaOnly),
        ("k-nested-namespace-pattern", K, "subcomponents:\n  web:\n    namespace: -web\n", SchemaOnly),
        ("k-empty-child-name", K, "subcomponents:\n  \"\": {}\n", SchemaOnly),
    ]
};

/// Rows where the schema and the loader disagree today, each with what should settle it. The
/// test fails when a listed row starts to agree, so the list only shrinks.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[];

/// How the loader types a document, independent of the schema: a component file as
/// `ComponentSpec`; a config file as the resolver reads it, `ComponentConfig::from_merged` for the
/// component's own fields and `subcomponents.<name>` for each child, which must keep every value
/// written (a value it would drop or misread is one it does not accept).
fn loader_reads(schema: hldc::schema::Schema, value: &serde_yaml::Value) -> Result<(), String> {
    use serde_yaml::Value;
    match schema {
        hldc::schema::Schema::Component => {
            serde_yaml::from_value::<hldc::model::ComponentSpec>(value.clone()).map(drop).map_err(|e| e.to_string())
        }
        _ => {
            let Some(map) = value.as_mapping() else {
                // An empty file is an empty layer.
                return if value.is_null() { Ok(()) } else { Err(format!("{value:?} is not a map")) };
            };
            let typed = hldc::model::ComponentConfig::from_merged(value);
            for (key, written) in map {
                // A field with no value reads as one not written.
                let written = Some(written).filter(|v| !v.is_null());
                let read = match key.as_str() {
                    Some("subcomponents") => {
                        match written {
                            None => {}
                            Some(Value::Mapping(children)) => {
                                for (name, child) in children {
                                    name.as_str().ok_or(format!("child name {name:?}"))?;
                                    loader_reads(schema, child)?;
                                }
                            }
                            Some(other) => return Err(format!("subcomponents {other:?}")),
                        }
                        continue;
                    }
                    // Read from the merged stack by ring.rs and route.rs, not into ComponentConfig.
                    Some("rings" | "ringRoute") => continue,
                    // Read from the layers by patch/ (tests/overlays.rs), not into ComponentConfig.
                    Some("patches" | "commonLabels" | "commonAnnotations" | "podLabels" | "podAnnotations") => continue,
                    Some("namespace") => typed.namespace.clone().map(Value::String),
                    Some("injectNamespace") => Some(Value::Bool(typed.inject_namespace)).filter(|_| written.is_some()),
                    Some("disabled") => Some(Value::Bool(typed.disabled)).filter(|_| written.is_some()),
                    Some("config") => Some(Value::Mapping(typed.values.clone())).filter(|_| written.is_some()),
                    _ => return Err(format!("{key:?} is not read")),
                };
                if read.as_ref() != written {
                    return Err(format!("{key:?}: {written:?} is read as {read:?}"));
                }
            }
            Ok(())
        }
    }
}

/// The schema's and the loader's verdict on one document, or how they disagree: the loader
/// must read whatever the schema accepts, and the schema may refuse what the loader reads only
/// for a rule on values.
fn verdict(
    schema: hldc::schema::Schema,
    validator: &jsonschema::Validator,
    value: &serde_yaml::Value,
) -> Result<Verdict, String> {
    let instance = hldc::schema::to_json(value);
    let refusals: Vec<String> = validator.iter_errors(&instance).map(|e| e.schema_path().to_string()).collect();
    let on_values =
        |path: &String| path.contains("/allOf/") || path.ends_with("/pattern") || path.ends_with("/minLength");
    match (refusals.is_empty(), loader_reads(schema, value)) {
        (true, Ok(())) => Ok(Accepted),
        (true, Err(error)) => Err(format!("the schema accepts it, the loader does not: {error}")),
        (false, Err(_)) => Ok(Rejected),
        (false, Ok(())) if refusals.iter().all(on_values) => Ok(SchemaOnly),
        (false, Ok(())) => Err(format!("the loader reads it, the schema refuses it at {refusals:?}")),
    }
}

/// The schemas on disk (compiled afresh) and the typed loader, two independent statements of
/// the file formats, agree on the table above and on every component and config file of the
/// examples and the corpus.
#[test]
fn schemas_and_loader_agree() {
    use hldc::diag::SourceFile;
    use hldc::schema::Schema;

    let validator = |schema: Schema| {
        let text = std::fs::read_to_string(repo().join(format!("schemas/{}.schema.json", schema.name()))).unwrap();
        jsonschema::draft202012::new(&serde_json::from_str(&text).unwrap()).unwrap()
    };
    let validators = [(Schema::Component, validator(Schema::Component)), (Schema::Config, validator(Schema::Config))];
    let validator = |schema: Schema| &validators.iter().find(|(s, _)| *s == schema).unwrap().1;
    let parse = |name: String, text: String| hldc::yaml::parse_one(&SourceFile::new(name, text)).ok();

    let mut failures = Vec::new();
    for (name, schema, text, expected) in AGREEMENT {
        let value = parse(format!("{name}.yaml"), text.to_string()).expect("table rows parse").value;
        let found = verdict(*schema, validator(*schema), &value);
        let known = KNOWN_DISAGREEMENTS.iter().find(|(row, _)| row == name);
        match (found, known) {
            (Ok(verdict), None) if verdict == *expected => {}
            (Ok(verdict), Some((_, why))) if verdict == *expected => {
                failures.push(format!("{name}: agrees now ({why}): remove it from KNOWN_DISAGREEMENTS"))
            }
            (_, Some(_)) => {}
            (Ok(verdict), None) => failures.push(format!("{name}: {verdict:?}, expected {expected:?}")),
            (Err(disagreement), None) => failures.push(format!("{name}: {disagreement}")),
        }
    }
    for name in KNOWN_DISAGREEMENTS.iter().map(|(row, _)| row) {
        assert!(AGREEMENT.iter().any(|(row, ..)| row == name), "{name} in KNOWN_DISAGREEMENTS is not a row");
    }

    let schema_of = |path: &Path| -> Option<Schema> {
        let name = path.file_name()?.to_str()?;
        let in_config = path.parent()?.file_name()? == "config";
        match name {
            "component.yaml" | "component.json" => Some(Schema::Component),
            _ if in_config && (name.ends_with(".yaml") || name.ends_with(".json")) => Some(Schema::Config),
            _ => None,
        }
    };
    let (mut accepted, mut refused) = (0, 0);
    for root in ["examples", "tests/corpus"] {
        for entry in walkdir::WalkDir::new(repo().join(root)).sort_by_file_name().into_iter().filter_map(Result::ok) {
            let path = entry.path();
            let Some(schema) = schema_of(path).filter(|_| entry.file_type().is_file()) else { continue };
            if path.components().any(|c| c.as_os_str() == "generated" || c.as_os_str() == "charts") {
                continue;
            }
            // Syntax errors and unreadable files are the parser's business, not the schema's.
            let Some(document) =
                std::fs::read_to_string(path).ok().and_then(|text| parse(path.display().to_string(), text))
            else {
                continue;
            };
            match verdict(schema, validator(schema), &document.value) {
                Ok(Accepted) => accepted += 1,
                Ok(_) => refused += 1,
                Err(disagreement) => {
                    failures.push(format!("{}: {disagreement}", path.strip_prefix(repo()).unwrap_or(path).display()))
                }
            }
        }
    }
    assert!(failures.is_empty(), "the schemas and the loader disagree:\n{}", failures.join("\n"));
    assert!(accepted >= 20 && refused >= 10, "too few files to mean anything: {accepted} accepted, {refused} refused");
}

/// A config key no template of the chart reads and its values.yaml lacks is a typo helm would
/// take without a word: `validate --rendered` warns, with the key meant. A map a template
/// takes whole (`toYaml .Values.resources`), a subchart's values and `global` may hold anything.
#[test]
fn a_value_no_template_reads_is_a_warning_with_the_key_meant() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            ("component.yaml", "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    path: chart\n"),
            (
                "config/common.yaml",
                "subcomponents:\n  web:\n    config:\n      replicaCont: 4\n      image:\n        tagg: v2\n        repository: nginx\n      resources:\n        requests: {cpu: 100m}\n      cache:\n        size: 2\n      global:\n        team: blue\n      extra: {a: 1}\n",
            ),
            ("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n"),
            ("chart/values.yaml", "replicaCount: 1\nimage:\n  repository: web\n  tag: v1\nresources: {limits: {cpu: 1}}\nextra: {}\n"),
            (
                "chart/templates/deploy.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  replicas: {{ .Values.replicaCount | quote }}\n  image: {{ printf \"%s:%s\" .Values.image.repository .Values.image.tag | quote }}\n  resources: {{ toYaml .Values.resources | quote }}\n  extra: {{ toYaml .Values.extra | quote }}\n",
            ),
            ("chart/charts/cache/Chart.yaml", "apiVersion: v2\nname: cache\nversion: 0.1.0\n"),
            ("chart/charts/cache/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache\n"),
        ],
    );
    let run = hldc(root, &["validate", "--rendered", "-v"]).assert_code(0);
    let unread: Vec<&str> = run.stderr.lines().filter(|line| line.contains("unread-value")).collect();
    assert_eq!(
        unread,
        [
            "warning[hldc::render::unread-value]: `config.replicaCont` of component `web` is read by no template of chart `web`, and its values.yaml does not have it: helm ignores it",
            "warning[hldc::render::unread-value]: `config.image.tagg` of component `web` is read by no template of chart `web`, and its values.yaml does not have it: helm ignores it",
        ],
        "{}",
        run.stderr
    );
    run.assert_stderr_contains("did you mean `tag`?").assert_stderr_contains("did you mean `replicaCount`?");
    run.assert_stderr_contains("[config/common.yaml:4:7]");
}
