//! The device's storage in a browser: one IndexedDB database (in the device's Worker). Every
//! write is a `strict` transaction and counts only once the transaction's `complete` event has
//! fired: Chromium's default (`relaxed`) may report a write complete before it reaches the
//! disk, and "saved on this device" must mean on the disk.
//!
//! Object stores: `chunks` (samod's key → bytes), `pending` and `refused` (`doc\nhash` → 1),
//! `kv` (key → text), `upload_list` (sha256 → JSON: media type, uploaded, order taken) and
//! `upload_data` (sha256 → bytes; apart, so listing what waits reads no photo).

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransaction};

use super::{LocalStorageError, Store};

const VERSION: u32 = 1;
const CHUNKS: &str = "chunks";
const PENDING: &str = "pending";
const REFUSED: &str = "refused";
const KV: &str = "kv";
const UPLOAD_LIST: &str = "upload_list";
const UPLOAD_DATA: &str = "upload_data";
const STORES: [&str; 6] = [CHUNKS, PENDING, REFUSED, KV, UPLOAD_LIST, UPLOAD_DATA];

#[wasm_bindgen]
extern "C" {
    /// An `IDBDatabase`, for the one call web-sys has only behind `web_sys_unstable_apis`.
    type Database;

    /// `IDBDatabase.transaction(stores, mode, options)`: the options carry the durability.
    #[wasm_bindgen(method, catch, js_name = transaction)]
    fn transaction_with_options(
        this: &Database,
        stores: &Array,
        mode: &str,
        options: &Object,
    ) -> Result<IdbTransaction, JsValue>;
}

pub(crate) struct IdbStore {
    db: IdbDatabase,
}

fn error(what: &str, e: JsValue) -> LocalStorageError {
    let text = e
        .dyn_ref::<web_sys::DomException>()
        .map(|d| format!("{}: {}", d.name(), d.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    LocalStorageError(format!("{what}: {text}"))
}

/// A promise settled by a request's `success` (its result) or `error` (its error).
async fn request(what: &str, req: &IdbRequest) -> Result<JsValue, LocalStorageError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    let settled = JsFuture::from(promise).await;
    req.set_onsuccess(None);
    req.set_onerror(None);
    match settled {
        Ok(_) => req.result().map_err(|e| error(what, e)),
        Err(_) => Err(error(what, req.error().ok().flatten().map(JsValue::from).unwrap_or(JsValue::NULL))),
    }
}

/// A promise settled when the transaction is on disk (`complete`) or has failed.
fn completion(tx: &IdbTransaction) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    })
}

async fn committed(what: &str, tx: &IdbTransaction, done: js_sys::Promise) -> Result<(), LocalStorageError> {
    match JsFuture::from(done).await {
        Ok(_) => Ok(()),
        Err(_) => Err(error(what, tx.error().map(JsValue::from).unwrap_or(JsValue::NULL))),
    }
}

fn pair(doc_id: &str, hash: &str) -> JsValue {
    JsValue::from_str(&format!("{doc_id}\n{hash}"))
}

fn bytes(value: &JsValue) -> Option<Vec<u8>> {
    value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Upload {
    media_type: String,
    uploaded: bool,
    /// The order taken (0, 1, …): nothing is ever removed, so the count is the next number.
    order: u32,
}

impl IdbStore {
    /// Opens (creating) the database `name` of this origin.
    pub(crate) async fn open(name: &str) -> Result<IdbStore, LocalStorageError> {
        let factory: IdbFactory = Reflect::get(&js_sys::global(), &"indexedDB".into())
            .ok()
            .and_then(|f| f.dyn_into().ok())
            .ok_or_else(|| LocalStorageError("this browser has no IndexedDB".into()))?;
        let open: IdbOpenDbRequest = factory.open_with_u32(name, VERSION).map_err(|e| error("opening", e))?;
        let upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let Some(db) = event
                .target()
                .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
                .and_then(|r| r.result().ok())
                .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
            else {
                return;
            };
            let names = db.object_store_names();
            for store in STORES {
                if !names.contains(store) {
                    let _ = db.create_object_store(store);
                }
            }
        });
        open.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        let db = request("opening", &open).await;
        open.set_onupgradeneeded(None);
        drop(upgrade);
        let db: IdbDatabase = db?.dyn_into().map_err(|e| error("opening", e))?;
        Ok(IdbStore { db })
    }

    fn read(&self, stores: &[&str]) -> Result<IdbTransaction, LocalStorageError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        self.db.transaction_with_str_sequence(&names).map_err(|e| error("reading", e))
    }

    fn write(&self, stores: &[&str]) -> Result<IdbTransaction, LocalStorageError> {
        let names: Array = stores.iter().map(|s| JsValue::from_str(s)).collect();
        let options = Object::new();
        let _ = Reflect::set(&options, &"durability".into(), &"strict".into());
        self.db
            .unchecked_ref::<Database>()
            .transaction_with_options(&names, "readwrite", &options)
            .map_err(|e| error("writing", e))
    }

    fn store(tx: &IdbTransaction, name: &str) -> Result<IdbObjectStore, LocalStorageError> {
        tx.object_store(name).map_err(|e| error(name, e))
    }

    /// One request in a read-only transaction.
    async fn read_one(
        &self,
        name: &str,
        make: impl FnOnce(&IdbObjectStore) -> Result<IdbRequest, JsValue>,
    ) -> Result<JsValue, LocalStorageError> {
        let tx = self.read(&[name])?;
        let req = make(&Self::store(&tx, name)?).map_err(|e| error(name, e))?;
        request(name, &req).await
    }

    /// Writes in one durable transaction: `make` issues the requests, all or none take effect.
    async fn write_all(
        &self,
        stores: &[&str],
        make: impl FnOnce(&IdbTransaction) -> Result<(), JsValue>,
    ) -> Result<(), LocalStorageError> {
        let tx = self.write(stores)?;
        let done = completion(&tx);
        if let Err(e) = make(&tx) {
            let _ = tx.abort();
            return Err(error("writing", e));
        }
        committed("writing", &tx, done).await
    }

    async fn pairs(&self, name: &str) -> Result<Vec<(String, String)>, LocalStorageError> {
        let keys: Array = self.read_one(name, |s| s.get_all_keys()).await?.unchecked_into();
        Ok(keys
            .iter()
            .filter_map(|k| k.as_string())
            .filter_map(|k| k.rsplit_once('\n').map(|(d, h)| (d.to_string(), h.to_string())))
            .collect())
    }
}

impl Store for IdbStore {
    async fn load(&self, key: String) -> Result<Option<Vec<u8>>, LocalStorageError> {
        Ok(bytes(&self.read_one(CHUNKS, |s| s.get(&key.into())).await?))
    }

    async fn load_range(&self, from: String, to: String) -> Result<Vec<(String, Vec<u8>)>, LocalStorageError> {
        self.load_ranges(vec![(from, to)]).await
    }

    async fn load_ranges(&self, ranges: Vec<(String, String)>) -> Result<Vec<(String, Vec<u8>)>, LocalStorageError> {
        // Every request is made before any is awaited: one transaction, answered together.
        let tx = self.read(&[CHUNKS])?;
        let chunks = Self::store(&tx, CHUNKS)?;
        let mut requests = Vec::with_capacity(ranges.len());
        for (from, to) in ranges {
            let range = IdbKeyRange::bound_with_lower_open_and_upper_open(&from.into(), &to.into(), false, true)
                .map_err(|e| error(CHUNKS, e))?;
            let keys = chunks.get_all_keys_with_key(&range).map_err(|e| error(CHUNKS, e))?;
            let values = chunks.get_all_with_key(&range).map_err(|e| error(CHUNKS, e))?;
            requests.push((keys, values));
        }
        let mut rows = Vec::new();
        for (keys, values) in requests {
            let keys: Array = request(CHUNKS, &keys).await?.unchecked_into();
            let values: Array = request(CHUNKS, &values).await?.unchecked_into();
            rows.extend(keys.iter().zip(values.iter()).filter_map(|(k, v)| Some((k.as_string()?, bytes(&v)?))));
        }
        Ok(rows)
    }

    async fn put(&self, key: String, data: Vec<u8>) -> Result<(), LocalStorageError> {
        self.write_all(&[CHUNKS], |tx| {
            tx.object_store(CHUNKS)?.put_with_key(&Uint8Array::from(&data[..]), &key.into())?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, key: String) -> Result<(), LocalStorageError> {
        self.write_all(&[CHUNKS], |tx| {
            tx.object_store(CHUNKS)?.delete(&key.into())?;
            Ok(())
        })
        .await
    }

    async fn keys(&self) -> Result<Vec<String>, LocalStorageError> {
        let keys: Array = self.read_one(CHUNKS, |s| s.get_all_keys()).await?.unchecked_into();
        Ok(keys.iter().filter_map(|k| k.as_string()).collect())
    }

    async fn add_pending(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError> {
        self.write_all(&[PENDING], |tx| {
            let pending = tx.object_store(PENDING)?;
            for hash in &hashes {
                pending.put_with_key(&1.into(), &pair(&doc_id, hash))?;
            }
            Ok(())
        })
        .await
    }

    async fn remove_pending(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError> {
        self.write_all(&[PENDING], |tx| {
            let pending = tx.object_store(PENDING)?;
            for hash in &hashes {
                pending.delete(&pair(&doc_id, hash))?;
            }
            Ok(())
        })
        .await
    }

    async fn pending(&self) -> Result<Vec<(String, String)>, LocalStorageError> {
        self.pairs(PENDING).await
    }

    async fn refuse(&self, doc_id: String, hashes: Vec<String>) -> Result<(), LocalStorageError> {
        self.write_all(&[PENDING, REFUSED], |tx| {
            let (pending, refused) = (tx.object_store(PENDING)?, tx.object_store(REFUSED)?);
            for hash in &hashes {
                refused.put_with_key(&1.into(), &pair(&doc_id, hash))?;
                pending.delete(&pair(&doc_id, hash))?;
            }
            Ok(())
        })
        .await
    }

    async fn refused_count(&self) -> Result<usize, LocalStorageError> {
        let n = self.read_one(REFUSED, |s| s.count()).await?;
        Ok(n.as_f64().map_or(0, |n| n as usize))
    }

    async fn get(&self, key: String) -> Result<Option<String>, LocalStorageError> {
        Ok(self.read_one(KV, |s| s.get(&key.into())).await?.as_string())
    }

    async fn set(&self, key: String, value: String) -> Result<(), LocalStorageError> {
        self.write_all(&[KV], |tx| {
            tx.object_store(KV)?.put_with_key(&value.into(), &key.into())?;
            Ok(())
        })
        .await
    }

    async fn queue_upload(&self, sha256: String, media_type: String, data: Vec<u8>) -> Result<(), LocalStorageError> {
        // Read, then write, in one transaction: the requests chain on microtasks, which keep
        // it active.
        let tx = self.write(&[UPLOAD_LIST, UPLOAD_DATA])?;
        let done = completion(&tx);
        let list = Self::store(&tx, UPLOAD_LIST)?;
        let key = JsValue::from_str(&sha256);
        let kept = request(UPLOAD_LIST, &list.get(&key).map_err(|e| error(UPLOAD_LIST, e))?).await?;
        if kept.is_undefined() {
            let count = request(UPLOAD_LIST, &list.count().map_err(|e| error(UPLOAD_LIST, e))?).await?;
            let entry = Upload { media_type, uploaded: false, order: count.as_f64().map_or(0, |n| n as u32) };
            let entry = serde_json::to_string(&entry).map_err(|e| LocalStorageError(e.to_string()))?;
            list.put_with_key(&entry.into(), &key).map_err(|e| error(UPLOAD_LIST, e))?;
            Self::store(&tx, UPLOAD_DATA)?
                .put_with_key(&Uint8Array::from(&data[..]), &key)
                .map_err(|e| error(UPLOAD_DATA, e))?;
        }
        committed(UPLOAD_LIST, &tx, done).await
    }

    async fn uploads_waiting(&self) -> Result<Vec<(String, String)>, LocalStorageError> {
        let tx = self.read(&[UPLOAD_LIST])?;
        let list = Self::store(&tx, UPLOAD_LIST)?;
        let keys = list.get_all_keys().map_err(|e| error(UPLOAD_LIST, e))?;
        let values = list.get_all().map_err(|e| error(UPLOAD_LIST, e))?;
        let keys: Array = request(UPLOAD_LIST, &keys).await?.unchecked_into();
        let values: Array = request(UPLOAD_LIST, &values).await?.unchecked_into();
        let mut waiting: Vec<(u32, String, String)> = keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| {
                let entry: Upload = serde_json::from_str(&v.as_string()?).ok()?;
                (!entry.uploaded).then(|| (entry.order, k.as_string().unwrap_or_default(), entry.media_type))
            })
            .collect();
        waiting.sort();
        Ok(waiting.into_iter().map(|(_, sha, media)| (sha, media)).collect())
    }

    async fn local_file(&self, sha256: String) -> Result<Option<Vec<u8>>, LocalStorageError> {
        Ok(bytes(&self.read_one(UPLOAD_DATA, |s| s.get(&sha256.into())).await?))
    }

    async fn mark_uploaded(&self, sha256: String) -> Result<(), LocalStorageError> {
        let tx = self.write(&[UPLOAD_LIST])?;
        let done = completion(&tx);
        let list = Self::store(&tx, UPLOAD_LIST)?;
        let key = JsValue::from_str(&sha256);
        let kept = request(UPLOAD_LIST, &list.get(&key).map_err(|e| error(UPLOAD_LIST, e))?).await?;
        if let Some(mut entry) = kept.as_string().and_then(|e| serde_json::from_str::<Upload>(&e).ok()) {
            entry.uploaded = true;
            let entry = serde_json::to_string(&entry).map_err(|e| LocalStorageError(e.to_string()))?;
            list.put_with_key(&entry.into(), &key).map_err(|e| error(UPLOAD_LIST, e))?;
        }
        committed(UPLOAD_LIST, &tx, done).await
    }
}
