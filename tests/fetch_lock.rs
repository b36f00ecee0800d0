//! Lock file text: round trips and byte stability.

use hldc::fetch::{GitRef, Lockfile, SourceSpec};
use hldc::yaml::write::scalar;

const C1: &str = "1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b";
const C2: &str = "ffeeddccbbaa99887766554433221100ffeeddcc";
const S1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const S2: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn git(url: &str, r: &str, c: &str) -> String {
    format!("  - url: {}\n    ref: {}\n    commit: {}\n", scalar(url), scalar(r), scalar(c))
}

fn helm(repo: &str, chart: &str, constraint: &str, version: &str, sha: &str) -> String {
    format!(
        "  - repository: {repo}\n    chart: {chart}\n    constraint: \"{constraint}\"\n    version: {}\n    digest: sha256:{sha}\n",
        scalar(version)
    )
}

fn http(url: &str, sha: &str) -> String {
    format!("  - url: {url}\n    sha256: {sha}\n")
}

fn entries() -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        vec![
            git("https://github.com/org/repo", "main", C1),
            git("https://github.com/org/repo", "HEAD", C2),
            git("/srv/git/local", "v1.0.0", C1),
            git("git@github.com:org/ssh.git", "1a2b3c4", C1),
        ],
        vec![
            helm("https://charts.example.com", "nginx", "^1.2", "1.2.3", S1),
            helm("https://charts.example.com", "nginx", "", "2.0.0", S2),
            helm("oci://ghcr.io/org/charts", "app", "1.0.0", "1.0.0", S2),
            helm("https://a.example.com/charts", "zeta", ">=1.0 <2.0", "1.5.0", S1),
        ],
        vec![http("https://example.com/x.yaml", S1), http("https://example.com/a.yaml", S2)],
    )
}

fn text(git: &[String], helm: &[String], http: &[String], helm_first: bool) -> String {
    let mut out = String::from("version: 1\n");
    let sections = [("git", git), ("helm", helm), ("http", http)];
    let order: Vec<usize> = if helm_first { vec![2, 1, 0] } else { vec![0, 1, 2] };
    for i in order {
        let (name, list) = sections[i];
        out.push_str(&format!("{name}:\n"));
        for e in list {
            out.push_str(e);
        }
    }
    out
}

#[test]
fn render_is_byte_stable_regardless_of_order() {
    let (git, helm, http) = entries();
    let a = Lockfile::parse(&text(&git, &helm, &http, false)).unwrap();
    let (mut git_r, mut helm_r, mut http_r) = (git.clone(), helm.clone(), http.clone());
    git_r.reverse();
    helm_r.rotate_left(1);
    http_r.reverse();
    let b = Lockfile::parse(&text(&git_r, &helm_r, &http_r, true)).unwrap();
    assert_eq!(a, b);
    let rendered = a.render();
    assert_eq!(rendered, b.render());
    // Round trip: parse(render) renders to the same bytes.
    let again = Lockfile::parse(&rendered).unwrap();
    assert_eq!(again, a);
    assert_eq!(again.render(), rendered);
    assert!(!again.is_changed());

    let expected = format!(
        "# hldc.lock: written by hldc; commit it; edit with `hldc update`\nversion: 1\ngit:\n{}{}{}{}helm:\n{}{}{}{}http:\n{}{}",
        git[2], git[3], git[1], git[0],
        helm[3], helm[1], helm[0], helm[2],
        http[1], http[0],
    );
    assert_eq!(rendered, expected);
}

#[test]
fn forget_removes_exactly_one_entry() {
    let (git, helm, http) = entries();
    let mut lock = Lockfile::parse(&text(&git, &helm, &http, false)).unwrap();
    let before = lock.clone();
    assert!(lock.forget(&SourceSpec::Git {
        url: "https://github.com/org/repo".into(),
        reference: GitRef::Branch("main".into())
    }));
    assert!(lock.forget(&SourceSpec::Oci {
        reference: "oci://ghcr.io/org/charts/app".into(),
        constraint: "1.0.0".into(),
        plain_http: false
    }));
    assert!(lock.forget(&SourceSpec::HelmRepo {
        repository: "https://charts.example.com/".into(),
        chart: "nginx".into(),
        constraint: "^1.2".into()
    }));
    assert!(!lock.forget(&SourceSpec::Http { url: "https://example.com/other.yaml".into() }));
    assert_eq!(lock.len(), before.len() - 3);
    assert!(lock.is_changed());
    assert_eq!(lock.describe_changes(&before).len(), 3);
    assert!(!lock.render().contains("ref: main"));
    assert!(lock.render().contains("ref: HEAD"));
}

#[test]
fn empty_lists_are_omitted_and_files_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hldc.lock");
    let missing = Lockfile::load(&path).unwrap();
    assert!(missing.is_empty());
    let (_, _, http) = entries();
    let lock = Lockfile::parse(&text(&[], &[], &http, false)).unwrap();
    lock.save(&path).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("git:"));
    assert!(!saved.contains("helm:"));
    assert_eq!(Lockfile::load(&path).unwrap(), lock);
    assert_eq!(saved, lock.render());
}

#[test]
fn odd_strings_are_quoted_and_survive() {
    let weird = "https://example.com/a b/#x: y";
    let t = format!(
        "version: 1\nhttp:\n  - url: \"{weird}\"\n    sha256: {S1}\ngit:\n  - url: \"yes\"\n    ref: \"1.0\"\n    commit: {C1}\n"
    );
    let lock = Lockfile::parse(&t).unwrap();
    let rendered = lock.render();
    assert!(rendered.contains(&format!("url: \"{weird}\"")), "{rendered}");
    assert!(rendered.contains("url: \"yes\"\n    ref: \"1.0\"\n"), "{rendered}");
    assert!(Lockfile::parse(
        "version: 1\ngit:\n  - url: u\n    ref: \"1234567\"\n    commit: 1234567890123456789012345678901234567890\n"
    )
    .unwrap()
    .render()
    .contains("ref: \"1234567\"\n    commit: \"1234567890123456789012345678901234567890\"\n"));
    assert_eq!(Lockfile::parse(&rendered).unwrap(), lock);
    assert_eq!(
        lock.pin(&SourceSpec::Git { url: "yes".into(), reference: GitRef::Version("1.0".into()) }).as_deref(),
        Some(C1)
    );
}

#[test]
fn invalid_lock_files_are_rejected() {
    for bad in [
        "version: 2\n",
        "version: 1\ngit:\n  - url: u\n    ref: r\n    commit: XYZ\n",
        "version: 1\nhelm:\n  - repository: r\n    chart: c\n    constraint: \"\"\n    version: 1.0.0\n    digest: md5:abc\n",
        "version: 1\nhttp:\n  - url: u\n",
        "git: [",
    ] {
        assert!(Lockfile::parse(bad).is_err(), "{bad}");
    }
}
