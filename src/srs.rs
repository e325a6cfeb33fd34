//! k → [`Srs`] (`kzg<k>.srs`): the KZG structured reference string. `gen_srs` makes a local one
//! (insecure: this machine knows its secret, fine for tests and the embedded default);
//! `get_srs` downloads a ceremony SRS, checks its SHA-256 and caches it.

use std::io::{BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::SeedableRng;
use sha2::{Digest, Sha256};

use crate::encoding::hex;

/// The default download location of ceremony SRS files (Perpetual Powers of Tau, converted to
/// halo2's format); `{k}` is replaced by the log2 of the size.
pub const DEFAULT_SRS_URL: &str =
    "https://trusted-setup-halo2kzg.s3.eu-central-1.amazonaws.com/perpetual-powers-of-tau-raw-{k}";

#[derive(Debug, thiserror::Error)]
pub enum SrsError {
    #[error("cannot read SRS {path}: {source}. Make one with `idol gen-srs --logrows K` or download one with `idol get-srs`.")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid KZG SRS ({reason}). Delete it and run `idol gen-srs` or `idol get-srs` again.")]
    Corrupt { path: String, reason: String },
    #[error("no SRS at {path}. Make a local (insecure) one with `idol gen-srs --logrows {k} --srs-path {path}`, or fetch the ceremony's with `idol get-srs --logrows {k}`.")]
    Missing { path: String, k: u32 },
    #[error("{path} holds 2^{got} points but the circuit needs 2^{need}. Use `idol gen-srs --logrows {need}` or `idol get-srs --logrows {need}`.")]
    TooSmall { path: String, got: u32, need: u32 },
    #[error("downloading {url} failed: {reason}. Check the URL (--srs-url) and the network, or use `idol gen-srs` for a local, insecure SRS.")]
    Download { url: String, reason: String },
    #[error("{url} has SHA-256 {got}, expected {expected}: the file is not the SRS you asked for (or is damaged). Nothing was cached.")]
    Hash {
        url: String,
        expected: String,
        got: String,
    },
}

/// A loaded SRS, where it came from, and its identity at this size.
#[derive(Debug, Clone)]
pub struct Srs {
    pub params: ParamsKZG<Bn256>,
    pub path: PathBuf,
    /// SHA-256 of the parameters at their (possibly downsized) size: keys record it, so a key
    /// is never used with another SRS (see [`params_digest`]).
    pub digest: String,
    /// Where a ceremony SRS came from (`URL sha256`, recorded beside the file by [`get_srs`]);
    /// None for a local SRS, or a file of unknown origin: whoever made it may know its secret.
    pub ceremony: Option<String>,
}

impl Srs {
    /// The sidecar file recording a ceremony SRS's origin.
    pub fn source_file(path: &Path) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(".source");
        PathBuf::from(name)
    }

    /// The SRS serves circuits of up to 2^k rows.
    pub fn k(&self) -> u32 {
        self.params.k()
    }

    /// Parameters read or made elsewhere, with their digest.
    pub fn new(params: ParamsKZG<Bn256>, path: PathBuf) -> Self {
        let digest = params_digest(&params);
        let ceremony = std::fs::read_to_string(Self::source_file(&path))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Self {
            params,
            path,
            digest,
            ceremony,
        }
    }
}

/// SHA-256 of the parameters as halo2 writes them (k, the G1 powers and their Lagrange form,
/// G2 and τ·G2). A ceremony file downsized to 2^k and the same ceremony's 2^k file agree.
pub(crate) fn params_digest(params: &ParamsKZG<Bn256>) -> String {
    struct Hasher(Sha256);
    impl std::io::Write for Hasher {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hasher(Sha256::new());
    params.write(&mut h).expect("hashing cannot fail");
    hex(h.0.finalize())
}

/// Conventional file name.
pub fn srs_file_name(k: u32) -> String {
    format!("kzg{k}.srs")
}

/// Make a local SRS of size 2^k and write it. **Insecure**: its secret existed on this machine.
pub fn gen_srs(k: u32, path: impl AsRef<Path>) -> Result<Srs, SrsError> {
    let path = path.as_ref();
    let params = ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::from_entropy());
    // A local SRS replaces whatever was there, ceremony record included.
    let _ = std::fs::remove_file(Srs::source_file(path));
    write_params(&params, path)?;
    Ok(Srs::new(params, path.to_owned()))
}

fn write_params(params: &ParamsKZG<Bn256>, path: &Path) -> Result<(), SrsError> {
    let io = |source| SrsError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("srs.partial");
    let mut w = BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    params.write(&mut w).map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(io)
}

fn parse(bytes: &[u8], path: &str) -> Result<ParamsKZG<Bn256>, SrsError> {
    let corrupt = |reason: String| SrsError::Corrupt {
        path: path.into(),
        reason,
    };
    if bytes.len() < 4 {
        return Err(corrupt("file too short".into()));
    }
    let k = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if k == 0 || k > 28 {
        return Err(corrupt(format!("header says 2^{k} points")));
    }
    // g (2^k G1) + g_lagrange (2^k G1) + g2 + s_g2, uncompressed-unchecked: 64 B per G1, 128 per G2.
    let expected = 4 + 2 * (64usize << k) + 2 * 128;
    if bytes.len() != expected {
        return Err(corrupt(format!(
            "{} bytes, 2^{k} points need {expected}",
            bytes.len()
        )));
    }
    let params = ParamsKZG::<Bn256>::read(&mut &bytes[..]).map_err(|e| corrupt(e.to_string()))?;
    // The points were read unchecked: check a few are on the curve.
    use halo2_proofs::halo2curves::CurveAffine;
    let g = params.get_g();
    for p in [&g[0], &g[g.len() / 2], &g[g.len() - 1]] {
        if !bool::from(p.is_on_curve()) {
            return Err(corrupt("points are not on BN254".into()));
        }
    }
    Ok(params)
}

/// Load an SRS and shrink it to 2^k if it is larger.
pub fn load_srs(path: impl AsRef<Path>, k: u32) -> Result<Srs, SrsError> {
    let path = path.as_ref();
    let p = path.display().to_string();
    let mut bytes = Vec::new();
    BufReader::new(std::fs::File::open(path).map_err(|source| SrsError::Io {
        path: p.clone(),
        source,
    })?)
    .read_to_end(&mut bytes)
    .map_err(|source| SrsError::Io {
        path: p.clone(),
        source,
    })?;
    let mut params = parse(&bytes, &p)?;
    if params.k() < k {
        return Err(SrsError::TooSmall {
            path: p,
            got: params.k(),
            need: k,
        });
    }
    if params.k() > k {
        params.downsize(k);
    }
    Ok(Srs::new(params, path.to_owned()))
}

/// Download the SRS for 2^k from `url_template` (`{k}` is replaced), check its SHA-256 against
/// `expected_sha256` when given, and cache it as `cache_dir/kzg<k>.srs`. A cached file with the
/// right hash is reused without downloading.
pub fn get_srs(
    url_template: &str,
    k: u32,
    expected_sha256: Option<&str>,
    cache_dir: impl AsRef<Path>,
) -> Result<(Srs, String), SrsError> {
    let cache_dir = cache_dir.as_ref();
    let path = cache_dir.join(srs_file_name(k));
    if let (Ok(bytes), Some(want)) = (std::fs::read(&path), expected_sha256) {
        let got = hex(Sha256::digest(&bytes));
        if got.eq_ignore_ascii_case(want) {
            let mut params = parse(&bytes, &path.display().to_string())?;
            if params.k() > k {
                params.downsize(k);
            }
            return Ok((Srs::new(params, path), got));
        }
    }
    let url = url_template.replace("{k}", &k.to_string());
    let fail = |reason: String| SrsError::Download {
        url: url.clone(),
        reason,
    };
    let resp = ureq::get(&url).call().map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    resp.into_reader()
        .take(1 << 31)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    let got = hex(Sha256::digest(&bytes));
    if let Some(want) = expected_sha256 {
        if !got.eq_ignore_ascii_case(want) {
            return Err(SrsError::Hash {
                url,
                expected: want.to_lowercase(),
                got,
            });
        }
    }
    let mut params = parse(&bytes, &url)?;
    if params.k() < k {
        return Err(SrsError::TooSmall {
            path: url,
            got: params.k(),
            need: k,
        });
    }
    if params.k() > k {
        params.downsize(k);
    }
    std::fs::create_dir_all(cache_dir).map_err(|source| SrsError::Io {
        path: cache_dir.display().to_string(),
        source,
    })?;
    let tmp = path.with_extension("srs.partial");
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .and_then(|_| std::fs::write(Srs::source_file(&path), format!("{url} sha256:{got}\n")))
        .map_err(|source| SrsError::Io {
            path: path.display().to_string(),
            source,
        })?;
    Ok((Srs::new(params, path), got))
}
