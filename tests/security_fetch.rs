//! Issue 21's fetch attacks, end to end: every file of the HLD is untrusted (it may come from a
//! fork's pull request); only hldc's flags and the pipeline's environment are trusted. Real
//! servers on 127.0.0.1, real git repositories, the real binary.

mod common;
mod fetch_support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use common::{hldc_with_env, write_files, Exited};
use fetch_support::{write_repo, Reply, RepoChart, ScriptedServer, Server, TestRepo};

const SECRET: &str = "pipeline-secret-b7e1";

/// A scratch directory holding the HLD (`hld/`), the cache and whatever repositories a test makes.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn hld(&self) -> PathBuf {
        self.path("hld")
    }

    fn cache(&self) -> PathBuf {
        self.path("xdg").join("hldc")
    }

    fn write(&self, files: &[(&str, &str)]) {
        write_files(&self.hld(), files);
    }

    /// hldc with a private cache, `CI_DEPLOY_SECRET` set and a home of its own.
    fn run(&self, args: &[&str]) -> Exited {
        self.run_with_env(args, &[])
    }

    fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Exited {
        let home = self.path("home");
        std::fs::create_dir_all(&home).unwrap();
        let xdg = self.path("xdg");
        let mut all = vec![
            ("XDG_CACHE_HOME", xdg.to_str().unwrap()),
            ("HOME", home.to_str().unwrap()),
            ("CI", "true"),
            ("CI_DEPLOY_SECRET", SECRET),
        ];
        all.extend_from_slice(env);
        hldc_with_env(&self.hld(), args, &all)
    }

    fn lock(&self) -> String {
        std::fs::read_to_string(self.hld().join("hldc.lock")).unwrap_or_default()
    }

    fn output(&self) -> String {
        std::fs::read_to_string(self.hld().join("generated/common/web.yaml")).unwrap_or_default()
    }
}

fn configmap(value: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: {value}\n")
}

fn static_component(method: &str, source: &str, more: &str) -> String {
    format!(
        "name: app\nsubcomponents:\n  - name: web\n    type: static\n    method: {method}\n    source: {source}\n{more}"
    )
}

fn http_hld(fixture: &Fixture, url: &str) {
    fixture.write(&[("component.yaml", &static_component("http", url, "")), ("config/common.yaml", "")]);
}

fn git_hld(fixture: &Fixture, source: &str, pin: &str) {
    let more = format!("    path: manifests\n{pin}");
    fixture.write(&[("component.yaml", &static_component("git", source, &more)), ("config/common.yaml", "")]);
}

fn serves_configmap() -> ScriptedServer {
    ScriptedServer::start(|_, _| Reply::ok(configmap("served").as_bytes()))
}

/// Whether any request the server saw carried the secret.
fn saw_secret(server: &ScriptedServer) -> bool {
    server.recorded().iter().any(|r| r.headers.iter().any(|(_, value)| value.contains(SECRET)))
}

// --- attack 1: access.yaml asks for a pipeline secret -----------------------------------------

#[test]
fn a_token_the_pipeline_did_not_allow_is_never_sent() {
    let fixture = Fixture::new();
    let server = serves_configmap();
    http_hld(&fixture, &format!("{}/cm.yaml", server.url()));
    fixture.write(&[("access.yaml", &format!("\"{}/\": CI_DEPLOY_SECRET\n", server.url()))]);
    let run = fixture.run(&["diff"]).assert_code(1);
    assert!(!server.recorded().is_empty(), "the source was fetched");
    assert!(!saw_secret(&server), "{:?}", server.recorded());
    assert!(!run.stderr.contains(SECRET));
    run.assert_stderr_contains("warning[hldc::access::not-allowed]")
        .assert_stderr_contains("--allow-token CI_DEPLOY_SECRET");
}

#[test]
fn an_allowed_token_goes_only_where_the_pipeline_says_and_never_on_a_redirect() {
    let fixture = Fixture::new();
    // Every path but /final redirects to /final, on another host name of the same server.
    let server = ScriptedServer::start(|request, base| match request.path.as_str() {
        "/final" => Reply::ok(configmap("redirected").as_bytes()),
        _ => Reply::Full {
            status: "302 Found",
            headers: vec![("Location".into(), base.replace("127.0.0.1", "localhost") + "/final")],
            body: Vec::new(),
        },
    });
    http_hld(&fixture, &format!("{}/cm.yaml", server.url()));
    fixture.write(&[("access.yaml", &format!("\"{}/\": CI_DEPLOY_SECRET\n", server.url()))]);

    // Allowed only under another URL: access.yaml cannot point it here.
    fixture
        .run(&["generate", "--allow-token", "CI_DEPLOY_SECRET=https://git.example.com/org/"])
        .assert_code(0)
        .assert_stderr_contains("allowed only under `https://git.example.com/org/`");
    assert!(!saw_secret(&server));

    // Allowed here: sent to the URL asked, not to where the server redirects.
    std::fs::remove_dir_all(fixture.cache()).unwrap();
    std::fs::remove_file(fixture.hld().join("hldc.lock")).unwrap();
    let before = server.recorded().len();
    fixture.run_with_env(&["generate"], &[("HLDC_ALLOW_TOKENS", "OTHER,CI_DEPLOY_SECRET")]).assert_code(0);
    let recorded = server.recorded()[before..].to_vec();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert_eq!(recorded[0].header("authorization"), Some(format!("Bearer {SECRET}").as_str()));
    assert_eq!(recorded[1].path, "/final");
    assert_eq!(recorded[1].header("authorization"), None, "the token followed the redirect");
    assert!(fixture.output().contains("redirected"));
}

#[test]
fn an_allowed_token_is_never_sent_over_plain_http_to_another_machine() {
    let fixture = Fixture::new();
    fixture.write(&[
        ("component.yaml", "name: app\ntype: static\npath: m\n"),
        ("m/cm.yaml", &configmap("local")),
        ("config/common.yaml", ""),
        ("access.yaml", "\"http://charts.example.com/\": CI_DEPLOY_SECRET\n"),
    ]);
    fixture
        .run(&["validate", "--allow-token", "CI_DEPLOY_SECRET"])
        .assert_code(0)
        .assert_stderr_contains("warning[hldc::access::plain-http]");
}

// --- attack 8: a git server asks for credentials ----------------------------------------------

#[test]
fn a_git_server_answering_401_never_reaches_the_machines_credential_helper() {
    let fixture = Fixture::new();
    let marker = fixture.path("helper-was-asked");
    // The runner's git setup: a credential helper holding a token for every host.
    let home = fixture.path("home");
    let helper = format!("!f() {{ touch '{}'; echo username=ci; echo password={SECRET}; }}; f", marker.display());
    write_files(&home, &[(".gitconfig", &format!("[credential]\n\thelper = \"{helper}\"\n"))]);
    let server = ScriptedServer::start(|_, _| Reply::Full {
        status: "401 Unauthorized",
        headers: vec![("WWW-Authenticate".into(), "Basic realm=\"git\"".into())],
        body: b"who are you".to_vec(),
    });
    git_hld(&fixture, &format!("{}/org/private.git", server.url()), "    version: v1\n");
    let run = fixture.run(&["generate"]).assert_code(2);
    assert!(!marker.exists(), "the credential helper was asked");
    assert!(!saw_secret(&server));
    run.assert_stderr_contains("error[hldc::fetch::auth]").assert_stderr_contains("--allow-token");
}

#[test]
fn a_git_token_does_not_follow_a_redirect_to_another_host() {
    let fixture = Fixture::new();
    let server = ScriptedServer::start(|request, base| {
        if request.path.starts_with("/moved") {
            return Reply::Full {
                status: "401 Unauthorized",
                headers: vec![("WWW-Authenticate".into(), "Basic realm=\"git\"".into())],
                body: Vec::new(),
            };
        }
        let elsewhere = base.replace("127.0.0.1", "localhost");
        Reply::Full {
            status: "302 Found",
            headers: vec![("Location".into(), format!("{elsewhere}/moved{}", request.path))],
            body: Vec::new(),
        }
    });
    git_hld(&fixture, &format!("{}/org/repo.git", server.url()), "    version: v1\n");
    fixture.write(&[("access.yaml", &format!("\"{}/\": CI_DEPLOY_SECRET\n", server.url()))]);
    fixture.run(&["generate", "--allow-token", "CI_DEPLOY_SECRET"]).assert_code(2);
    let recorded = server.recorded();
    assert!(recorded.iter().any(|r| r.path.starts_with("/moved")), "{recorded:?}");
    assert!(recorded.iter().all(|r| r.header("authorization").is_none()), "{recorded:?}");
}

// --- attack 7: local repositories and the cache -----------------------------------------------

fn private_repo(dir: &Path) -> (TestRepo, String) {
    let repo = TestRepo::init(dir);
    let commit = repo.commit("private", &[("manifests/cm.yaml", &configmap("private-data"))]);
    repo.tag_lightweight("v1", &commit);
    (repo, commit)
}

#[test]
fn repositories_of_the_machine_outside_the_hlds_are_refused() {
    let fixture = Fixture::new();
    let (repo, _) = private_repo(&fixture.path("victim"));
    let sources = [repo.path_url(), repo.file_url(), "../victim".to_string()];
    for source in &sources {
        git_hld(&fixture, source, "    version: v1\n");
        let run = fixture.run(&["generate"]).assert_code(2);
        run.assert_stderr_contains("error[hldc::fetch::local-source]").assert_stderr_contains("--allow-local-sources");
        assert!(!run.stderr.contains("private-data"));
        assert!(!fixture.hld().join("generated").exists(), "{source}");
        fixture.run(&["validate"]).assert_code(1).assert_stderr_contains("error[hldc::fetch::local-source]");
    }
    // The pipeline may allow them.
    fixture.run(&["generate", "--allow-local-sources"]).assert_code(0);
    assert!(fixture.output().contains("private-data"));
}

#[test]
fn a_repository_inside_the_hlds_own_repository_is_part_of_the_hld() {
    let fixture = Fixture::new();
    // One repository holding the HLD and, beside it, a repository of shared components.
    TestRepo::init(&fixture.path("."));
    let (_shared, _) = private_repo(&fixture.path("shared"));
    git_hld(&fixture, "../shared", "    version: v1\n");
    fixture.run(&["generate"]).assert_code(0);
    assert!(fixture.output().contains("private-data"));
    // A symlink inside the repository pointing out of it is outside.
    let elsewhere = tempfile::tempdir().unwrap();
    let (victim, _) = private_repo(&elsewhere.path().join("victim"));
    std::os::unix::fs::symlink(&victim.dir, fixture.path("victim-link")).unwrap();
    git_hld(&fixture, "../victim-link", "    version: v1\n");
    fixture.run(&["generate"]).assert_code(2).assert_stderr_contains("error[hldc::fetch::local-source]");
}

#[test]
fn a_cached_tree_is_served_only_to_the_url_it_was_fetched_from() {
    let fixture = Fixture::new();
    // An earlier, trusted run fetched a private repository into the machine's cache.
    let (private, private_commit) = private_repo(&fixture.path("private"));
    git_hld(&fixture, &private.path_url(), "    version: v1\n");
    fixture.run(&["generate", "--allow-local-sources"]).assert_code(0);
    std::fs::remove_dir_all(&private.dir).unwrap();
    std::fs::remove_dir_all(fixture.hld()).unwrap();

    // A later HLD names a public repository and pins the private commit.
    let public = TestRepo::init(&fixture.path("public"));
    public.commit("public", &[("manifests/cm.yaml", &configmap("public"))]);
    git_hld(&fixture, &public.path_url(), &format!("    version: {private_commit}\n"));
    let lock = format!(
        "# hldc.lock\nversion: 1\ngit:\n  - url: {}\n    ref: {private_commit}\n    commit: {private_commit}\n",
        public.path_url()
    );
    fixture.write(&[("hldc.lock", &lock)]);
    let run = fixture.run(&["generate", "--allow-local-sources", "--locked"]).assert_code(2);
    assert!(!run.stderr.contains("private-data"));
    assert!(!fixture.output().contains("private-data"));

    // Or names the cache's mirror itself, which is a repository of this machine.
    let mirrors = fixture.cache().join("git/mirrors");
    let mirror = std::fs::read_dir(&mirrors).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(fixture.hld().join("hldc.lock")).unwrap();
    git_hld(&fixture, mirror.to_str().unwrap(), "    version: v1\n");
    fixture.run(&["generate"]).assert_code(2).assert_stderr_contains("error[hldc::fetch::local-source]");
}

#[test]
fn a_cached_download_is_served_only_to_the_url_it_came_from() {
    let fixture = Fixture::new();
    let private = configmap("private-data");
    let public = configmap("public");
    let server = ScriptedServer::start(move |request, _| match request.path.as_str() {
        "/private.yaml" if request.header("authorization").is_some() => Reply::ok(private.as_bytes()),
        "/private.yaml" => Reply::Full { status: "401 Unauthorized", headers: Vec::new(), body: Vec::new() },
        _ => Reply::ok(public.as_bytes()),
    });
    // An earlier, trusted run downloaded a private file with a token.
    http_hld(&fixture, &format!("{}/private.yaml", server.url()));
    fixture.write(&[("access.yaml", &format!("\"{}/private.yaml\": CI_DEPLOY_SECRET\n", server.url()))]);
    fixture.run(&["generate", "--allow-token", "CI_DEPLOY_SECRET"]).assert_code(0);
    let sha = fixture.lock().split("sha256: ").nth(1).unwrap().trim().trim_matches('"').to_string();
    std::fs::remove_dir_all(fixture.hld()).unwrap();

    // A later HLD names a public file and pins the private file's digest.
    http_hld(&fixture, &format!("{}/public.yaml", server.url()));
    let lock = format!("# hldc.lock\nversion: 1\nhttp:\n  - url: {}/public.yaml\n    sha256: {sha}\n", server.url());
    fixture.write(&[("hldc.lock", &lock)]);
    let run = fixture.run(&["generate", "--locked"]).assert_code(2);
    assert!(!fixture.output().contains("private-data"));
    run.assert_stderr_contains("error[hldc::fetch::digest-mismatch]");
}

// --- attack 9: the lock is checked, not trusted -----------------------------------------------

#[test]
fn a_git_pin_the_declared_tag_does_not_name_is_refused() {
    let fixture = Fixture::new();
    let repo = TestRepo::init(&fixture.path("remote"));
    let released = repo.commit("release", &[("manifests/cm.yaml", &configmap("released"))]);
    repo.tag_lightweight("v1", &released);
    // A pull request's head: on refs/pull/1/head only.
    let proposed = repo.commit("proposal", &[("manifests/cm.yaml", &configmap("unreviewed"))]);
    repo.repo.reference("refs/pull/1/head", git2::Oid::from_str(&proposed).unwrap(), true, "pr").unwrap();
    repo.repo.reference("refs/heads/main", git2::Oid::from_str(&released).unwrap(), true, "reset").unwrap();
    git_hld(&fixture, "../remote", "    version: v1\n");
    fixture.run(&["generate", "--allow-local-sources"]).assert_code(0);
    assert!(fixture.lock().contains(&released));

    fixture.write(&[("hldc.lock", &fixture.lock().replace(&released, &proposed))]);
    std::fs::remove_dir_all(fixture.hld().join("generated")).unwrap();
    // validate tells from the cache, without the network.
    fixture
        .run(&["validate", "--allow-local-sources"])
        .assert_code(1)
        .assert_stderr_contains("error[hldc::lock::mismatch]");
    for warm in [true, false] {
        if !warm {
            std::fs::remove_dir_all(fixture.cache()).unwrap();
        }
        let run = fixture.run(&["generate", "--allow-local-sources", "--locked"]).assert_code(2);
        run.assert_stderr_contains("error[hldc::lock::mismatch]")
            .assert_stderr_contains("`hldc.lock` pins commit")
            .assert_stderr_contains("component.yaml:8")
            .assert_stderr_contains("run `hldc");
        assert!(!fixture.output().contains("unreviewed"));
    }
    // A branch pin must be reachable from the branch.
    git_hld(&fixture, "../remote", "    branch: main\n");
    let lock = fixture.lock().replace("ref: v1", "ref: main");
    fixture.write(&[("hldc.lock", &lock)]);
    fixture
        .run(&["generate", "--allow-local-sources", "--locked"])
        .assert_code(2)
        .assert_stderr_contains("branch \"main\" does not reach it");
    // `hldc update` rewrites the pin.
    fixture.run(&["update", "--allow-local-sources"]).assert_code(0);
    assert!(fixture.lock().contains(&released) && !fixture.lock().contains(&proposed));
}

#[test]
fn a_chart_pin_outside_the_declared_constraint_is_refused() {
    let fixture = Fixture::new();
    let served = fixture.path("charts");
    write_repo(&served, &[RepoChart::new("web", "1.0.0", &[]), RepoChart::new("web", "4.10.2", &[])]);
    let server = Server::start(&served);
    let chart = |version: &str| {
        format!(
            "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    method: helm\n    source: {}\n    path: web\n    version: \"{version}\"\n",
            server.url()
        )
    };
    fixture.write(&[("component.yaml", &chart("1.0.0")), ("config/common.yaml", "")]);
    fixture.run(&["generate"]).assert_code(0);
    // The old pin, relabelled as the answer to the new constraint.
    fixture.write(&[
        ("component.yaml", &chart("^4.10")),
        ("hldc.lock", &fixture.lock().replace("constraint: \"1.0.0\"", "constraint: \"^4.10\"")),
    ]);
    fixture.run(&["validate"]).assert_code(1).assert_stderr_contains("error[hldc::lock::mismatch]");
    let run = fixture.run(&["generate", "--locked"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::lock::mismatch]")
        .assert_stderr_contains("`hldc.lock` pins version 1.0.0")
        .assert_stderr_contains("component.yaml");
    fixture.run(&["update"]).assert_code(0);
    assert!(fixture.lock().contains("4.10.2"), "{}", fixture.lock());
}

// --- attack 12, network half: limits on every fetch -------------------------------------------

/// Runs hldc on a thread with an outer bound far above any timeout under test, so that a hang
/// fails the test instead of stalling the suite.
fn within_a_minute(fixture: &Fixture, args: &'static [&'static str]) -> Exited {
    let (send, receive) = mpsc::channel();
    let (hld, xdg, home) = (fixture.hld(), fixture.path("xdg"), fixture.path("home"));
    std::fs::create_dir_all(&home).unwrap();
    std::thread::spawn(move || {
        let env = [("XDG_CACHE_HOME", xdg.to_str().unwrap()), ("HOME", home.to_str().unwrap()), ("CI", "true")];
        let _ = send.send(hldc_with_env(&hld, args, &env));
    });
    receive.recv_timeout(Duration::from_secs(60)).expect("hldc ended within the outer bound")
}

fn temporaries(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp-"))
        .collect()
}

#[test]
fn an_endless_body_stops_at_the_download_cap_and_leaves_nothing_behind() {
    let fixture = Fixture::new();
    let server = ScriptedServer::start(|_, _| Reply::Stream {
        headers: Vec::new(),
        prefix: b"data: ".to_vec(),
        drip: b'x',
        fast: true,
    });
    http_hld(&fixture, &format!("{}/cm.yaml", server.url()));
    let run = within_a_minute(&fixture, &["generate", "--max-download", "1MiB"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::fetch::too-large]").assert_stderr_contains("1MiB");
    assert_eq!(temporaries(&fixture.cache()), Vec::<String>::new());
}

#[test]
fn a_dripping_body_ends_at_the_fetch_timeout() {
    let fixture = Fixture::new();
    let server = ScriptedServer::start(|_, _| Reply::Stream {
        headers: Vec::new(),
        prefix: b"data: ".to_vec(),
        drip: b'x',
        fast: false,
    });
    http_hld(&fixture, &format!("{}/cm.yaml", server.url()));
    let run = within_a_minute(&fixture, &["generate", "--fetch-timeout", "3s"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::fetch::timeout]").assert_stderr_contains("--fetch-timeout");
    assert_eq!(temporaries(&fixture.cache()), Vec::<String>::new());
}

#[test]
fn a_git_server_dripping_its_refs_ends_at_the_fetch_timeout() {
    let fixture = Fixture::new();
    // A smart-http advertisement whose first ref packet announces 65504 bytes and sends one
    // byte every 100 ms: libgit2 alone would wait for nearly two hours.
    let server = ScriptedServer::start(|_, _| Reply::Stream {
        headers: vec![
            ("Content-Type".into(), "application/x-git-upload-pack-advertisement".into()),
            ("Content-Length".into(), "100000".into()),
        ],
        prefix: b"001e# service=git-upload-pack\n0000ffe0".to_vec(),
        drip: b'a',
        fast: false,
    });
    git_hld(&fixture, &format!("{}/org/repo.git", server.url()), "    version: v1\n");
    let run = within_a_minute(&fixture, &["generate", "--fetch-timeout", "3s"]).assert_code(2);
    run.assert_stderr_contains("error[hldc::fetch::timeout]").assert_stderr_contains("did not finish within 3s");
}

#[test]
fn leftovers_of_a_killed_run_are_removed_by_the_next() {
    let fixture = Fixture::new();
    let server = serves_configmap();
    http_hld(&fixture, &format!("{}/cm.yaml", server.url()));
    // No process has this id (Linux stops at 2^22), as for a run that was killed.
    let leftover = fixture.cache().join(format!("http/.tmp-{}-partial", i32::MAX));
    write_files(leftover.parent().unwrap(), &[(leftover.file_name().unwrap().to_str().unwrap(), "xxxx")]);
    fixture.run(&["generate"]).assert_code(0);
    assert!(!leftover.exists());
}

#[test]
fn sizes_and_durations_are_checked_before_anything_is_fetched() {
    let fixture = Fixture::new();
    let server = serves_configmap();
    http_hld(&fixture, &format!("{}/cm.yaml", server.url()));
    fixture
        .run(&["generate", "--max-download", "lots"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::cli::size]");
    fixture
        .run(&["generate", "--fetch-timeout", "soon"])
        .assert_code(2)
        .assert_stderr_contains("error[hldc::cli::timeout]");
    assert!(server.recorded().is_empty());
}

#[test]
fn an_oci_chart_larger_than_the_cap_stays_out_of_the_cache() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A helm whose `pull` brings 10 kB, with nothing but shell builtins (helm runs without PATH).
    let helm = dir.path().join("helm");
    std::fs::write(
        &helm,
        "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --destination ] && dest=$2; shift; done\n\
         i=0; while [ $i -lt 100 ]; do printf '%0100d' 0; i=$((i+1)); done > \"$dest/web-1.0.0.tgz\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut options = hldc::fetch::FetchOptions::new(dir.path().join("cache"));
    options.helm = Some(helm);
    options.max_download = 4096;
    let spec = hldc::fetch::SourceSpec::Oci {
        reference: "oci://127.0.0.1:1/charts/web".into(),
        constraint: "1.0.0".into(),
        plain_http: false,
    };
    let errors = hldc::fetch::fetch_all(&[spec], &mut hldc::fetch::Lockfile::new(), &options).unwrap_err();
    assert_eq!(errors[0].kind, hldc::fetch::FetchErrorKind::TooLarge, "{}", errors[0]);
    let archives = dir.path().join("cache/helm/archives");
    assert!(std::fs::read_dir(&archives).map_or(true, |mut entries| entries.next().is_none()));
    assert_eq!(temporaries(&dir.path().join("cache")), Vec::<String>::new());
}

// --- attack: hldc.yaml's mirrors send a source elsewhere ---------------------------------------

/// A pull request adds a mirror for a repository the pipeline gives a token to, pointing at a
/// server of its own: the token goes by the URL contacted, so the mirror never gets it, whether
/// the pipeline allowed the token everywhere access.yaml says (access.yaml maps only the real
/// repository) or bound it to that repository (and the pull request maps the mirror too).
#[test]
fn a_mirror_never_receives_the_token_of_the_repository_it_stands_for() {
    let fixture = Fixture::new();
    let trusted = ScriptedServer::start(|_, _| Reply::ok(configmap("trusted").as_bytes()));
    let attacker = serves_configmap();
    http_hld(&fixture, &format!("{}/cm.yaml", trusted.url()));
    let mirrors = format!("mirrors:\n  \"{}\": \"{}\"\n", trusted.url(), attacker.url());
    fixture.write(&[("hldc.yaml", &mirrors), ("access.yaml", &format!("\"{}/\": CI_DEPLOY_SECRET\n", trusted.url()))]);
    fixture.run(&["generate", "--allow-token", "CI_DEPLOY_SECRET"]).assert_code(0);
    assert!(fixture.output().contains("served"), "the mirror was not used: {}", fixture.output());
    assert!(trusted.recorded().is_empty(), "{:?}", trusted.recorded());
    assert!(!saw_secret(&attacker), "{:?}", attacker.recorded());

    std::fs::remove_dir_all(fixture.cache()).unwrap();
    std::fs::remove_file(fixture.hld().join("hldc.lock")).unwrap();
    let access = format!("\"{}/\": CI_DEPLOY_SECRET\n\"{}/\": CI_DEPLOY_SECRET\n", trusted.url(), attacker.url());
    fixture.write(&[("access.yaml", &access)]);
    let bound = format!("CI_DEPLOY_SECRET={}/", trusted.url());
    fixture
        .run(&["generate", "--allow-token", &bound])
        .assert_code(0)
        .assert_stderr_contains("warning[hldc::access::not-allowed]");
    assert!(!saw_secret(&attacker), "{:?}", attacker.recorded());
}

/// What the cache holds for a repository is served only to that repository: a mirror standing
/// in for it must give the pinned bytes itself, so naming a private file's URL, pinning its
/// digest and mirroring it to a public server does not unlock the cached private file.
#[test]
fn a_mirror_cannot_unlock_what_the_cache_holds_for_the_url_it_stands_for() {
    let fixture = Fixture::new();
    let private = configmap("private-data");
    let server = ScriptedServer::start(move |request, _| match request.path.as_str() {
        "/private.yaml" if request.header("authorization").is_some() => Reply::ok(private.as_bytes()),
        "/private.yaml" => Reply::Full { status: "401 Unauthorized", headers: Vec::new(), body: Vec::new() },
        _ => Reply::ok(configmap("public").as_bytes()),
    });
    let private_url = format!("{}/private.yaml", server.url());
    http_hld(&fixture, &private_url);
    fixture.write(&[("access.yaml", &format!("\"{private_url}\": CI_DEPLOY_SECRET\n"))]);
    fixture.run(&["generate", "--allow-token", "CI_DEPLOY_SECRET"]).assert_code(0);
    let lock = fixture.lock();
    std::fs::remove_dir_all(fixture.hld()).unwrap();

    http_hld(&fixture, &private_url);
    let mirrors = format!("mirrors:\n  \"{private_url}\": \"{}/public.yaml\"\n", server.url());
    fixture.write(&[("hldc.lock", &lock), ("hldc.yaml", &mirrors)]);
    let run = fixture.run(&["generate", "--locked"]).assert_code(2);
    assert!(!fixture.output().contains("private-data"));
    run.assert_stderr_contains("error[hldc::fetch::digest-mismatch]");
}
