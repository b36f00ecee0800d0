//! Charts that make values up (`randAlphaNum`): the output stays as it was written while the
//! chart, its values and settings do not change, also on a machine with an empty render cache
//! (a CI runner), with the real binary and the real helm.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{hldc_with_env, read_tree, write_files, Exited};

const WARNING: &str = "warning[hldc::render::nondeterministic]";

/// A chart whose Secret holds a password made up on each render, as grafana's does.
fn hld(root: &Path) {
    write_files(
        root,
        &[
            ("component.yaml", "name: site\nsubcomponents:\n  - name: grafana\n    type: helm\n    path: chart\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: grafana\nversion: 0.1.0\n"),
            ("chart/values.yaml", "greeting: hello\n"),
            (
                "chart/templates/secret.yaml",
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\ntype: Opaque\ndata:\n  admin-password: {{ randAlphaNum 24 | b64enc | quote }}\n",
            ),
            (
                "chart/templates/configmap.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
            ),
            // A pod template that rolls when the Secret changes, as grafana's does.
            (
                "chart/templates/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector:\n    matchLabels: {app: grafana}\n  template:\n    metadata:\n      labels: {app: grafana}\n      annotations:\n        checksum/secret: {{ include (print $.Template.BasePath \"/secret.yaml\") . | sha256sum }}\n    spec:\n      containers:\n        - name: grafana\n          image: grafana/grafana:11.0.0\n",
            ),
            ("config/dev.yaml", "subcomponents:\n  grafana:\n    namespace: monitoring\n    config:\n      greeting: hi\n"),
        ],
    );
}

/// Runs hldc with its own cache directory: a fresh one is a CI runner's first run.
fn run(root: &Path, cache: &Path, args: &[&str]) -> Exited {
    hldc_with_env(root, args, &[("XDG_CACHE_HOME", cache.to_str().unwrap())])
}

/// What `generate` wrote: the manifests and the trace record.
fn output(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = read_tree(&root.join("generated"));
    files.extend(read_tree(&root.join(".hldc")).into_iter().map(|(file, bytes)| (format!(".hldc/{file}"), bytes)));
    files
}

fn password(root: &Path) -> String {
    let text = std::fs::read_to_string(root.join("generated/dev/grafana.yaml")).unwrap();
    let line = text.lines().find(|line| line.contains("admin-password:")).expect("a password");
    line.trim().to_string()
}

#[test]
fn a_made_up_password_stays_until_the_values_change() {
    let dir = tempfile::tempdir().unwrap();
    let root = &dir.path().join("hld");
    let cold = || tempfile::tempdir_in(dir.path()).unwrap();
    hld(root);
    let warm = cold();
    let first = run(root, warm.path(), &["generate", "dev"]).assert_code(0);
    assert!(!first.stderr.contains(WARNING), "{}", first.stderr);
    let written = output(root);
    let record = String::from_utf8(written[".hldc/dev.json"].clone()).unwrap();
    assert!(record.contains("\"render\": {") && record.contains("\"inputs\": \"sha256:"), "{record}");

    // A runner with an empty cache renders another password: the written one stays, said once.
    let again = run(root, cold().path(), &["generate", "dev"]).assert_code(0);
    assert_eq!(output(root), written, "the output changed with the same inputs:\n{}", again.stderr);
    assert_eq!(again.stderr.matches(WARNING).count(), 1, "{}", again.stderr);
    again.assert_stderr_contains("component `site/grafana` (chart `chart`)");
    again.assert_stderr_contains("`v1 Secret grafana` at `data.admin-password`");
    again
        .assert_stderr_contains("`apps/v1 Deployment grafana` at `spec.template.metadata.annotations.checksum/secret`");
    again.assert_stderr_contains("component.yaml:3:5");
    // `diff` runs what `generate` runs: nothing to change, and the same warning.
    let diff = run(root, cold().path(), &["diff", "dev"]).assert_code(0);
    diff.assert_stderr_contains(WARNING);
    // Without the render cache, too; and the cache that rendered it agrees, without a word.
    run(root, cold().path(), &["generate", "dev", "--no-cache"]).assert_code(0).assert_stderr_contains(WARNING);
    assert_eq!(output(root), written);
    let warm_run = run(root, warm.path(), &["generate", "dev"]).assert_code(0);
    assert!(!warm_run.stderr.contains(WARNING), "{}", warm_run.stderr);
    assert_eq!(output(root), written);

    // Other values: the new render goes out, password and all.
    let before = password(root);
    write_files(
        root,
        &[(
            "config/dev.yaml",
            "subcomponents:\n  grafana:\n    namespace: monitoring\n    config:\n      greeting: hey\n",
        )],
    );
    let changed = run(root, cold().path(), &["generate", "dev"]).assert_code(0);
    assert!(!changed.stderr.contains(WARNING), "{}", changed.stderr);
    let text = std::fs::read_to_string(root.join("generated/dev/grafana.yaml")).unwrap();
    assert!(text.contains("greeting: hey"), "{text}");
    assert_ne!(password(root), before, "a new render, a new password");
    // And it stays from then on.
    let written = output(root);
    run(root, cold().path(), &["generate", "dev"]).assert_code(0).assert_stderr_contains(WARNING);
    assert_eq!(output(root), written);
}

/// Labels and patches apply after rendering, outside the render cache's key: changing them
/// writes the new render with them, never the old objects without them.
#[test]
fn a_label_added_in_config_is_written_not_hidden_by_the_kept_objects() {
    let dir = tempfile::tempdir().unwrap();
    let root = &dir.path().join("hld");
    let cold = || tempfile::tempdir_in(dir.path()).unwrap();
    hld(root);
    run(root, cold().path(), &["generate", "dev"]).assert_code(0);
    write_files(
        root,
        &[(
            "config/dev.yaml",
            "subcomponents:\n  grafana:\n    namespace: monitoring\n    commonLabels:\n      team: observability\n    config:\n      greeting: hi\n",
        )],
    );
    let run_ = run(root, cold().path(), &["generate", "dev"]).assert_code(0);
    assert!(!run_.stderr.contains(WARNING), "{}", run_.stderr);
    let text = std::fs::read_to_string(root.join("generated/dev/grafana.yaml")).unwrap();
    let documents = text.split("\n---\n").skip(1);
    assert!(
        documents.clone().count() == 3 && documents.into_iter().all(|d| d.contains("team: observability")),
        "{text}"
    );
}
