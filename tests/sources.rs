//! End-to-end tests of remote sources through the real binary: real git repositories on disk,
//! a real Helm repository served on 127.0.0.1, real helm rendering.

mod common;
mod fetch_support;

use std::path::Path;

use common::{allowing_local_sources, hldc_with_env, read_tree, write_files, Exited};
use fetch_support::{write_repo, RepoChart, Server, TestRepo};

/// An HLD root plus a private cache, so tests never share fetched state.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }

    fn hld(&self) -> std::path::PathBuf {
        self.dir.path().join("hld")
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }

    fn write(&self, files: &[(&str, &str)]) {
        write_files(&self.hld(), files);
    }

    fn run(&self, args: &[&str]) -> Exited {
        self.run_with_env(args, &[])
    }

    fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Exited {
        let cache = self.dir.path().join("xdg");
        std::fs::create_dir_all(&cache).unwrap();
        let mut env = env.to_vec();
        env.extend([("XDG_CACHE_HOME", cache.to_str().unwrap()), ("CI", "true")]);
        hldc_with_env(&self.hld(), &allowing_local_sources(args), &env)
    }

    fn lock(&self) -> String {
        std::fs::read_to_string(self.hld().join("hldc.lock")).unwrap_or_default()
    }

    fn output(&self, env: &str, file: &str) -> String {
        std::fs::read_to_string(self.hld().join("generated").join(env).join(file)).unwrap_or_default()
    }
}

fn configmap(name: &str, value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{value}\"\n")
}

/// A git repository holding static manifests under `manifests/`.
fn manifests_repo(dir: &Path) -> (TestRepo, String) {
    let repo = TestRepo::init(dir);
    let first = repo.commit("first", &[("manifests/cm.yaml", &configmap("from-git", "one"))]);
    repo.tag_annotated("v1", &first);
    (repo, first)
}

fn static_git_hld(fixture: &Fixture, url: &str, pin: &str) {
    fixture.write(&[
        ("component.yaml", &format!("name: app\nsubcomponents:\n  - name: web\n    type: static\n    method: git\n    source: {url}\n    path: manifests\n{pin}")),
        ("config/common.yaml", ""),
    ]);
}

#[test]
fn git_tag_sha_and_branch_pins() {
    let fixture = Fixture::new();
    let (repo, first) = manifests_repo(&fixture.dir.path().join("remote"));
    for (pin, url) in [
        ("    version: v1\n".to_string(), repo.file_url()),
        (format!("    version: {}\n", &first[..8]), repo.path_url()),
        ("    branch: main\n".to_string(), repo.file_url()),
    ] {
        static_git_hld(&fixture, &url, &pin);
        let _ = std::fs::remove_file(fixture.hld().join("hldc.lock"));
        fixture.run(&["generate"]).assert_code(0).assert_stderr_contains("updated hldc.lock");
        assert!(fixture.output("common", "web.yaml").contains("v: one"), "{pin}");
        let commit = hldc::yaml::write::scalar(&first);
        assert!(fixture.lock().contains(&format!("commit: {commit}")), "{pin}: {}", fixture.lock());
    }
}

#[test]
fn a_source_is_said_only_when_fetched_over_the_network() {
    let fixture = Fixture::new();
    let (repo, _) = manifests_repo(&fixture.dir.path().join("remote"));
    static_git_hld(&fixture, &repo.file_url(), "    version: v1\n");
    // `CI=true`: progress as plain lines.
    let first = fixture.run(&["generate"]).assert_code(0);
    first.assert_stderr_contains("fetching git ").assert_stderr_contains("fetched git ");
    for args in [&["generate"][..], &["generate", "--offline"], &["generate", "--locked"], &["tree"]] {
        let warm = fixture.run(args).assert_code(0);
        assert!(!warm.stderr.contains("fetch"), "{args:?} with the lock and a warm cache:\n{}", warm.stderr);
    }
    // Outside a git work tree nothing is stamped with a commit: the pipeline knows, and allows it.
    let quiet = fixture.run(&["generate", "-A", "hldc::trace::no-commit"]).assert_code(0);
    assert_eq!(quiet.stderr, "wrote 1 file to ./generated/common\n");
}

#[test]
fn a_branch_moves_only_after_update() {
    let fixture = Fixture::new();
    let (repo, first) = manifests_repo(&fixture.dir.path().join("remote"));
    static_git_hld(&fixture, &repo.file_url(), "    branch: main\n");
    fixture.run(&["generate"]).assert_code(0);
    let second = repo.commit("second", &[("manifests/cm.yaml", &configmap("from-git", "two"))]);
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.output("common", "web.yaml").contains("v: one"), "the locked build moved");
    assert!(fixture.lock().contains(&first));
    fixture.run(&["update", "web"]).assert_code(0).assert_stderr_contains(&second[..7]);
    assert!(fixture.lock().contains(&second));
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.output("common", "web.yaml").contains("v: two"));
    fixture.run(&["update", "wbe"]).assert_code(2).assert_stderr_contains("did you mean `web`?");
}

#[test]
fn locked_fails_when_the_lock_would_change() {
    let fixture = Fixture::new();
    let (repo, _) = manifests_repo(&fixture.dir.path().join("remote"));
    static_git_hld(&fixture, &repo.file_url(), "    version: v1\n");
    fixture
        .run(&["generate", "--locked"])
        .assert_code(2)
        .assert_stderr_contains("hldc update")
        .assert_stderr_contains("component.yaml:6:13");
    assert!(!fixture.hld().join("hldc.lock").exists());
    assert!(!fixture.hld().join("generated").exists());
    fixture.run(&["generate"]).assert_code(0);
    let lock = fixture.lock();
    fixture.run(&["generate", "--locked"]).assert_code(0);
    assert_eq!(fixture.lock(), lock);
}

#[test]
fn offline_uses_the_cache_and_fails_clearly_when_cold() {
    let fixture = Fixture::new();
    let remote = fixture.dir.path().join("remote");
    let (repo, _) = manifests_repo(&remote);
    static_git_hld(&fixture, &repo.file_url(), "    version: v1\n");
    fixture.run(&["generate", "--offline"]).assert_code(2).assert_stderr_contains("--offline");
    fixture.run(&["generate"]).assert_code(0);
    let before = read_tree(&fixture.hld().join("generated"));
    std::fs::remove_dir_all(&remote).unwrap();
    fixture.run(&["generate", "--offline"]).assert_code(0);
    fixture.run(&["generate"]).assert_code(0);
    assert_eq!(read_tree(&fixture.hld().join("generated")), before);
}

#[test]
fn missing_ref_and_traversal_paths_are_refused() {
    let fixture = Fixture::new();
    let (repo, _) = manifests_repo(&fixture.dir.path().join("remote"));
    static_git_hld(&fixture, &repo.file_url(), "    version: v9\n");
    fixture
        .run(&["generate"])
        .assert_code(2)
        .assert_stderr_contains("no such ref")
        .assert_stderr_contains("component `web`");
    fixture.write(&[(
        "component.yaml",
        &format!("name: app\nsubcomponents:\n  - name: web\n    type: static\n    method: git\n    source: {}\n    path: ../../../etc\n", repo.file_url()),
    )]);
    fixture
        .run(&["generate"])
        .assert_code(2)
        .assert_stderr_contains("leaves its repository")
        .assert_stderr_contains("component.yaml:7:11");
}

#[test]
fn remote_component_directory_and_chart_from_git() {
    let fixture = Fixture::new();
    let repo = TestRepo::init(&fixture.dir.path().join("remote"));
    repo.commit(
        "shared hld",
        &[
            ("team/component.yaml", "name: team\nsubcomponents:\n  - name: api\n    type: helm\n    path: chart\n"),
            ("team/config/common.yaml", "subcomponents:\n  api:\n    config:\n      message: from-remote-common\n"),
            ("team/chart/Chart.yaml", "apiVersion: v2\nname: api\nversion: 0.1.0\n"),
            ("team/chart/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message | quote }}\n"),
        ],
    );
    fixture.write(&[
        ("component.yaml", &format!("name: app\nsubcomponents:\n  - name: team\n    method: git\n    source: {}\n    path: team\n    branch: main\n  - name: direct\n    type: helm\n    method: git\n    source: {}\n    path: team/chart\n    branch: main\n", repo.file_url(), repo.file_url())),
        ("config/prod.yaml", "subcomponents:\n  team:\n    subcomponents:\n      api:\n        config:\n          message: from-parent-prod\n"),
    ]);
    fixture.run(&["generate", "prod"]).assert_code(0);
    assert!(fixture.output("prod", "team/api.yaml").contains("message: from-parent-prod"));
    assert!(fixture.output("prod", "direct.yaml").contains("name: direct"));
    // Both components share one pin: one git entry in the lock.
    assert_eq!(fixture.lock().matches("commit:").count(), 1, "{}", fixture.lock());
}

fn helm_hld(fixture: &Fixture, repository: &str, version: &str) {
    fixture.write(&[
        ("component.yaml", &format!("name: app\nsubcomponents:\n  - name: web\n    type: helm\n    method: helm\n    source: {repository}\n    path: web\n    version: \"{version}\"\n")),
        ("config/common.yaml", "subcomponents:\n  web:\n    namespace: apps\n    injectNamespace: true\n"),
    ]);
}

#[test]
fn helm_repository_versions_digests_and_cache() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    let charts =
        [RepoChart::new("web", "1.0.0", &[]), RepoChart::new("web", "1.2.0", &[]), RepoChart::new("web", "2.0.0", &[])];
    write_repo(&served, &charts);
    let mut server = Server::start(&served);
    helm_hld(&fixture, &server.url(), "^1.0");
    fixture.run(&["generate"]).assert_code(0);
    let output = fixture.output("common", "web.yaml");
    assert!(output.contains("version: \"1.2.0\"") && output.contains("namespace: apps"), "{output}");
    let lock = fixture.lock();
    assert!(
        lock.contains("version: \"1.2.0\"") && lock.contains(&format!("digest: sha256:{}", charts[1].sha256())),
        "{lock}"
    );
    // With the lock and a warm cache, the repository is not needed any more.
    server.stop();
    fixture.run(&["generate", "--locked"]).assert_code(0);
    fixture.run(&["generate", "--offline"]).assert_code(0);
    assert_eq!(fixture.lock(), lock);
}

/// A version no chart satisfies is marked at `version:`, a chart the repository does not list
/// at `path:`, with the name it most likely meant.
#[test]
fn a_wrong_version_or_chart_name_is_marked_where_it_is_written() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[]), RepoChart::new("nginx", "1.0.0", &[])]);
    let server = Server::start(&served);
    helm_hld(&fixture, &server.url(), "1.0.1");
    fixture
        .run(&["generate"])
        .assert_code(2)
        .assert_stderr_contains("no version of chart web")
        .assert_stderr_contains("[component.yaml:8:14]");
    let component = std::fs::read_to_string(fixture.hld().join("component.yaml")).unwrap();
    fixture.write(&[("component.yaml", &component.replace("path: web", "path: ngnix").replace("1.0.1", "1.0.0"))]);
    fixture
        .run(&["generate"])
        .assert_code(2)
        .assert_stderr_contains("chart ngnix is not in the index")
        .assert_stderr_contains("[component.yaml:7:11]")
        .assert_stderr_contains("did you mean `nginx`?");
}

#[test]
fn tampered_chart_archive_fails_on_its_digest() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[])]);
    let archive = served.join("web-1.0.0.tgz");
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, bytes).unwrap();
    let server = Server::start(&served);
    helm_hld(&fixture, &server.url(), "1.0.0");
    fixture
        .run(&["generate"])
        .assert_code(2)
        .assert_stderr_contains("digest mismatch")
        .assert_stderr_contains("component `web`");
    assert!(!fixture.hld().join("generated").exists());
}

#[test]
fn http_static_source_is_pinned_by_sha256() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("files");
    write_files(&served, &[("cm.yaml", &configmap("from-http", "h"))]);
    let server = Server::start(&served);
    fixture.write(&[
        ("component.yaml", &format!("name: app\nsubcomponents:\n  - name: remote\n    type: static\n    method: http\n    source: {}/cm.yaml\n", server.url())),
        ("config/common.yaml", ""),
    ]);
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.output("common", "remote.yaml").contains("name: from-http"));
    assert!(fixture.lock().contains("sha256:") || fixture.lock().contains("sha256: "), "{}", fixture.lock());
}

#[test]
fn cache_dir_and_clean() {
    let fixture = Fixture::new();
    std::fs::create_dir_all(fixture.hld()).unwrap();
    let run = fixture.run(&["cache", "dir"]).assert_code(0);
    let dir = run.stdout.trim().to_string();
    assert!(dir.ends_with("xdg/hldc"), "{dir}");
    std::fs::create_dir_all(Path::new(&dir).join("git")).unwrap();
    fixture.run(&["cache", "clean"]).assert_code(0);
    assert!(!Path::new(&dir).exists());
    let _ = fixture.cache();
}

/// A relative `XDG_CACHE_HOME` is ignored, as the XDG spec says (else `cache clean` would
/// delete under whatever directory hldc runs in); without HOME either, the cache is a
/// directory of this user's own, not one every user shares.
#[test]
fn a_relative_cache_home_is_ignored_and_the_fallback_is_the_users_own() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let run =
        hldc_with_env(dir.path(), &["cache", "dir"], &[("XDG_CACHE_HOME", "rel"), ("HOME", home.to_str().unwrap())]);
    assert_eq!(run.assert_code(0).stdout.trim(), home.join(".cache/hldc").to_str().unwrap());
    let run = hldc_with_env(dir.path(), &["cache", "dir"], &[("XDG_CACHE_HOME", "rel"), ("HOME", "")]);
    let fallback = run.assert_code(0).stdout.trim().to_string();
    assert!(Path::new(&fallback).is_absolute() && fallback.contains("hldc-"), "{fallback}");
}

#[test]
fn access_yaml_names_the_variable_holding_the_token() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[])]);
    let token = "s3cr3t-token-value";
    let server = Server::start_with_token(&served, Some(token));
    helm_hld(&fixture, &server.url(), "1.0.0");
    fixture.write(&[("access.yaml", &format!("{}: CHARTS_TOKEN\n", server.url()))]);
    let cache = fixture.dir.path().join("xdg");
    let env = |value: &'static str| {
        [
            ("XDG_CACHE_HOME", cache.to_str().unwrap().to_string()),
            ("CHARTS_TOKEN", value.to_string()),
            ("HLDC_ALLOW_TOKENS", "CHARTS_TOKEN".to_string()),
        ]
    };
    let run_with = |value: &'static str| {
        let env = env(value);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        hldc_with_env(&fixture.hld(), &["generate"], &env)
    };
    let refused = run_with("wrong-token").assert_code(2);
    refused.assert_stderr_contains("authentication failed");
    assert!(!refused.stderr.contains("wrong-token"));
    let accepted = run_with(token).assert_code(0);
    assert!(!accepted.stderr.contains(token));
    assert!(!fixture.lock().contains(token));
    // An unset variable is a warning, and a fetch then fails on authentication (the cache,
    // filled by the run above, would serve the pinned chart without asking the server).
    fixture.run(&["cache", "clean"]).assert_code(0);
    fixture
        .run_with_env(&["generate"], &[("HLDC_ALLOW_TOKENS", "CHARTS_TOKEN")])
        .assert_code(2)
        .assert_stderr_contains("`CHARTS_TOKEN` (the token for")
        .assert_stderr_contains("authentication failed");
}

#[test]
fn a_relative_git_path_is_locked_as_written_and_holds_in_another_checkout() {
    let fixture = Fixture::new();
    let (_repo, first) = manifests_repo(&fixture.dir.path().join("remote"));
    static_git_hld(&fixture, "../remote", "    version: v1\n");
    fixture.run(&["generate"]).assert_code(0);
    let lock = fixture.lock();
    assert!(lock.contains("url: \"../remote\"") && lock.contains(&first), "{lock}");
    // Move HLD and repository together: the lock still matches.
    let moved = tempfile::tempdir().unwrap();
    std::fs::rename(fixture.dir.path().join("remote"), moved.path().join("remote")).unwrap();
    std::fs::rename(fixture.hld(), moved.path().join("hld")).unwrap();
    let cache = fixture.dir.path().join("xdg");
    hldc_with_env(
        &moved.path().join("hld"),
        &["generate", "--allow-local-sources", "--locked"],
        &[("XDG_CACHE_HOME", cache.to_str().unwrap())],
    )
    .assert_code(0);
}

#[test]
fn local_chart_dependencies_are_built_and_pinned() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    let dependency = RepoChart::new("web", "1.0.0", &[]);
    write_repo(&served, &[dependency]);
    let mut server = Server::start(&served);
    fixture.write(&[
        ("component.yaml", "name: app\nsubcomponents:\n  - name: umbrella\n    type: helm\n    path: umbrella\n"),
        ("config/common.yaml", ""),
        (
            "umbrella/Chart.yaml",
            &format!("apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: \"^1.0\"\n    repository: {}\n", server.url()),
        ),
        ("umbrella/templates/own.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n"),
    ]);
    fixture.run(&["generate"]).assert_code(0);
    let output = fixture.output("common", "umbrella.yaml");
    assert!(output.contains("name: own") && output.contains("name: web"), "{output}");
    assert!(
        fixture.lock().contains("chart: web") && fixture.lock().contains("version: \"1.0.0\""),
        "{}",
        fixture.lock()
    );
    // The HLD's own chart directory is left alone: dependencies live in the cache.
    assert!(!fixture.hld().join("umbrella/charts").exists());
    fixture.run(&["update"]).assert_code(0);
    assert!(fixture.lock().contains("chart: web"), "update dropped the dependency pin: {}", fixture.lock());
    // A newer dependency moves the build only after `hldc update umbrella`.
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[]), RepoChart::new("web", "1.1.0", &[])]);
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.lock().contains("version: \"1.0.0\""));
    fixture.run(&["update", "umbrella"]).assert_code(0);
    assert!(fixture.lock().contains("version: \"1.1.0\""), "{}", fixture.lock());
    server.stop();
    fixture.run(&["generate", "--offline", "--locked"]).assert_code(0);
    assert!(fixture.output("common", "umbrella.yaml").contains("version: \"1.1.0\""));
}

#[test]
fn charts_cannot_reach_outside_their_source() {
    let fixture = Fixture::new();
    let secret = fixture.dir.path().join("secret.yaml");
    std::fs::write(&secret, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: host\nstringData:\n  pw: TOPSECRET\n")
        .unwrap();
    fixture.write(&[
        ("component.yaml", "name: app\nsubcomponents:\n  - name: c\n    type: helm\n    path: chart\n"),
        ("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"),
    ]);
    std::fs::create_dir_all(fixture.hld().join("chart/templates")).unwrap();
    std::os::unix::fs::symlink(&secret, fixture.hld().join("chart/templates/evil.yaml")).unwrap();
    let run = fixture.run(&["generate"]).assert_code(2);
    run.assert_stderr_contains("symlink that leads outside the source of component `c`");
    assert!(!run.stderr.contains("TOPSECRET"));
    // A dependency name from Chart.yaml cannot climb out of charts/.
    std::fs::remove_file(fixture.hld().join("chart/templates/evil.yaml")).unwrap();
    fixture.write(&[("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: ../../../../pwned\n    version: 1.0.0\n    repository: http://127.0.0.1:9/\n")]);
    fixture.run(&["generate"]).assert_code(2).assert_stderr_contains("is not a plain file name");
}

#[test]
fn an_environment_defined_only_in_a_remote_component() {
    let fixture = Fixture::new();
    let repo = TestRepo::init(&fixture.dir.path().join("remote"));
    repo.commit(
        "team hld",
        &[
            ("component.yaml", "name: team\nsubcomponents:\n  - name: web\n    type: static\n    path: m\n"),
            ("config/staging.yaml", "subcomponents:\n  web:\n    namespace: staging\n    injectNamespace: true\n"),
            ("m/cm.yaml", &configmap("web", "s")),
        ],
    );
    fixture.write(&[(
        "component.yaml",
        &format!(
            "name: app\nsubcomponents:\n  - name: team\n    method: git\n    source: {}\n    branch: main\n",
            repo.file_url()
        ),
    )]);
    fixture.run(&["generate", "staging"]).assert_code(0);
    assert!(fixture.output("staging", "team/web.yaml").contains("namespace: staging"));
    // validate does not fetch: it cannot see the environment, and says so without failing.
    fixture.run(&["validate", "staging"]).assert_code(0).assert_stderr_contains("validate does not fetch");
}

/// An HLD with one chart pulled from the OCI registry `registry` (`host[:port]`).
fn oci_component(fx: &Fixture, registry: &str) {
    fx.write(&[
        ("component.yaml", &format!("name: app\nsubcomponents:\n  - name: web\n    type: helm\n    method: helm\n    source: oci://{registry}/charts\n    path: web\n    version: \"1.2.3\"\n")),
        ("config/common.yaml", ""),
    ]);
}

/// A TCP server on 127.0.0.1 that never answers: it holds each connection open (`hold`) or
/// closes it at once. Returns its port and how many connections it accepted so far.
fn silent_server(hold: bool) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if hold {
                held.push(stream);
            }
        }
    });
    (port, accepted)
}

#[test]
fn helm_pull_is_killed_after_the_helm_timeout() {
    let fx = Fixture::new();
    let (port, accepted) = silent_server(true);
    oci_component(&fx, &format!("127.0.0.1:{port}"));
    let started = std::time::Instant::now();
    let run = fx.run(&["generate", "--helm-timeout", "2s"]);
    run.assert_code(2)
        .assert_stderr_contains("helm pull oci://127.0.0.1:")
        .assert_stderr_contains("no result after 2s");
    assert!(accepted.load(std::sync::atomic::Ordering::SeqCst) > 0, "helm never reached the registry");
    // helm's own TLS handshake timeout is 10s; the run must end well before it.
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "{:?}", started.elapsed());
}

#[test]
fn helm_pull_does_not_see_the_users_environment() {
    // helm honours HTTPS_PROXY; hldc's own HTTP client ignores it, and so must `helm pull`.
    let fx = Fixture::new();
    let (port, proxied) = silent_server(false);
    let proxy = format!("http://127.0.0.1:{port}");
    // A registry that cannot resolve: without the proxy helm fails at once.
    oci_component(&fx, "registry.invalid");
    let env = [("HTTPS_PROXY", proxy.as_str()), ("https_proxy", proxy.as_str())];
    let run = fx.run_with_env(&["generate", "--helm-timeout", "5s"], &env);
    run.assert_code(2).assert_stderr_contains("helm pull oci://registry.invalid/charts/web failed");
    assert_eq!(proxied.load(std::sync::atomic::Ordering::SeqCst), 0, "helm pull went through the user's proxy");
}

/// `update web` when web's pinned commit is gone (history rewritten): the chart resolves afresh,
/// and so do the dependencies of the chart it resolves to. They used to stay pinned, because the
/// failing look-up of the old chart was dropped.
#[test]
fn update_of_a_chart_whose_pin_is_gone_re_resolves_its_dependencies() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    std::fs::create_dir_all(&served).unwrap();
    let server = Server::start(&served);
    let url = server.url();
    write_repo(&served, &[RepoChart::new("lib", "1.0.0", &[])]);
    let chart = |version: &str| {
        [
            ("charts/web/Chart.yaml".to_string(), format!("apiVersion: v2\nname: web\nversion: {version}\ndependencies:\n  - name: lib\n    version: \"^1.0\"\n    repository: \"{url}\"\n")),
            ("charts/web/templates/cm.yaml".to_string(), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n".to_string()),
        ]
    };
    let remote = fixture.dir.path().join("remote");
    let files = chart("1.0.0");
    TestRepo::init(&remote).commit("first", &files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect::<Vec<_>>());
    fixture.write(&[(
        "component.yaml",
        &format!("name: app\nsubcomponents:\n  - name: web\n    type: helm\n    method: git\n    source: file://{}\n    branch: main\n    path: charts/web\n", remote.display()),
    )]);
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.lock().contains("version: \"1.0.0\""), "{}", fixture.lock());

    // The history is rewritten, lib gains 1.1.0, and nothing is cached any more.
    std::fs::remove_dir_all(&remote).unwrap();
    let files = chart("2.0.0");
    TestRepo::init(&remote).commit("again", &files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect::<Vec<_>>());
    write_repo(&served, &[RepoChart::new("lib", "1.0.0", &[]), RepoChart::new("lib", "1.1.0", &[])]);
    fixture.run(&["cache", "clean"]).assert_code(0);
    fixture.run(&["update", "web"]).assert_code(0);
    let lock = fixture.lock();
    assert!(lock.contains("version: \"1.1.0\"") && !lock.contains("version: \"1.0.0\""), "a stale pin is left: {lock}");
}

/// A local chart whose dependency names a Helm repository that is gone, as Fabrikate HLDs' charts
/// from helm/charts do (issue 25): the error says which `mirrors:` line to add, and with that one
/// line, pointing at the repository that keeps its charts now, the chart renders; the lock keeps
/// the URL as written and records the mirror.
#[test]
fn a_dependency_on_a_dead_repository_renders_through_a_mirror_line() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    write_repo(&served, &[RepoChart::new("kube-state-metrics", "2.8.14", &[])]);
    let server = Server::start(&served);
    const DEAD: &str = "https://kubernetes-charts.storage.googleapis.com";
    fixture.write(&[
        ("component.yaml", "name: app\nsubcomponents:\n  - name: prometheus\n    type: helm\n    path: prometheus\n"),
        ("config/common.yaml", ""),
        ("prometheus/Chart.yaml", "apiVersion: v1\nname: prometheus\nversion: 11.12.1\n"),
        (
            "prometheus/requirements.yaml",
            &format!("dependencies:\n  - name: kube-state-metrics\n    version: \"2.8.*\"\n    repository: {DEAD}/\n    condition: kubeStateMetrics.enabled\n"),
        ),
        ("prometheus/values.yaml", "kubeStateMetrics:\n  enabled: true\n"),
        ("prometheus/templates/own.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n"),
    ]);
    let run = fixture.run(&["generate", "--fetch-timeout", "10s"]).assert_code(2);
    run.assert_stderr_contains(&format!("│ mirrors:\n  │   \"{DEAD}\": \"https://charts.helm.sh/stable\"\n"));

    fixture.write(&[("hldc.yaml", &format!("mirrors:\n  \"{DEAD}\": \"{}\"\n", server.url()))]);
    fixture.run(&["generate"]).assert_code(0);
    let output = fixture.output("common", "prometheus.yaml");
    assert!(output.contains("name: own") && output.contains("name: kube-state-metrics"), "{output}");
    let lock = fixture.lock();
    assert!(lock.contains(&format!("repository: {DEAD}\n")), "{lock}");
    assert!(lock.contains(&format!("    mirror: {}\n", server.url())), "{lock}");
}

/// A dependency its values disable is not fetched, as helm would not render it (issue 25): by
/// its `condition` (the component's values over the chart's) or by its `tags`. Its repository
/// is unreachable, and the chart renders without it.
#[test]
fn a_dependency_the_values_disable_is_not_fetched() {
    let fixture = Fixture::new();
    let served = fixture.dir.path().join("charts");
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[])]);
    let server = Server::start(&served);
    let unreachable = "http://127.0.0.1:9/charts";
    fixture.write(&[
        ("component.yaml", "name: app\nsubcomponents:\n  - name: umbrella\n    type: helm\n    path: umbrella\n"),
        ("config/common.yaml", "subcomponents:\n  umbrella:\n    config:\n      metrics:\n        enabled: false\n      tags:\n        extras: false\n"),
        (
            "umbrella/Chart.yaml",
            &format!(
                "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: web\n    version: \"^1.0\"\n    repository: {}\n  - name: metrics\n    version: \"~2.3.1\"\n    repository: {unreachable}\n    condition: metrics.enabled\n  - name: extra\n    version: 1.0.0\n    repository: {unreachable}\n    tags: [extras]\n",
                server.url()
            ),
        ),
        ("umbrella/values.yaml", "metrics:\n  enabled: true\n"),
        ("umbrella/templates/own.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: own\n"),
    ]);
    fixture.run(&["generate"]).assert_code(0);
    let output = fixture.output("common", "umbrella.yaml");
    assert!(output.contains("name: own") && output.contains("name: web"), "{output}");
    assert!(!fixture.lock().contains("metrics") && !fixture.lock().contains("extra"), "{}", fixture.lock());

    // Enabled again, it is fetched, and its repository's failure is the run's.
    fixture.write(&[("config/common.yaml", "")]);
    fixture
        .run(&["generate", "--fetch-timeout", "10s"])
        .assert_code(2)
        .assert_stderr_contains("dependency metrics of chart umbrella");
}
