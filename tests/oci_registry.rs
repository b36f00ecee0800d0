//! OCI sources against a real registry: Debian's `docker-registry` (the CNCF distribution, 2.8),
//! started by each test on a free port with its own storage, charts pushed with the real helm
//! and pulled through hldc. `scripts/install-tools` installs the registry where it can; without
//! it these tests fail, unless `HLDC_SKIP_REGISTRY_TESTS=1` says to skip them.

mod common;
mod fetch_support;

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{helm, hldc_with_env, read_tree, write_files, Exited};
use fetch_support::{Reply, ScriptedServer};
use sha2::{Digest, Sha256};

/// The token of the private registry's user `x-access-token`, and its bcrypt hash (cost 4)
/// for the registry's htpasswd file (distribution takes only bcrypt).
const TOKEN: &str = "s3cret-token";
const TOKEN_BCRYPT: &str = "$2b$04$7YMuSUcIqgH6sCKruU4la.MeJ61P3kICh3pK2uySmEJJGRWJaFnFW";

/// The registry binary, or `None` when the tests are told to skip without it.
fn registry_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("docker-registry"))
        .find(|candidate| candidate.is_file());
    if found.is_none() && std::env::var("HLDC_SKIP_REGISTRY_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: no docker-registry, and HLDC_SKIP_REGISTRY_TESTS=1");
        return None;
    }
    assert!(
        found.is_some(),
        "no docker-registry binary: run scripts/install-tools as root (it installs Debian's docker-registry), \
         or set HLDC_SKIP_REGISTRY_TESTS=1 to skip the OCI registry tests"
    );
    found
}

/// What the registry serves beyond plain http on loopback.
#[derive(Default)]
struct Setup {
    /// The address it listens on; 127.0.0.1 when `None`.
    address: Option<IpAddr>,
    /// `(certificate, key)` PEM files: serve https.
    tls: Option<(PathBuf, PathBuf)>,
    /// Require the token (`x-access-token` / `TOKEN`), over htpasswd.
    private: bool,
}

/// A running registry, killed when dropped.
struct Registry {
    child: Child,
    /// `host:port`
    host: String,
    dir: tempfile::TempDir,
    https: bool,
}

impl Registry {
    fn start(setup: Setup) -> Option<Registry> {
        let binary = registry_binary()?;
        let dir = tempfile::tempdir().unwrap();
        let address = setup.address.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let port = TcpListener::bind(SocketAddr::new(address, 0)).unwrap().local_addr().unwrap().port();
        let host = SocketAddr::new(address, port).to_string();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {host}\n",
            dir.path().join("data").display()
        );
        if let Some((certificate, key)) = &setup.tls {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                certificate.display(),
                key.display()
            ));
        }
        if setup.private {
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("x-access-token:{TOKEN_BCRYPT}\n")).unwrap();
            config.push_str(&format!("auth:\n  htpasswd:\n    realm: hldc-test\n    path: {}\n", htpasswd.display()));
        }
        let config_file = dir.path().join("config.yml");
        std::fs::write(&config_file, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config_file)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let registry = Registry { child, host, dir, https: setup.tls.is_some() };
        registry.wait_until_listening();
        Some(registry)
    }

    fn wait_until_listening(&self) {
        let started = Instant::now();
        let address: SocketAddr = self.host.parse().unwrap();
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
            assert!(started.elapsed() < Duration::from_secs(15), "the registry did not start:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `helm` with a home of its own (so its registry login stays in this test), and the flags
    /// that reach this registry.
    fn helm(&self, home: &Path, args: &[&str], ca_file: Option<&Path>) -> std::process::Output {
        let mut command = Command::new(helm());
        command.args(args).env_clear().env("HOME", home);
        for variable in ["HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"] {
            command.env(variable, home);
        }
        match (self.https, ca_file) {
            (true, Some(ca)) => command.arg("--ca-file").arg(ca),
            (true, None) => &mut command,
            (false, _) => command.arg("--plain-http"),
        };
        command.stdin(Stdio::piped());
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(TOKEN.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Packages chart `web` at `version` and pushes it to `charts/web`; returns the archive's
    /// sha256 and the manifest digest helm printed.
    fn push(&self, version: &str, ca_file: Option<&Path>) -> (String, String) {
        let template =
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  chart: \"{{ .Chart.Version }}\"\n";
        let work = tempfile::tempdir().unwrap();
        let chart = work.path().join("web");
        write_files(
            &chart,
            &[
                ("Chart.yaml", &format!("apiVersion: v2\nname: web\nversion: {version}\n")),
                ("templates/cm.yaml", template),
            ],
        );
        let home = work.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let packaged = Command::new(helm())
            .args(["package", chart.to_str().unwrap(), "-d", work.path().to_str().unwrap()])
            .env("HOME", &home)
            .output()
            .unwrap();
        assert!(packaged.status.success(), "{}", String::from_utf8_lossy(&packaged.stderr));
        self.push_archive(&work.path().join(format!("web-{version}.tgz")), ca_file)
    }

    /// Pushes a chart archive to `charts/<its name>`; as `push`.
    fn push_archive(&self, archive: &Path, ca_file: Option<&Path>) -> (String, String) {
        let home = tempfile::tempdir().unwrap();
        let home = home.path();
        let sha = format!("{:x}", Sha256::digest(std::fs::read(archive).unwrap()));
        if self.dir.path().join("htpasswd").exists() {
            let login = ["registry", "login", &self.host, "--username", "x-access-token", "--password-stdin"];
            let out = self.helm(home, &login, ca_file);
            assert!(out.status.success(), "login: {}", String::from_utf8_lossy(&out.stderr));
        }
        let target = format!("oci://{}/charts", self.host);
        let pushed = self.helm(home, &["push", archive.to_str().unwrap(), &target], ca_file);
        let said = String::from_utf8_lossy(&pushed.stderr).into_owned() + &String::from_utf8_lossy(&pushed.stdout);
        assert!(pushed.status.success(), "push: {said}");
        let digest = said.lines().find_map(|line| line.strip_prefix("Digest: ")).expect("helm push prints the digest");
        (sha, digest.trim().to_string())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HLD with one chart from an OCI registry.
struct Hld {
    dir: tempfile::TempDir,
}

impl Hld {
    /// `source` and the rest of the entry (`path:`, `version:`, `plainHttp:` lines).
    fn new(source: &str, rest: &str) -> Hld {
        let hld = Hld { dir: tempfile::tempdir().unwrap() };
        hld.component(source, rest);
        write_files(&hld.root(), &[("config/common.yaml", "")]);
        hld
    }

    fn component(&self, source: &str, rest: &str) {
        let component = format!(
            "name: app\nsubcomponents:\n  - name: web\n    type: helm\n    method: helm\n    source: {source}\n{rest}"
        );
        write_files(&self.root(), &[("component.yaml", &component)]);
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("hld")
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Exited {
        let cache = self.dir.path().join("xdg");
        std::fs::create_dir_all(&cache).unwrap();
        let mut env = env.to_vec();
        env.extend([("XDG_CACHE_HOME", cache.to_str().unwrap()), ("CI", "true")]);
        hldc_with_env(&self.root(), args, &env)
    }

    fn lock(&self) -> String {
        std::fs::read_to_string(self.root().join("hldc.lock")).unwrap_or_default()
    }

    /// The chart version the generated ConfigMap carries.
    fn rendered_version(&self) -> String {
        let files = read_tree(&self.root().join("generated"));
        let text: String = files.values().map(|bytes| String::from_utf8_lossy(bytes).into_owned()).collect();
        let line = text.lines().find(|line| line.trim_start().starts_with("chart:")).expect("a rendered ConfigMap");
        line.split(':').nth(1).unwrap().trim().trim_matches(['"', '\'']).to_string()
    }
}

#[test]
fn a_fixed_version_comes_from_a_plain_http_registry_on_this_machine() {
    let Some(registry) = Registry::start(Setup::default()) else { return };
    let (sha, _) = registry.push("1.2.3", None);
    let hld = Hld::new(&format!("oci://{}/charts", registry.host), "    path: web\n    version: \"1.2.3\"\n");
    hld.run(&["generate"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.2.3");
    assert!(hld.lock().contains(&format!("sha256:{sha}")), "{}", hld.lock());
}

#[test]
fn a_range_resolves_from_the_tags_and_stays_pinned_by_digest() {
    let Some(registry) = Registry::start(Setup::default()) else { return };
    for version in ["1.1.0", "1.2.0", "2.0.0"] {
        registry.push(version, None);
    }
    let (newest_allowed, _) = registry.push("1.2.7", None);
    let hld = Hld::new(&format!("oci://{}/charts", registry.host), "    path: web\n    version: ^1.2\n");
    hld.run(&["generate"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.2.7");
    let lock = hld.lock();
    assert!(lock.contains("1.2.7") && lock.contains(&format!("sha256:{newest_allowed}")), "{lock}");

    // A newer release does not move the build until `hldc update`.
    let (newer, _) = registry.push("1.3.0", None);
    hld.run(&["generate", "--locked"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.2.7");
    hld.run(&["update"], &[]).assert_code(0);
    hld.run(&["generate", "--locked"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.3.0");
    assert!(hld.lock().contains(&format!("sha256:{newer}")), "{}", hld.lock());

    hld.component(&format!("oci://{}/charts", registry.host), "    path: web\n    version: ^3\n");
    hld.run(&["generate"], &[]).assert_code(2).assert_stderr_contains("no tag of");
}

/// A front to `registry` that pages its tag lists by two, as distribution 3, GHCR and Harbor page
/// long ones (`n`, `last` and a `Link` header to the next page; Debian's distribution 2.8 sends
/// every tag at once), and sends every other request on to the registry itself.
fn paging_front(registry: &Registry) -> ScriptedServer {
    let real = format!("http://{}", registry.host);
    ScriptedServer::start(move |request, _| {
        let (path, query) = request.path.split_once('?').unwrap_or((&request.path, ""));
        if path == "/v2/" {
            return Reply::ok(b"{}");
        }
        let Some(name) = path.strip_prefix("/v2/").and_then(|rest| rest.strip_suffix("/tags/list")) else {
            let location = format!("{real}{}", request.path);
            return Reply::Full {
                status: "307 Temporary Redirect",
                headers: vec![("Location".into(), location)],
                body: vec![],
            };
        };
        let listed: serde_json::Value = serde_json::from_str(
            &ureq::get(&format!("{real}{path}")).call().unwrap().into_body().read_to_string().unwrap(),
        )
        .unwrap();
        let mut tags: Vec<String> =
            listed["tags"].as_array().unwrap().iter().map(|tag| tag.as_str().unwrap().to_string()).collect();
        tags.sort();
        let last = query.split('&').find_map(|pair| pair.strip_prefix("last=")).unwrap_or("");
        let rest: Vec<&String> = tags.iter().filter(|tag| tag.as_str() > last).collect();
        let page: Vec<&String> = rest.iter().take(2).copied().collect();
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if rest.len() > page.len() {
            let next = format!("</v2/{name}/tags/list?n=2&last={}>; rel=\"next\"", page.last().unwrap());
            headers.push(("Link".into(), next));
        }
        let body = serde_json::json!({"name": name, "tags": page}).to_string().into_bytes();
        Reply::Full { status: "200 OK", headers, body }
    })
}

#[test]
fn a_range_resolves_from_every_page_of_the_tags() {
    let Some(registry) = Registry::start(Setup::default()) else { return };
    let mut pushed = std::collections::BTreeMap::new();
    for version in ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "2.0.0"] {
        pushed.insert(version, registry.push(version, None).0);
    }
    let front = paging_front(&registry);
    let source = format!("oci://{}/charts", front.url().trim_start_matches("http://"));
    // Pages of two: [1.0.0 1.1.0] [1.2.0 1.3.0] [2.0.0]; the newest of ^1 is on the second.
    let hld = Hld::new(&source, "    path: web\n    version: ^1\n    plainHttp: true\n");
    hld.run(&["generate"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.3.0");
    assert!(hld.lock().contains(&format!("sha256:{}", pushed["1.3.0"])), "{}", hld.lock());
    let pages: Vec<String> =
        front.recorded().into_iter().map(|request| request.path).filter(|path| path.contains("/tags/list")).collect();
    assert_eq!(
        pages,
        [
            "/v2/charts/web/tags/list",
            "/v2/charts/web/tags/list?n=2&last=1.1.0",
            "/v2/charts/web/tags/list?n=2&last=1.3.0"
        ]
    );

    hld.component(&source, "    path: web\n    version: ^2\n    plainHttp: true\n");
    hld.run(&["generate"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "2.0.0");
}

#[test]
fn a_digest_names_one_manifest() {
    let Some(registry) = Registry::start(Setup::default()) else { return };
    let (sha, digest) = registry.push("1.2.3", None);
    registry.push("1.2.4", None);
    let source = format!("oci://{}/charts", registry.host);
    let hld = Hld::new(&source, &format!("    path: web@{digest}\n"));
    hld.run(&["generate"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.2.3");
    assert!(hld.lock().contains(&format!("sha256:{sha}")), "{}", hld.lock());

    // A version beside the digest must be the one the digest names.
    hld.component(&source, &format!("    path: web@{digest}\n    version: ^1.2.4\n"));
    hld.run(&["generate"], &[]).assert_code(2).assert_stderr_contains("does not allow");
    let missing = format!("sha256:{}", "0".repeat(64));
    hld.component(&source, &format!("    path: web@{missing}\n"));
    hld.run(&["generate"], &[]).assert_code(2).assert_stderr_contains("not found");
}

#[test]
fn a_private_registry_gets_the_token_only_when_the_pipeline_allows_it() {
    let Some(registry) = Registry::start(Setup { private: true, ..Setup::default() }) else { return };
    let (sha, _) = registry.push("1.2.0", None);
    let source = format!("oci://{}/charts", registry.host);
    // A range: the tag list goes through the registry's authentication too.
    let hld = Hld::new(&source, "    path: web\n    version: ~1.2\n");
    write_files(&hld.root(), &[("access.yaml", &format!("{source}: REGISTRY_TOKEN\n"))]);
    let env = [("REGISTRY_TOKEN", TOKEN)];

    let refused = hld.run(&["generate"], &env).assert_code(2);
    refused.assert_stderr_contains("HTTP 401");
    assert!(!refused.stderr.contains(TOKEN));

    let allowed = hld.run(&["generate", "--allow-token", &format!("REGISTRY_TOKEN={source}")], &env).assert_code(0);
    assert!(!allowed.stderr.contains(TOKEN) && !hld.lock().contains(TOKEN));
    assert_eq!(hld.rendered_version(), "1.2.0");
    assert!(hld.lock().contains(&format!("sha256:{sha}")));
}

/// A CA and a certificate for 127.0.0.1 it signed, made with the openssl command line.
fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect(
            "the TLS registry test needs the openssl command (Debian's openssl package), or HLDC_SKIP_REGISTRY_TESTS=1",
        );
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    openssl(
        &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]
            .iter()
            .copied()
            .chain(["-subj", "/CN=hldc test CA"])
            .collect::<Vec<_>>(),
    );
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.cnf",
    ]);
    (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"))
}

#[test]
fn a_registry_with_a_private_ca_is_trusted_with_ca_file() {
    if registry_binary().is_none() {
        return;
    }
    let certificates = tempfile::tempdir().unwrap();
    let (ca, certificate, key) = test_ca(certificates.path());
    let Some(registry) = Registry::start(Setup { tls: Some((certificate, key)), ..Setup::default() }) else { return };
    let (sha, _) = registry.push("1.4.0", Some(&ca));
    let hld = Hld::new(&format!("oci://{}/charts", registry.host), "    path: web\n    version: ^1\n");

    hld.run(&["generate"], &[]).assert_code(2).assert_stderr_contains("--ca-file");
    hld.component(&format!("oci://{}/charts", registry.host), "    path: web\n    version: 1.4.0\n");
    hld.run(&["generate"], &[]).assert_code(2).assert_stderr_contains("--ca-file");

    hld.component(&format!("oci://{}/charts", registry.host), "    path: web\n    version: ^1\n");
    hld.run(&["generate", "--ca-file", ca.to_str().unwrap()], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.4.0");
    assert!(hld.lock().contains(&format!("sha256:{sha}")));
}

/// An address of this machine that is not loopback: the one it would reach a documentation
/// address (TEST-NET-2) from. Connecting a UDP socket sends nothing. `None` only when told to
/// skip without one.
fn non_loopback_address() -> Option<IpAddr> {
    let found = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|socket| socket.connect("198.51.100.1:9").and_then(|()| socket.local_addr()))
        .ok()
        .map(|address| address.ip())
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    if found.is_none() && std::env::var("HLDC_SKIP_REGISTRY_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: this machine has no address but loopback, and HLDC_SKIP_REGISTRY_TESTS=1");
        return None;
    }
    assert!(found.is_some(), "no non-loopback address to serve a registry on; HLDC_SKIP_REGISTRY_TESTS=1 skips this");
    found
}

#[test]
fn plain_http_off_this_machine_must_be_declared() {
    let Some(address) = non_loopback_address() else { return };
    let Some(registry) = Registry::start(Setup { address: Some(address), ..Setup::default() }) else { return };
    registry.push("1.0.0", None);
    let source = format!("oci://{}/charts", registry.host);
    let hld = Hld::new(&source, "    path: web\n    version: 1.0.0\n");
    hld.run(&["generate"], &[]).assert_code(2).assert_stderr_contains("plainHttp: true");

    hld.component(&source, "    path: web\n    version: ^1\n    plainHttp: true\n");
    hld.run(&["generate"], &[]).assert_code(0);
    assert_eq!(hld.rendered_version(), "1.0.0");
}

#[test]
fn no_token_goes_to_a_plain_http_registry_off_this_machine() {
    let Some(address) = non_loopback_address() else { return };
    let setup = Setup { address: Some(address), private: true, ..Setup::default() };
    let Some(registry) = Registry::start(setup) else { return };
    registry.push("1.0.0", None);
    let source = format!("oci://{}/charts", registry.host);
    let hld = Hld::new(&source, "    path: web\n    version: 1.0.0\n    plainHttp: true\n");
    write_files(&hld.root(), &[("access.yaml", &format!("{source}: REGISTRY_TOKEN\n"))]);
    let run = hld.run(&["generate", "--allow-token", "REGISTRY_TOKEN"], &[("REGISTRY_TOKEN", TOKEN)]);
    run.assert_code(2).assert_stderr_contains("hldc::fetch::auth").assert_stderr_contains("credential not found");
}

#[test]
fn a_plain_http_registry_serves_the_dependencies_on_it_too() {
    let Some(address) = non_loopback_address() else { return };
    let Some(registry) = Registry::start(Setup { address: Some(address), ..Setup::default() }) else { return };
    registry.push("1.0.0", None);
    let dependency = format!(
        "apiVersion: v2\nname: app\nversion: 2.0.0\ndependencies:\n  - name: web\n    version: 1.0.0\n    repository: oci://{}/charts\n",
        registry.host
    );
    // Packaged by hand: `helm package` refuses a dependency missing from charts/.
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("app-2.0.0.tgz");
    std::fs::write(&archive, fetch_support::tgz(&[("app/Chart.yaml", dependency.as_bytes())])).unwrap();
    registry.push_archive(&archive, None);
    let source = format!("oci://{}/charts", registry.host);
    let hld = Hld::new(&source, "    path: app\n    version: 2.0.0\n    plainHttp: true\n");
    hld.run(&["generate"], &[]).assert_code(0);
    // The ConfigMap is the dependency's.
    assert_eq!(hld.rendered_version(), "1.0.0");
    let lock = hld.lock();
    assert!(lock.contains("app") && lock.contains("web"), "{lock}");
}

#[test]
fn a_pinned_oci_chart_comes_from_the_shared_cache_when_its_registry_is_gone() {
    let Some(charts) = Registry::start(Setup::default()) else { return };
    let Some(shared) = Registry::start(Setup::default()) else { return };
    let (sha, _) = charts.push("1.2.3", None);
    let source = format!("oci://{}/charts", charts.host);
    let remote = format!("oci://{}/hldc/cache", shared.host);
    let first = Hld::new(&source, "    path: web\n    version: ^1\n");
    first
        .run(&["generate", "-v", "--cache-remote", &remote], &[])
        .assert_code(0)
        .assert_stderr_contains("0 sources pulled, 1 pushed");

    drop(charts);
    let second = Hld::new(&source, "    path: web\n    version: ^1\n");
    write_files(&second.root(), &[("hldc.lock", &first.lock())]);
    let run = second.run(&["generate", "-v", "--locked", "--cache-remote", &remote], &[]).assert_code(0);
    run.assert_stderr_contains("1 sources pulled, 0 pushed");
    assert_eq!(second.rendered_version(), "1.2.3");
    assert!(second.lock().contains(&format!("sha256:{sha}")));
}
