//! An agency that leaves takes its data and leaves none behind (PDPA): `agency export` writes
//! everything of one agency into one ZIP file, `agency delete` removes it all.
//!
//! The export holds `agency.json` (the agency, its profile and years), `documents.json` and
//! `documents/ID.automerge` (each document whole, as Automerge saves it: any automerge-repo
//! can open it), `users.json` (without password hashes or second-factor secrets), `blobs.json`
//! and `blobs/SHA256` (the evidence files), `audit.json` (the audit log, oldest first) and
//! `settings.json` (its published reports, verification records, emblem and security rule).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use zip::write::SimpleFileOptions;

use crate::db::Database;
use crate::db::agency_scope::Removed;
use crate::db::store::Store;

/// The format an export declares in `agency.json`.
pub const EXPORT_FORMAT: &str = "prongsai-agency-export/1";

/// What an export holds, by count.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Exported {
    pub agency: String,
    pub documents: usize,
    pub users: usize,
    pub blobs: usize,
    pub audit_entries: usize,
    pub settings: usize,
    pub bytes: u64,
}

/// JSON text as a value (kept as a string when it is not JSON).
fn json_or_text(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

/// Writes everything of `agency` to `output` (a new file; built beside it and renamed when
/// complete). Refused when a document does not load: `verify` says more.
pub async fn export_agency(store: &Store, agency: &str, output: &Path) -> anyhow::Result<Exported> {
    let Some(row) = store.agency(agency.to_string()).await? else { bail!("no agency {agency:?}") };
    if output.exists() {
        bail!("{} already exists", output.display());
    }
    let partial = output.with_extension("partial");
    let file = std::fs::File::create(&partial).with_context(|| format!("creating {}", partial.display()))?;
    let written = write_export(store, &row, file).await;
    let finished = written.and_then(|summary| {
        std::fs::rename(&partial, output).with_context(|| format!("moving the export to {}", output.display()))?;
        Ok(Exported { bytes: std::fs::metadata(output)?.len(), ..summary })
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    finished
}

async fn write_export(store: &Store, row: &crate::db::AgencyRow, file: std::fs::File) -> anyhow::Result<Exported> {
    let agency = row.id.clone();
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let put = |zip: &mut zip::ZipWriter<_>, name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        zip.start_file(name, options)?;
        zip.write_all(bytes)?;
        Ok(())
    };
    let mut summary = Exported { agency: agency.clone(), ..Exported::default() };

    let years = store.year_rows(agency.clone()).await?;
    let profile = store.agency_profile(agency.clone()).await?.map(json_or_text);
    let about = serde_json::json!({
        "format": EXPORT_FORMAT,
        "exported_at": crate::app::now_ms(),
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at,
        "profile": profile,
        "years": years.iter().map(|y| serde_json::json!({
            "year": y.year, "closed": y.closed, "reason": y.reason, "changed_at": y.changed_at,
            "changed_by": y.changed_by, "continues": y.continues, "ita_result": y.ita_result.clone().map(json_or_text),
        })).collect::<Vec<_>>(),
    });
    put(&mut zip, "agency.json", &serde_json::to_vec_pretty(&about)?)?;

    let mut documents = Vec::new();
    for year in store.years_of(agency.clone()).await? {
        for doc in store.documents_of(agency.clone(), year).await? {
            let chunks = store.chunk_load_prefix(format!("{}/", doc.doc_id)).await?;
            let (loaded, faults) = crate::db::copy::load_chunks(&doc.doc_id, &chunks);
            if chunks.is_empty() || !faults.is_empty() {
                bail!(
                    "document {} does not load ({}): run `verify` for the whole story",
                    doc.doc_id,
                    faults.join("; ")
                );
            }
            let file = format!("documents/{}.automerge", doc.doc_id);
            put(&mut zip, &file, &loaded.save())?;
            let mut heads: Vec<String> = loaded.get_heads().iter().map(ToString::to_string).collect();
            heads.sort();
            documents.push(serde_json::json!({
                "id": doc.doc_id, "year": doc.year, "kind": doc.kind.as_str(), "division": doc.division,
                "heads": heads, "file": file,
            }));
        }
    }
    summary.documents = documents.len();
    put(&mut zip, "documents.json", &serde_json::to_vec_pretty(&documents)?)?;

    let users: Vec<serde_json::Value> = store
        .users_of_agency(agency.clone())
        .await?
        .into_iter()
        .map(|u| {
            serde_json::json!({
                "username": u.username, "display_name": u.display_name, "position": u.position,
                "division": u.division, "roles": u.roles.iter().map(|r| r.as_str().to_string()).collect::<Vec<_>>(),
                "disabled": u.disabled, "created_at": u.created_at, "second_factor": u.second_factor,
            })
        })
        .collect();
    summary.users = users.len();
    put(&mut zip, "users.json", &serde_json::to_vec_pretty(&users)?)?;

    let mut blobs = Vec::new();
    for sha256 in store.blob_keys(agency.clone()).await? {
        let Some(blob) = store.blob_get(agency.clone(), sha256.clone()).await? else { continue };
        let file = format!("blobs/{sha256}");
        put(&mut zip, &file, &blob.data)?;
        blobs.push(serde_json::json!({
            "sha256": sha256, "media_type": blob.media_type, "size": blob.data.len(), "file": file,
        }));
    }
    summary.blobs = blobs.len();
    put(&mut zip, "blobs.json", &serde_json::to_vec_pretty(&blobs)?)?;

    let mut audit = Vec::new();
    let mut before = None;
    loop {
        let page = store.audit_list(agency.clone(), before, 1000).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        audit.extend(page);
    }
    audit.reverse();
    summary.audit_entries = audit.len();
    put(&mut zip, "audit.json", &serde_json::to_vec_pretty(&audit)?)?;

    let settings: serde_json::Map<String, serde_json::Value> =
        store.agency_settings(agency.clone()).await?.into_iter().map(|(k, v)| (k, json_or_text(v))).collect();
    summary.settings = settings.len();
    put(&mut zip, "settings.json", &serde_json::to_vec_pretty(&settings)?)?;

    let mut out = zip.finish()?.into_inner().map_err(|e| anyhow::anyhow!("writing the export: {e}"))?;
    out.flush()?;
    out.sync_all()?;
    Ok(summary)
}

/// How much of an agency there is, for the confirmation.
pub async fn describe(store: &Store, agency: &str) -> anyhow::Result<String> {
    let Some(row) = store.agency(agency.to_string()).await? else { bail!("no agency {agency:?}") };
    let users = store.users_of_agency(agency.to_string()).await?.len();
    let mut documents = 0;
    let years = store.years_of(agency.to_string()).await?;
    for year in &years {
        documents += store.documents_of(agency.to_string(), *year).await?.len();
    }
    let blobs = store.blob_keys(agency.to_string()).await?.len();
    Ok(format!(
        "{} ({}): {users} users, {} years, {documents} documents, {blobs} evidence files, and its audit log",
        row.name,
        row.id,
        years.len()
    ))
}

/// Removes everything of `agency` in one transaction, then tells running servers (their
/// access decisions are recomputed: its users' connections are cut).
pub async fn delete_agency(store: &Store, agency: &str) -> anyhow::Result<Removed> {
    if store.agency(agency.to_string()).await?.is_none() {
        bail!("no agency {agency:?}");
    }
    let removed = store.agency_delete(agency.to_string()).await.context("removing the agency")?;
    crate::bump_access_epoch(store).await.context("telling running servers")?;
    Ok(removed)
}
