//! Fabrikate's layouts, end to end: HLDs written the way published Fabrikate HLDs are, built as
//! real git repositories on disk and rendered with the real helm. Each test asserts the exact
//! list of files written and values inside them.

mod common;
mod fetch_support;

use std::path::{Path, PathBuf};

use common::{allowing_local_sources, hldc_with_env, read_tree, write_files, Exited};
use fetch_support::TestRepo;

/// A scratch directory with a private cache; `hld` is where hldc runs.
struct Fixture {
    dir: tempfile::TempDir,
    hld: PathBuf,
}

impl Fixture {
    fn new(hld: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let hld = dir.path().join(hld);
        std::fs::create_dir_all(&hld).unwrap();
        Fixture { dir, hld }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn cache(&self) -> PathBuf {
        self.path("xdg")
    }

    fn run(&self, args: &[&str]) -> Exited {
        std::fs::create_dir_all(self.cache()).unwrap();
        hldc_with_env(
            &self.hld,
            &allowing_local_sources(args),
            &[("XDG_CACHE_HOME", self.cache().to_str().unwrap()), ("CI", "true")],
        )
    }

    /// The files of `generated/<env>/`, relative to it.
    /// The manifests written (not `hydrator.metadata`, written beside them when the HLD is committed).
    fn files(&self, env: &str) -> Vec<String> {
        read_tree(&self.hld.join("generated").join(env)).into_keys().filter(|file| file.ends_with(".yaml")).collect()
    }

    fn output(&self, env: &str, file: &str) -> String {
        std::fs::read_to_string(self.hld.join("generated").join(env).join(file)).unwrap_or_default()
    }
}

/// A chart whose one ConfigMap shows the release name, the namespace and a value.
fn chart(name: &str) -> Vec<(String, String)> {
    vec![
        (format!("{name}/Chart.yaml"), format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n")),
        (format!("{name}/values.yaml"), "replicas: 1\n".to_string()),
        (
            format!("{name}/templates/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  namespace: {{ .Release.Namespace }}\n  replicas: \"{{ .Values.replicas }}\"\n".to_string(),
        ),
    ]
}

fn configmap(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n")
}

fn commit(repo: &TestRepo, files: &[(String, String)]) -> String {
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    repo.commit("content", &files)
}

/// The layout of microsoft/fabrikate-definitions: the HLD points at a directory of a git
/// repository; that directory's component file makes it a static component with children in
/// sibling directories (`../x`), one of them a chart from another git repository, one renamed.
#[test]
fn fabrikate_definitions_layout_renders_every_component_with_fabrikates_file_names() {
    let fixture = Fixture::new("hld");
    let charts = TestRepo::init(&fixture.path("charts"));
    let mut chart_files: Vec<(String, String)> =
        chart("grafana").into_iter().map(|(p, c)| (format!("stable/{p}"), c)).collect();
    chart_files.extend(chart("web").into_iter().map(|(p, c)| (format!("stable/{p}"), c)));
    commit(&charts, &chart_files);
    let charts_url = charts.file_url();

    let definitions = TestRepo::init(&fixture.path("definitions"));
    commit(
        &definitions,
        &[
            (
                "definitions/cloud-native/component.yaml".into(),
                "name: cloud-native\ntype: static\npath: ./manifests\nsubcomponents:\n  - name: prometheus-grafana\n    source: ../prometheus-grafana\n  - name: svc\n    source: ../svc\n".into(),
            ),
            ("definitions/cloud-native/manifests/ns.yaml".into(), configmap("cloud-native-ns")),
            (
                "definitions/cloud-native/config/common.yaml".into(),
                "config:\nsubcomponents:\n  prometheus-grafana:\n    config:\n    subcomponents:\n      grafana:\n        namespace: monitoring\n        config:\n          replicas: 3\n".into(),
            ),
            (
                "definitions/prometheus-grafana/component.yaml".into(),
                format!("name: prometheus-grafana\ntype: static\npath: ./manifests\nsubcomponents:\n  - name: grafana\n    type: helm\n    method: git\n    source: {charts_url}\n    path: stable/grafana\n"),
            ),
            ("definitions/prometheus-grafana/manifests/ns.yaml".into(), configmap("monitoring-ns")),
            (
                "definitions/svc/component.json".into(),
                format!("{{\"name\": \"svc-renamed\", \"type\": \"helm\", \"method\": \"git\", \"source\": \"{charts_url}\", \"path\": \"stable/web\"}}"),
            ),
        ],
    );
    write_files(
        &fixture.hld,
        &[
            (
                "component.yaml",
                &format!("name: hld\nsubcomponents:\n  - name: cloud-native\n    method: git\n    source: {}\n    path: definitions/cloud-native\n", definitions.file_url()),
            ),
            ("config/common.yaml", "subcomponents:\n  cloud-native:\n    subcomponents:\n      svc:\n        namespace: web\n"),
        ],
    );

    fixture.run(&["generate"]).assert_code(0);
    assert_eq!(
        fixture.files("common"),
        [
            "cloud-native/cloud-native.yaml",
            "cloud-native/prometheus-grafana/grafana.yaml",
            "cloud-native/prometheus-grafana/prometheus-grafana.yaml",
            "cloud-native/svc/svc-renamed.yaml",
        ]
    );
    let grafana = fixture.output("common", "cloud-native/prometheus-grafana/grafana.yaml");
    assert!(grafana.contains("name: grafana-grafana\n"), "{grafana}");
    assert!(grafana.contains("namespace: monitoring\n"), "{grafana}");
    assert!(grafana.contains("replicas: \"3\"\n"), "{grafana}");
    // The loaded file's name is the helm release name; the entry's name is the directory.
    let web = fixture.output("common", "cloud-native/svc/svc-renamed.yaml");
    assert!(web.contains("name: svc-renamed-web\n"), "{web}");
    assert!(web.contains("namespace: web\n"), "{web}");
    assert!(fixture.output("common", "cloud-native/cloud-native.yaml").contains("name: cloud-native-ns\n"));

    // validate reads the same effective definitions: nothing is wrong here.
    let validated = fixture.run(&["validate"]);
    validated.assert_code(0);
}

/// A local directory whose own component file makes it a static or helm component, nested
/// two levels deep: the loaded file decides the type, path, name and children.
#[test]
fn local_directory_components_are_defined_by_the_file_they_load() {
    let fixture = Fixture::new("hld");
    let mut files: Vec<(String, String)> = vec![
        ("component.yaml".into(), "name: root\nsubcomponents:\n  - name: svc\n    source: ./svc\n".into()),
        (
            "svc/component.yaml".into(),
            "name: svc-renamed\ntype: static\npath: ./m\nsubcomponents:\n  - name: deeper\n    type: component\n    source: ./deeper\n".into(),
        ),
        ("svc/m/cm.yaml".into(), configmap("from-svc")),
        ("svc/deeper/component.yaml".into(), "name: chart-here\ntype: helm\npath: ./chart\n".into()),
        ("svc/deeper/config/common.yaml".into(), "config:\n  replicas: 5\n".into()),
    ];
    files.extend(chart("chart").into_iter().map(|(p, c)| (format!("svc/deeper/{p}"), c)));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(&fixture.hld, &files);

    fixture.run(&["generate"]).assert_code(0);
    assert_eq!(fixture.files("common"), ["svc/deeper/chart-here.yaml", "svc/svc-renamed.yaml"]);
    assert!(fixture.output("common", "svc/svc-renamed.yaml").contains("name: from-svc\n"));
    let chart = fixture.output("common", "svc/deeper/chart-here.yaml");
    assert!(chart.contains("name: chart-here-chart\n"), "{chart}");
    assert!(chart.contains("replicas: \"5\"\n"), "{chart}");
}

/// validate checks the path of the loaded file, not only the entry pointing at it.
#[test]
fn validate_checks_the_loaded_definition() {
    let fixture = Fixture::new("hld");
    write_files(
        &fixture.hld,
        &[
            ("component.yaml", "name: root\nsubcomponents:\n  - name: svc\n    source: ./svc\n"),
            ("svc/component.yaml", "name: svc\ntype: static\npath: ../../../../etc\n"),
        ],
    );
    fixture
        .run(&["validate"])
        .assert_code(1)
        .assert_stderr_contains("svc/component.yaml:3:7")
        .assert_stderr_contains("the path `../../../../etc` of component `svc` leaves the HLD");
    fixture.run(&["generate"]).assert_code(2).assert_stderr_contains("leaves the HLD");
    assert!(!fixture.hld.join("generated").exists());
}

/// Keys written with no value (YAML null) are empty, as Fabrikate read them; a `config:` with
/// no value in a higher layer hides nothing below it.
#[test]
fn empty_keys_are_empty() {
    let fixture = Fixture::new("hld");
    let mut files: Vec<(String, String)> = vec![
        (
            "component.yaml".into(),
            "name: root\nsource:\nhooks:\nsubcomponents:\n  - name: app\n    type: helm\n    path: ./chart\n    version:\n    subcomponents:\n".into(),
        ),
        ("config/common.yaml".into(), "config:\nnamespace:\nsubcomponents:\n  app:\n    namespace: apps\n    config:\n      replicas: 4\n".into()),
        ("config/prod.yaml".into(), "config:\nsubcomponents:\n  app:\n    config:\n    namespace:\n    subcomponents:\n".into()),
        ("config/dev.yaml".into(), "subcomponents:\n  app:\n".into()),
    ];
    files.extend(chart("chart"));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(&fixture.hld, &files);

    fixture.run(&["validate"]).assert_code(0);
    for env in ["prod", "dev"] {
        fixture.run(&["generate", env]).assert_code(0);
        assert_eq!(fixture.files(env), ["app.yaml"]);
        let app = fixture.output(env, "app.yaml");
        assert!(app.contains("namespace: apps\n"), "{env}: {app}");
        assert!(app.contains("replicas: \"4\"\n"), "{env}: {app}");
    }
}

/// Fabrikate's own `generate-disabled` fixture: components disabled by their parent's config
/// point at sources that cannot be reached; generating that environment fetches nothing,
/// while their pins in hldc.lock, written for another environment, stay.
#[test]
fn disabled_components_are_never_fetched_and_keep_their_pins() {
    let fixture = Fixture::new("hld");
    let charts = TestRepo::init(&fixture.path("charts"));
    commit(&charts, &chart("podinfo").into_iter().map(|(p, c)| (format!("charts/{p}"), c)).collect::<Vec<_>>());
    let definitions = TestRepo::init(&fixture.path("definitions"));
    commit(
        &definitions,
        &[
            ("bookinfo/component.yaml".into(), "name: bookinfo\ntype: static\npath: ./m\n".into()),
            ("bookinfo/m/cm.yaml".into(), configmap("bookinfo")),
        ],
    );
    write_files(
        &fixture.hld,
        &[
            (
                "component.yaml",
                &format!(
                    "name: disabled-stack\ntype: component\nsubcomponents:\n - name: pod-info\n   type: helm\n   method: git\n   source: {}\n   path: charts/podinfo\n - name: mysql\n   type: helm\n   method: git\n   source: http://127.0.0.1:9/helm/charts.git\n   path: stable/mysql\n - name: bookinfo\n   source: {}\n   path: bookinfo\n   method: git\n - name: local\n   type: static\n   path: ./m\n",
                    charts.file_url(),
                    definitions.file_url()
                ),
            ),
            ("m/cm.yaml", &configmap("local")),
            ("config/common.yaml", "subcomponents:\n  mysql:\n    disabled: true\n"),
            (
                "config/disabled.yaml",
                "subcomponents:\n  pod-info:\n    disabled: true\n    config:\n      env: local\n  mysql:\n    disabled: true\n  bookinfo:\n    disabled: true\n",
            ),
        ],
    );

    // `common` needs pod-info and bookinfo: they are fetched and pinned.
    fixture.run(&["generate"]).assert_code(0);
    assert_eq!(fixture.files("common"), ["bookinfo/bookinfo.yaml", "local.yaml", "pod-info.yaml"]);
    let lock = std::fs::read_to_string(fixture.hld.join("hldc.lock")).unwrap();
    assert!(lock.contains(&charts.file_url()) && lock.contains(&definitions.file_url()), "{lock}");
    assert!(!lock.contains("127.0.0.1"), "{lock}");

    // Now nothing remote can be reached, and nothing is cached.
    std::fs::remove_dir_all(charts.dir.clone()).unwrap();
    std::fs::remove_dir_all(definitions.dir.clone()).unwrap();
    std::fs::remove_dir_all(fixture.cache()).unwrap();
    fixture.run(&["generate", "disabled"]).assert_code(0);
    assert_eq!(fixture.files("disabled"), ["local.yaml"]);
    assert_eq!(std::fs::read_to_string(fixture.hld.join("hldc.lock")).unwrap(), lock);
    let cached: Vec<String> = read_tree(&fixture.cache()).into_keys().collect();
    assert!(cached.is_empty(), "nothing may be fetched or cached: {cached:?}");
    fixture.run(&["validate", "disabled"]).assert_code(0);
    // With `--locked` too: a disabled component's pin is neither needed nor dropped.
    fixture.run(&["generate", "disabled", "--locked"]).assert_code(0);
}

/// Several HLDs in one repository share components through `../`; the repository is the
/// boundary, not the `-C` directory.
#[test]
fn siblings_inside_the_repository_are_reachable() {
    let fixture = Fixture::new("repo/hlds/app");
    let repo = TestRepo::init(&fixture.path("repo"));
    write_files(
        &fixture.hld,
        &[("component.yaml", "name: app\nsubcomponents:\n  - name: shared\n    source: ../../shared/jaeger\n")],
    );
    write_files(
        &fixture.path("repo/shared/jaeger"),
        &[
            ("component.json", "{\"name\": \"jaeger\", \"type\": \"static\", \"path\": \"./manifests\"}"),
            ("manifests/svc.yaml", &configmap("jaeger")),
        ],
    );
    commit(&repo, &[]);
    fixture.run(&["validate"]).assert_code(0);
    fixture.run(&["generate"]).assert_code(0);
    assert_eq!(fixture.files("common"), ["shared/jaeger.yaml"]);

    // Past the repository, absolute, or through a symlink out of it: refused.
    for source in ["../../../outside", "/etc"] {
        write_files(
            &fixture.hld,
            &[("component.yaml", &format!("name: app\nsubcomponents:\n  - name: shared\n    source: {source}\n"))],
        );
        fixture.run(&["validate"]).assert_code(1).assert_stderr_contains("leaves the repository holding the HLD");
    }
    std::fs::create_dir_all(fixture.path("outside")).unwrap();
    std::os::unix::fs::symlink(fixture.path("outside"), fixture.path("repo/shared/link")).unwrap();
    write_files(
        &fixture.hld,
        &[("component.yaml", "name: app\nsubcomponents:\n  - name: shared\n    source: ../../shared/link\n")],
    );
    fixture.run(&["validate"]).assert_code(1).assert_stderr_contains("resolves outside the repository holding the HLD");
}

/// Outside a git work tree the `-C` directory stays the boundary.
#[test]
fn outside_a_repository_the_hld_is_the_boundary() {
    let fixture = Fixture::new("hlds/app");
    write_files(
        &fixture.hld,
        &[("component.yaml", "name: app\nsubcomponents:\n  - name: shared\n    source: ../shared\n")],
    );
    write_files(
        &fixture.path("hlds/shared"),
        &[("component.yaml", "name: shared\ntype: static\npath: ./m\n"), ("m/cm.yaml", &configmap("x"))],
    );
    fixture
        .run(&["generate"])
        .assert_code(2)
        .assert_stderr_contains("the source `../shared` of component `shared` leaves the HLD");
}

/// A config file that cannot be read is an error, never a silently missing layer.
#[test]
fn an_unreadable_config_is_an_error() {
    for (what, make) in [
        (
            "dangling",
            (|dir: &Path| std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("config")))
                as fn(&Path) -> std::io::Result<()>,
        ),
        ("plain file", |dir: &Path| std::fs::write(dir.join("config"), "namespace: x\n")),
        ("dangling env file", |dir: &Path| {
            std::fs::create_dir_all(dir.join("config"))?;
            std::os::unix::fs::symlink(dir.join("nowhere.yaml"), dir.join("config/prod.yaml"))
        }),
    ] {
        let fixture = Fixture::new("hld");
        write_files(
            &fixture.hld,
            &[("component.yaml", "name: root\ntype: static\npath: ./m\n"), ("m/cm.yaml", &configmap("x"))],
        );
        make(&fixture.hld).unwrap();
        let run = fixture.run(&["generate"]).assert_code(2);
        assert!(run.stderr.contains("error[hldc::config::not-a-"), "{what}: {}", run.stderr);
        assert!(!fixture.hld.join("generated").exists(), "{what}");
    }
}

/// Fabrikate's remote root (`UpdateComponentPath`): the HLD's component file points at the root
/// component in a git repository; the HLD's own config applies above that component's.
#[test]
fn a_root_that_points_at_a_git_directory_renders_that_component() {
    let fixture = Fixture::new("hld");
    let remote = TestRepo::init(&fixture.path("remote"));
    commit(
        &remote,
        &[
            ("sub/component.yaml".into(), "name: remote-root\ntype: static\npath: ./m\nsubcomponents:\n  - name: app\n    type: helm\n    path: ./chart\n".into()),
            ("sub/m/cm.yaml".into(), configmap("remote-static")),
            ("sub/config/common.yaml".into(), "subcomponents:\n  app:\n    namespace: remote\n    config:\n      replicas: 1\n".into()),
        ]
        .into_iter()
        .chain(chart("chart").into_iter().map(|(p, c)| (format!("sub/{p}"), c)))
        .collect::<Vec<_>>(),
    );
    write_files(
        &fixture.hld,
        &[
            ("component.yaml", &format!("name: hld\nmethod: git\nsource: {}\npath: sub\n", remote.file_url())),
            ("config/prod.yaml", "subcomponents:\n  app:\n    config:\n      replicas: 7\n"),
        ],
    );
    fixture.run(&["generate", "prod"]).assert_code(0);
    assert_eq!(fixture.files("prod"), ["app.yaml", "remote-root.yaml"]);
    let app = fixture.output("prod", "app.yaml");
    assert!(app.contains("replicas: \"7\"\n") && app.contains("namespace: remote\n"), "{app}");
    // validate does not fetch: it says so instead of calling the HLD valid.
    let run = fixture.run(&["validate"]).assert_code(0);
    assert!(run.stderr.contains("not checked"), "{}", run.stderr);
}

/// An entry with nothing in it would render nothing: an error, not a silent skip.
#[test]
fn a_component_with_nothing_to_render_is_an_error() {
    let fixture = Fixture::new("hld");
    write_files(&fixture.hld, &[("component.yaml", "name: root\nsubcomponents:\n  - name: self\n")]);
    fixture.run(&["validate"]).assert_code(1).assert_stderr_contains("component `root/self` has nothing to render");
    fixture.run(&["generate"]).assert_code(2).assert_stderr_contains("component.yaml:3:5");
}

/// `.json` manifests render; other files in a static path are named in a warning. An empty
/// `source: ""` is absent, as in Fabrikate.
#[test]
fn static_paths_read_json_and_name_what_they_leave_out() {
    let fixture = Fixture::new("hld");
    write_files(
        &fixture.hld,
        &[
            (
                "component.yaml",
                "name: root\nsubcomponents:\n  - name: s\n    type: static\n    source: \"\"\n    path: ./m\n",
            ),
            ("m/a.yaml", &configmap("a")),
            ("m/b.yml", &configmap("b")),
            ("m/c.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}"),
            ("m/d.txt", "not a manifest"),
            ("m/.gitkeep", ""),
        ],
    );
    let run = fixture.run(&["generate"]).assert_code(0);
    assert!(run.stderr.contains("component `root/s` leaves out `m/d.txt`"), "{}", run.stderr);
    let s = fixture.output("common", "s.yaml");
    for name in ["a", "b", "c"] {
        assert!(s.contains(&format!("name: {name}\n")), "{s}");
    }
}

/// A chart path that a component's hooks create is only a warning in validate.
#[test]
fn validate_warns_about_paths_hooks_may_create() {
    let fixture = Fixture::new("hld");
    write_files(
        &fixture.hld,
        &[(
            "component.yaml",
            "name: istio\ntype: helm\npath: ./tmp/istio\nhooks:\n  before-install:\n    - mkdir -p tmp\nsubcomponents:\n  - name: crds\n    type: helm\n    path: ./tmp/istio-init\n",
        )],
    );
    let run = fixture.run(&["validate", "--allow-hooks"]).assert_code(0);
    assert!(
        run.stderr.contains("warning[hldc::source::missing]") && run.stderr.contains("hooks of this directory"),
        "{}",
        run.stderr
    );
}

/// Hooks of a fetched component run in a private copy of its source: what they write (here the
/// manifest they unpack, as Fabrikate's istio definition did) never lands in the shared cache.
#[test]
fn hooks_of_a_fetched_component_never_write_into_the_cache() {
    let fixture = Fixture::new("hld");
    let remote = TestRepo::init(&fixture.path("remote"));
    commit(
        &remote,
        &[
            (
                "istio/component.yaml".into(),
                "name: istio\ntype: static\npath: ./tmp\nhooks:\n  before-install:\n    - mkdir -p tmp && cp archive/cm.txt tmp/cm.yaml\n".into(),
            ),
            ("istio/archive/cm.txt".into(), configmap("unpacked")),
        ],
    );
    write_files(
        &fixture.hld,
        &[(
            "component.yaml",
            &format!(
                "name: hld\nsubcomponents:\n  - name: istio\n    method: git\n    source: {}\n    path: istio\n",
                remote.file_url()
            ),
        )],
    );
    for _ in 0..2 {
        fixture.run(&["generate", "--allow-hooks"]).assert_code(0);
        assert!(fixture.output("common", "istio/istio.yaml").contains("name: unpacked\n"));
        let cached: Vec<String> =
            read_tree(&fixture.cache()).into_keys().filter(|path| path.contains("tmp/cm.yaml")).collect();
        assert!(cached.is_empty(), "a hook wrote into the cache: {cached:?}");
    }
}
