//! Test helpers: a tiny static HTTP server, chart archives, git repositories.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// HTTP server

/// A static file server on 127.0.0.1:<random port>, serving `root`. Stops
/// when dropped (or after 5 minutes at most).
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    requests: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        Self::start_with_token(root, None)
    }

    /// When `token` is set, requests without `Authorization: Bearer <token>` get 401.
    pub fn start_with_token(root: &Path, token: Option<&str>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let root = root.to_path_buf();
        let token = token.map(str::to_string);
        let handle = {
            let stop = stop.clone();
            let requests = requests.clone();
            let paths = paths.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(300);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            requests.fetch_add(1, Ordering::SeqCst);
                            let _ = handle_connection(stream, &root, token.as_deref(), &paths);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Server { addr, stop, handle: Some(handle), requests, paths }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn handle_connection(
    stream: TcpStream,
    root: &Path,
    token: Option<&str>,
    paths: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorized = token.is_none();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let (Some(t), Some((name, value))) = (token, line.split_once(':')) {
            if name.trim().eq_ignore_ascii_case("authorization") && value.trim() == format!("Bearer {t}") {
                authorized = true;
            }
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    paths.lock().unwrap().push(path.clone());
    let path = path.split('?').next().unwrap_or("").trim_start_matches('/').to_string();
    let mut stream = stream;
    if !authorized {
        return respond(&mut stream, "401 Unauthorized", b"unauthorized");
    }
    if path.split('/').any(|p| p == "..") {
        return respond(&mut stream, "403 Forbidden", b"no");
    }
    let file = root.join(&path);
    match std::fs::read(&file) {
        Ok(bytes) if file.is_file() => respond(&mut stream, "200 OK", &bytes),
        _ => respond(&mut stream, "404 Not Found", b"not found"),
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    // Drain anything left so the client does not see a reset.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 512];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = stream.read(&mut sink);
    Ok(())
}

// ---------------------------------------------------------------------------
// Chart archives and repositories

pub struct Dep<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub repository: &'a str,
}

/// A .tgz chart archive `<name>/{Chart.yaml,values.yaml,templates/cm.yaml}`.
pub fn chart_tgz(name: &str, version: &str, deps: &[Dep<'_>]) -> Vec<u8> {
    let mut chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: {version}\n");
    if !deps.is_empty() {
        chart_yaml.push_str("dependencies:\n");
        for d in deps {
            chart_yaml.push_str(&format!(
                "  - name: {}\n    version: \"{}\"\n    repository: \"{}\"\n",
                d.name, d.version, d.repository
            ));
        }
    }
    let files = [
        (format!("{name}/Chart.yaml"), chart_yaml),
        (format!("{name}/values.yaml"), "replicas: 1\n".to_string()),
        (
            format!("{name}/templates/cm.yaml"),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  version: \"{version}\"\n"),
        ),
    ];
    tgz(&files.iter().map(|(p, c)| (p.as_str(), c.as_bytes())).collect::<Vec<_>>())
}

/// A deterministic .tgz of regular files.
pub fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(enc);
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// A .tgz with one raw entry whose name is written as is (bypassing the tar
/// crate's own path checks), after a normal Chart.yaml.
pub fn evil_tgz(raw_name: &str, kind: tar::EntryType, link: Option<&str>) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(enc);
    let chart = b"apiVersion: v2\nname: evil\nversion: 1.0.0\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(chart.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, "evil/Chart.yaml", &chart[..]).unwrap();

    let body = b"pwned\n";
    let mut header = tar::Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name = [0; 100];
        gnu.name[..raw_name.len()].copy_from_slice(raw_name.as_bytes());
        if let Some(link) = link {
            gnu.linkname = [0; 100];
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
    }
    header.set_mode(0o644);
    header.set_entry_type(kind);
    let size = if kind == tar::EntryType::Regular { body.len() } else { 0 };
    header.set_size(size as u64);
    header.set_cksum();
    builder.append(&header, &body[..size]).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

/// One chart version in a test repository.
pub struct RepoChart {
    pub name: String,
    pub version: String,
    pub bytes: Vec<u8>,
}

impl RepoChart {
    pub fn new(name: &str, version: &str, deps: &[Dep<'_>]) -> Self {
        RepoChart { name: name.into(), version: version.into(), bytes: chart_tgz(name, version, deps) }
    }

    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }
}

/// Write the archives and an `index.yaml` (relative URLs, sha256 digests)
/// into `dir`.
pub fn write_repo(dir: &Path, charts: &[RepoChart]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut index = String::from("apiVersion: v1\nentries:\n");
    let mut names: Vec<&str> = charts.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    for name in names {
        index.push_str(&format!("  {name}:\n"));
        for c in charts.iter().filter(|c| c.name == name) {
            std::fs::write(dir.join(c.file_name()), &c.bytes).unwrap();
            index.push_str(&format!(
                "    - apiVersion: v2\n      name: {name}\n      version: {}\n      digest: {}\n      urls:\n        - {}\n",
                c.version,
                c.sha256(),
                c.file_name()
            ));
        }
    }
    index.push_str("generated: \"2024-01-01T00:00:00Z\"\n");
    std::fs::write(dir.join("index.yaml"), index).unwrap();
}

// ---------------------------------------------------------------------------
// Git repositories

pub struct TestRepo {
    pub dir: PathBuf,
    pub repo: git2::Repository,
}

fn signature() -> git2::Signature<'static> {
    git2::Signature::new("Test", "test@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap()
}

impl TestRepo {
    pub fn init(dir: &Path) -> TestRepo {
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let repo = git2::Repository::init_opts(dir, &opts).unwrap();
        TestRepo { dir: dir.to_path_buf(), repo }
    }

    /// Write `files` and commit them on the current branch; returns the sha.
    pub fn commit(&self, message: &str, files: &[(&str, &str)]) -> String {
        for (path, content) in files {
            let p = self.dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None).unwrap();
        index.write().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        let sig = signature();
        let parents: Vec<git2::Commit<'_>> = match self.repo.head() {
            Ok(head) => vec![head.peel_to_commit().unwrap()],
            Err(_) => vec![],
        };
        let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let oid = self.repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs).unwrap();
        oid.to_string()
    }

    /// Create branch `name` at the current commit and check it out.
    pub fn checkout_new_branch(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.branch(name, &head, false).unwrap();
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
    }

    pub fn checkout_branch(&self, name: &str) {
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
        self.repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).unwrap();
    }

    pub fn tag_lightweight(&self, name: &str, sha: &str) {
        let obj = self.repo.find_object(git2::Oid::from_str(sha).unwrap(), None).unwrap();
        self.repo.tag_lightweight(name, &obj, false).unwrap();
    }

    /// Returns the sha of the tag object (not of the commit).
    pub fn tag_annotated(&self, name: &str, sha: &str) -> String {
        let obj = self.repo.find_object(git2::Oid::from_str(sha).unwrap(), None).unwrap();
        self.repo.tag(name, &obj, &signature(), "release", false).unwrap().to_string()
    }

    pub fn file_url(&self) -> String {
        format!("file://{}", self.dir.display())
    }

    pub fn path_url(&self) -> String {
        self.dir.display().to_string()
    }
}

// ---------------------------------------------------------------------------
// A scripted HTTP server: each request answered by a closure, every request recorded

/// A request as the scripted server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// How the scripted server answers one request.
pub enum Reply {
    /// A complete response.
    Full { status: &'static str, headers: Vec<(String, String)>, body: Vec<u8> },
    /// `200 OK` with these headers, then `prefix`, then one byte of `drip` every 100 ms (or as
    /// fast as the client reads, when `fast`), until the client goes away or the server stops.
    Stream { headers: Vec<(String, String)>, prefix: Vec<u8>, drip: u8, fast: bool },
}

impl Reply {
    pub fn ok(body: &[u8]) -> Reply {
        Reply::Full { status: "200 OK", headers: Vec::new(), body: body.to_vec() }
    }
}

/// An HTTP server on 127.0.0.1:<random port> answering by a closure, one thread per
/// connection (so a stream does not block the others). Stops when dropped.
pub struct ScriptedServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    recorded: Arc<Mutex<Vec<Recorded>>>,
}

impl ScriptedServer {
    pub fn start(reply: impl Fn(&Recorded, &str) -> Reply + Send + Sync + 'static) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let stop = Arc::new(AtomicBool::new(false));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(reply);
        {
            let (stop, recorded) = (stop.clone(), recorded.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(300);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let (stop, recorded, reply, base) =
                                (stop.clone(), recorded.clone(), reply.clone(), base.clone());
                            std::thread::spawn(move || {
                                let _ = serve_scripted(stream, &stop, &recorded, &*reply, &base);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            });
        }
        ScriptedServer { addr, stop, recorded }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve_scripted(
    stream: TcpStream,
    stop: &AtomicBool,
    recorded: &Mutex<Vec<Recorded>>,
    reply: &dyn Fn(&Recorded, &str) -> Reply,
    base: &str,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let request = Recorded { path: request_line.split_whitespace().nth(1).unwrap_or("/").to_string(), headers };
    recorded.lock().unwrap().push(request.clone());
    let mut stream = stream;
    match reply(&request, base) {
        Reply::Full { status, headers, body } => {
            let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body)?;
            stream.flush()
        }
        Reply::Stream { headers, prefix, drip, fast } => {
            let mut head = "HTTP/1.1 200 OK\r\nConnection: close\r\n".to_string();
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.write_all(&prefix)?;
            let chunk = vec![drip; if fast { 64 * 1024 } else { 1 }];
            let deadline = Instant::now() + Duration::from_secs(300);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                stream.write_all(&chunk)?;
                if !fast {
                    stream.flush()?;
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            Ok(())
        }
    }
}
