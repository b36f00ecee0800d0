//! A real OCI registry on 127.0.0.1 (Debian's `docker-registry`, distribution 2.8, which
//! `scripts/install-tools` installs): storage in a temporary directory, stopped when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Registry {
    child: Child,
    _storage: tempfile::TempDir,
    pub host: String,
}

/// The registry binary, or a loud failure: a test that needs it never passes without it.
fn binary() -> PathBuf {
    let installed = Path::new("/usr/bin/docker-registry");
    assert!(
        installed.exists(),
        "no OCI registry: this test needs Debian's docker-registry (run scripts/install-tools as root, or `apt-get install docker-registry`)"
    );
    installed.to_path_buf()
}

impl Registry {
    pub fn start() -> Registry {
        let binary = binary();
        let storage = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let host = format!("127.0.0.1:{port}");
        let config = storage.path().join("config.yml");
        let data = storage.path().join("data");
        std::fs::write(
            &config,
            format!("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n", data.display()),
        )
        .unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = Registry { child, _storage: storage, host };
        let started = Instant::now();
        while std::net::TcpStream::connect(&registry.host).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the registry did not start on {}", registry.host);
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
