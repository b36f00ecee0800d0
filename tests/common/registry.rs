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

impl Registry {
    /// The tags of `repository`, as the registry lists them.
    pub fn tags(&self, repository: &str) -> Vec<String> {
        let url = format!("http://{}/v2/{repository}/tags/list", self.host);
        let body = ureq::get(&url).call().expect("list tags").into_body().read_to_string().unwrap();
        let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
        listed["tags"].as_array().into_iter().flatten().map(|tag| tag.as_str().unwrap().to_string()).collect()
    }

    /// Stores `bytes` under `repository:tag` as hldc stores a shared cache entry (one layer of
    /// hldc's media type): what a poisoned or careless registry could hold.
    pub fn put_entry(&self, repository: &str, tag: &str, bytes: &[u8]) {
        let config = self.put_blob(repository, b"{}");
        let layer = self.put_blob(repository, bytes);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.hldc.cache.v1+type",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
            "layers": [{"mediaType": "application/vnd.hldc.cache.v1", "digest": layer, "size": bytes.len()}],
        });
        ureq::put(&format!("http://{}/v2/{repository}/manifests/{tag}", self.host))
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .send(manifest.to_string().as_bytes())
            .expect("put the manifest");
    }

    fn put_blob(&self, repository: &str, bytes: &[u8]) -> String {
        use sha2::Digest;
        let digest = format!("sha256:{:x}", sha2::Sha256::digest(bytes));
        let started = ureq::post(&format!("http://{}/v2/{repository}/blobs/uploads/", self.host))
            .send_empty()
            .expect("start a blob upload");
        let location = started.headers().get("Location").unwrap().to_str().unwrap().to_string();
        let location = if location.starts_with('/') { format!("http://{}{location}", self.host) } else { location };
        let separator = if location.contains('?') { '&' } else { '?' };
        ureq::put(&format!("{location}{separator}digest={digest}")).send(bytes).expect("upload a blob");
        digest
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
