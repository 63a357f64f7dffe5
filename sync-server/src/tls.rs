//! HTTPS served by the server itself (`serve --tls-cert --tls-key`): a tablet's browser runs the
//! field app as an installable, offline web app only in a secure context, which
//! `http://192.168.…` is not. Behind a reverse proxy that ends TLS, neither flag is given.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{Context, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The TLS settings for a certificate chain and its private key, both PEM files (the chain
/// leaf first, as certbot's `fullchain.pem`). HTTP/1.1 only, as the server speaks.
pub fn server_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading the certificate {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("the certificate {} is not PEM", cert.display()))?;
    if chain.is_empty() {
        bail!("{} holds no certificate", cert.display());
    }
    // The key's contents never reach an error message.
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("reading the private key {}: {}", key.display(), brief(&e)))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and the private key do not belong together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificate served and the files it came from. A certificate is renewed every few months
/// (certbot's every 60 days): `reload` reads the files again (the server does on SIGHUP), and
/// connections accepted afterwards get the new one while open ones carry on.
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<rustls::ServerConfig>>,
}

/// The files only: nothing of the key reaches a log.
impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("cert", &self.cert).field("key", &self.key).finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads the chain and key (see [`server_config`]).
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Tls> {
        let current = RwLock::new(server_config(cert, key)?);
        Ok(Tls { cert: cert.to_path_buf(), key: key.to_path_buf(), current })
    }

    /// The settings a connection accepted now is served with.
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        self.current.read().map(|c| c.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Reads the files again; on any error the certificate in use stays, and the error says why.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = server_config(&self.cert, &self.key)?;
        match self.current.write() {
            Ok(mut current) => *current = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        Ok(())
    }
}

fn brief(error: &rustls::pki_types::pem::Error) -> &'static str {
    use rustls::pki_types::pem::Error;
    match error {
        Error::NoItemsFound => "no private key in it",
        Error::Io(_) => "cannot be read",
        _ => "not a PEM private key",
    }
}

/// Installs rustls's crypto provider (ring) once per process, before any TLS client is built.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
