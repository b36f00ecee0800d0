//! Parallel rendering, the render cache and the determinism guard, through the real binary
//! and the real helm.

mod common;

use std::path::Path;

use common::{hldc, read_tree, write_files};

/// `prod` in two clusters; six helm components of one chart (different values and
/// namespaces, one in a directory component) and three static ones.
fn many_components(root: &Path) {
    let mut component = String::from("name: app\nsubcomponents:\n");
    let mut common = String::from("subcomponents:\n");
    for i in 0..5 {
        component.push_str(&format!("  - name: svc{i}\n    type: helm\n    path: chart\n"));
        component.push_str(&format!("  - name: web{i}\n    type: static\n    path: web{i}\n"));
        common.push_str(&format!("  svc{i}:\n    namespace: team{i}\n    config:\n      replicas: {i}\n"));
        write_files(
            root,
            &[(
                &format!("web{i}/objects.yaml"),
                &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web{i}\n  namespace: team{i}\ndata:\n  index: \"{i}\"\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web{i}\n  namespace: team{i}\nspec:\n  ports: [{{port: 80}}]\n"),
            )],
        );
    }
    component.push_str("  - name: infra\n    type: component\n    path: infra\n");
    write_files(
        root,
        &[
            ("hldc.yaml", "environments:\n  prod:\n    clusters: [east, west]\n"),
            ("component.yaml", &component),
            ("config/common.yaml", &common),
            ("config/west.yaml", "subcomponents:\n  svc1:\n    config:\n      region: west\n"),
            ("infra/component.yaml", "name: infra\nsubcomponents:\n  - name: mon\n    type: helm\n    path: ../chart\n"),
            ("chart/Chart.yaml", "apiVersion: v2\nname: echo\nversion: 0.1.0\n"),
            (
                "chart/templates/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas | default 1 }}\n  selector:\n    matchLabels: {app: {{ .Release.Name }}}\n  template:\n    metadata:\n      labels: {app: {{ .Release.Name }}}\n      annotations: {region: {{ .Values.region | default \"none\" | quote }}}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n",
            ),
            (
                "chart/templates/service.yaml",
                "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  selector: {app: {{ .Release.Name }}}\n  ports: [{port: 80}]\n",
            ),
        ],
    );
}

#[test]
fn output_is_byte_identical_for_one_job_and_for_eight() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    many_components(root);
    let one = tempfile::tempdir().unwrap();
    let eight = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let env = [("XDG_CACHE_HOME", cache.path().to_str().unwrap())];
    let out = |dir: &Path| dir.to_str().unwrap().to_string();
    common::hldc_with_env(root, &["generate", "prod", "--jobs", "1", "--out", &out(one.path())], &env).assert_code(0);
    common::hldc_with_env(root, &["generate", "prod", "-j", "8", "--out", &out(eight.path())], &env).assert_code(0);
    let one = read_tree(one.path());
    // Eleven files per cluster, and each cluster's trace record.
    assert_eq!(one.len(), 2 * 11 + 2, "{:?}", one.keys().collect::<Vec<_>>());
    assert_eq!(one, read_tree(eight.path()));
    hldc(root, &["generate", "prod", "--jobs", "0"]).assert_code(2).assert_stderr_contains("--jobs");
}

/// A real helm behind a script that writes each of its invocations into `log`.
fn counting_helm(dir: &Path, log: &Path) -> std::path::PathBuf {
    let script = dir.join("helm");
    let text = format!("#!/bin/sh\necho \"$1\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), common::helm().display());
    std::fs::write(&script, text).unwrap();
    let mut permissions = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).unwrap();
    script
}

fn starts(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log).unwrap_or_default().lines().map(str::to_string).collect()
}

#[test]
fn a_warm_run_starts_helm_zero_times_and_a_changed_value_renders_one_component() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    many_components(root);
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("starts");
    let helm = counting_helm(tools.path(), &log);
    let cache = tempfile::tempdir().unwrap();
    let env = [("XDG_CACHE_HOME", cache.path().to_str().unwrap())];
    let generate = |extra: &[&str]| {
        let args = [&["generate", "prod", "--helm-engine", "binary", "--helm", helm.to_str().unwrap()], extra].concat();
        common::hldc_with_env(root, &args, &env).assert_code(0);
        read_tree(&root.join("generated"))
    };
    let cold = generate(&[]);
    // Six helm components in each of two clusters, where only `svc1` differs: the other
    // five render once for both clusters. And the version of helm, once.
    assert_eq!(starts(&log).iter().filter(|s| *s == "template").count(), 7);
    assert_eq!(starts(&log).iter().filter(|s| *s == "version").count(), 1);
    std::fs::remove_file(&log).unwrap();

    let warm = generate(&[]);
    assert_eq!(starts(&log), Vec::<String>::new(), "a warm run started helm");
    assert_eq!(cold, warm);

    // One component's values change in one cluster: that render, and only it, runs again.
    write_files(root, &[("config/west.yaml", "subcomponents:\n  svc1:\n    config:\n      region: north\n")]);
    let changed = generate(&[]);
    assert_eq!(starts(&log), ["template"]);
    assert!(String::from_utf8_lossy(&changed["prod/west/svc1.yaml"]).contains("region: north"));
    std::fs::remove_file(&log).unwrap();

    // A damaged entry is ignored (and written again); the output does not change.
    let entries: Vec<_> = std::fs::read_dir(cache.path().join("hldc/render"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    assert_eq!(entries.len(), 8, "{entries:?}");
    let text = std::fs::read_to_string(&entries[0]).unwrap();
    std::fs::write(&entries[0], text.replacen("name:", "nome:", 1)).unwrap();
    assert_eq!(generate(&[]), changed);
    assert_eq!(starts(&log), ["template"]);
    std::fs::remove_file(&log).unwrap();

    assert_eq!(generate(&["--no-cache"]), changed);
    assert_eq!(starts(&log).len(), 12);
}

#[test]
fn validate_rendered_names_the_objects_and_fields_of_a_chart_that_renders_differently_each_time() {
    let hld = tempfile::tempdir().unwrap();
    let root = hld.path();
    write_files(
        root,
        &[
            (
                "component.yaml",
                "name: app\nsubcomponents:\n  - name: clock\n    type: helm\n    path: clock\n  - name: steady\n    type: helm\n    path: steady\n",
            ),
            ("clock/Chart.yaml", "apiVersion: v2\nname: clock\nversion: 0.1.0\n"),
            (
                "clock/templates/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stamp\ndata:\n  at: {{ now | date \"15:04:05.000000000\" | quote }}\n  token: {{ randAlphaNum 24 | quote }}\n  fixed: same\n",
            ),
            ("steady/Chart.yaml", "apiVersion: v2\nname: steady\nversion: 0.1.0\n"),
            ("steady/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: steady\ndata:\n  a: b\n"),
        ],
    );
    let run = hldc(root, &["validate", "--rendered"]).assert_code(1);
    run.assert_stderr_contains(
        "error[hldc::render::nondeterministic]: component `clock` (chart `clock`) renders differently each time",
    )
    .assert_stderr_contains("`v1 ConfigMap stamp` at `data.at`")
    .assert_stderr_contains("`v1 ConfigMap stamp` at `data.token`")
    .assert_stderr_contains("component.yaml:3:");
    assert!(!run.stderr.contains("data.fixed"), "{}", run.stderr);
    assert!(!run.stderr.contains("`steady`"), "{}", run.stderr);

    // The render cache keeps generate's output stable on this machine (with the helm binary:
    // the native engine renders the clock too, and asks no version).
    let cache = tempfile::tempdir().unwrap();
    let env = [("XDG_CACHE_HOME", cache.path().to_str().unwrap())];
    let generate = ["generate", "--helm-engine", "binary"];
    common::hldc_with_env(root, &generate, &env).assert_code(0);
    let first = read_tree(&root.join("generated"));
    common::hldc_with_env(root, &generate, &env).assert_code(0);
    assert_eq!(first, read_tree(&root.join("generated")));
    // With helm's version to ask again (a replaced binary, or its entry gone), helm renders
    // while it is asked; the cached output still wins over that render.
    std::fs::remove_dir_all(cache.path().join("hldc/render/helm")).unwrap();
    common::hldc_with_env(root, &generate, &env).assert_code(0);
    assert_eq!(first, read_tree(&root.join("generated")));
}
