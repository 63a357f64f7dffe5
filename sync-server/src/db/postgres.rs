//! PostgreSQL storage (`serve --database postgres://…`): the same tables as SQLite, in
//! PostgreSQL's types, through a pool of connections (tokio-postgres and deadpool, no TLS: a
//! database on this machine or a private network). A write returns once its transaction has
//! committed (`synchronous_commit` on, the server refuses `fsync=off`); a write runs on a task of
//! its own, so a caller that stops waiting never cuts a transaction short.

use std::collections::HashMap;

use deadpool_postgres::{Pool, Runtime};
use prongsai_core::admin::AuditEntry;
use prongsai_core::model::DocKind;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use super::*;

/// Statement parameters, owned so a write can move to its own task.
type Params = Vec<Box<dyn ToSql + Send + Sync>>;

/// The SQL of each migration on PostgreSQL, by version (`migrations.rs` numbers them).
const BASELINE: &str = include_str!("postgres/0001_baseline.sql");

/// The channel users' and sessions' changes are announced on (`NOTIFY`).
const ACCESS_CHANNEL: &str = "prongsai_access";

/// Serialises migrations when several servers start at once (an advisory lock's key).
const MIGRATION_LOCK: i64 = 0x7072_6f6e_6773_6169;

fn backend(e: impl std::fmt::Display) -> DbError {
    DbError::Backend(e.to_string())
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            // Class 23: integrity constraint violations (unique, foreign key, the audit log's triggers).
            Some(code) if code.code().starts_with("23") => DbError::Conflict(e.to_string()),
            _ => DbError::Backend(e.as_db_error().map_or_else(|| e.to_string(), |d| d.to_string())),
        }
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Backend(format!("no database connection: {e}"))
    }
}

fn refs(params: &Params) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
}

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct Postgres {
    pool: Pool,
    /// How to connect (for the connection that listens for announcements).
    config: std::sync::Arc<tokio_postgres::Config>,
    /// The URL without its password, for messages.
    shown: String,
}

/// `url` with any password replaced, for logs and messages (a URL, or the `key=value` form).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            let hidden: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.eq_ignore_ascii_case("password");
                    (k.into_owned(), if secret { "***".to_string() } else { v.into_owned() })
                })
                .collect();
            if !hidden.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(hidden);
            }
            parsed.to_string()
        }
        Err(_) => url
            .split_whitespace()
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

impl Postgres {
    /// Connects, checks the server is durable (`fsync` on), and brings the schema to this
    /// release's version (several servers starting at once take turns), or refuses a database a
    /// newer release wrote.
    pub async fn open(url: &str) -> Result<Postgres, DbError> {
        let db = Postgres::connect(url, false)?;
        let client = db.pool.get().await.map_err(|e| backend(format!("{} cannot be reached: {e}", db.shown)))?;
        let fsync: String = client.query_one("SHOW fsync", &[]).await?.get(0);
        if fsync != "on" {
            return Err(backend(format!(
                "{} runs with fsync={fsync}: a change it confirms could be lost; Prongsai needs fsync=on",
                db.shown
            )));
        }
        drop(client);
        db.upgrade().await?;
        Ok(db)
    }

    /// Opens an existing Prongsai database to read, while servers may be using it: every
    /// transaction is read-only (PostgreSQL refuses a write), and the schema is not upgraded.
    pub async fn open_read_only(url: &str) -> Result<Postgres, DbError> {
        let db = Postgres::connect(url, true)?;
        let client = db.pool.get().await.map_err(|e| backend(format!("{} cannot be reached: {e}", db.shown)))?;
        let numbered: bool = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get(0);
        if !numbered {
            return Err(backend(format!("{} holds no Prongsai data (no schema versions)", db.shown)));
        }
        let applied: Option<i64> =
            client.query_one("SELECT MAX(version)::BIGINT FROM schema_migrations", &[]).await?.get(0);
        migrations::pending(applied, &db.shown).map_err(backend)?;
        Ok(db)
    }

    /// A pool for `url` (no connection is made yet).
    fn connect(url: &str, read_only: bool) -> Result<Postgres, DbError> {
        let shown = redact(url);
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| backend(format!("{shown} is not a PostgreSQL URL: {e}")))?;
        if read_only {
            config.options("-c default_transaction_read_only=on");
        }
        // How pg_stat_activity names this process's connections, unless the URL says
        // (`?application_name=node-1` tells a cluster's nodes apart).
        if config.get_application_name().is_none() {
            config.application_name(if read_only { "prongsai-server (read-only)" } else { "prongsai-server" });
        }
        let manager = deadpool_postgres::Manager::from_config(
            config.clone(),
            NoTls,
            deadpool_postgres::ManagerConfig { recycling_method: deadpool_postgres::RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| backend(format!("{shown}: {e}")))?;
        Ok(Postgres { pool, config: std::sync::Arc::new(config), shown })
    }

    async fn upgrade(&self) -> Result<(), DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        let numbered: bool = tx.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get(0);
        let applied: Option<i64> = if numbered {
            tx.query_one("SELECT MAX(version)::BIGINT FROM schema_migrations", &[]).await?.get(0)
        } else {
            let tables: i64 = tx
                .query_one("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()", &[])
                .await?
                .get(0);
            if tables > 0 {
                return Err(backend(format!(
                    "{} has tables but no record of Prongsai's schema versions: not a Prongsai database",
                    self.shown
                )));
            }
            None
        };
        let pending = migrations::pending(applied, &self.shown).map_err(backend)?;
        if pending.is_empty() {
            return Ok(());
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
        for migration in pending {
            let sql = match migration.version {
                1 => BASELINE,
                2 => include_str!("postgres/0002_agency_leases.sql"),
                3 => include_str!("postgres/0003_node_link.sql"),
                4 => include_str!("postgres/0004_login_guesses.sql"),
                other => return Err(backend(format!("migration {other} has no PostgreSQL form in this release"))),
            };
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at)
                 VALUES ($1, $2, (extract(epoch from now()) * 1000)::BIGINT)",
                &[&migration.version, &migration.name],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One statement, on a task of its own; the number of rows it changed.
    async fn exec(&self, sql: &'static str, params: Params) -> Result<u64, DbError> {
        let pool = self.pool.clone();
        spawned(async move {
            let client = pool.get().await?;
            let statement = client.prepare_cached(sql).await?;
            Ok(client.execute(&statement, &refs(&params)).await?)
        })
        .await
    }

    /// One `INSERT … RETURNING id`, on a task of its own; the id the new row got.
    async fn insert_returning_id(&self, sql: &'static str, params: Params) -> Result<i64, DbError> {
        let pool = self.pool.clone();
        spawned(async move {
            let client = pool.get().await?;
            let statement = client.prepare_cached(sql).await?;
            Ok(client.query_one(&statement, &refs(&params)).await?.get(0))
        })
        .await
    }

    /// One fenced write (a statement answering whether `lease` still held its agency), on a
    /// task of its own; [`DbError::Fenced`] when it did not, and then nothing was written.
    async fn fenced(&self, sql: &'static str, params: Params, lease: &Lease) -> Result<(), DbError> {
        let pool = self.pool.clone();
        let held: bool = spawned(async move {
            let mut client = pool.get().await?;
            let statement = client.prepare_cached(sql).await?;
            let Some(delay) = fault_commit_delay() else {
                return Ok(client.query_one(&statement, &refs(&params)).await?.get(0));
            };
            // The same statement in a transaction held open a while (a fault test's kill lands
            // between the write and its commit).
            let tx = client.transaction().await?;
            let held = tx.query_one(&statement, &refs(&params)).await?.get(0);
            tokio::time::sleep(delay).await;
            tx.commit().await?;
            Ok(held)
        })
        .await?;
        if held {
            return Ok(());
        }
        Err(DbError::Fenced(format!(
            "agency {} is no longer served by {} (lease {} lost): the write was not made",
            lease.agency_id, lease.node, lease.token
        )))
    }

    /// Rows of one query.
    async fn query(&self, sql: &str, params: Params) -> Result<Vec<tokio_postgres::Row>, DbError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql).await?;
        Ok(client.query(&statement, &refs(&params)).await?)
    }

    async fn query_opt(&self, sql: &str, params: Params) -> Result<Option<tokio_postgres::Row>, DbError> {
        Ok(self.query(sql, params).await?.into_iter().next())
    }

    /// Several statements in one transaction, on a task of its own: all or none.
    async fn transaction<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: for<'a> FnOnce(
                &'a deadpool_postgres::Transaction<'a>,
            )
                -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, DbError>> + Send + 'a>>
            + Send
            + 'static,
    {
        let pool = self.pool.clone();
        spawned(async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let out = f(&tx).await?;
            tx.commit().await?;
            Ok(out)
        })
        .await
    }
}

impl Postgres {
    /// The documents that have stored chunks (the first part of each chunk's key).
    pub async fn chunk_documents(&self) -> Result<Vec<String>, DbError> {
        let rows = self
            .query(
                "SELECT DISTINCT split_part(key, '/', 1) COLLATE \"C\" AS doc FROM chunks WHERE strpos(key, '/') > 0 ORDER BY 1",
                Vec::new(),
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The sha256 of every evidence file of an agency.
    pub async fn blob_keys(&self, agency: String) -> Result<Vec<String>, DbError> {
        let rows = self
            .query("SELECT sha256 FROM blobs WHERE agency_id = $1 ORDER BY sha256 COLLATE \"C\"", vec![p(agency)])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The agency's own settings, by key.
    pub async fn agency_settings(&self, agency: String) -> Result<Vec<(String, String)>, DbError> {
        let (condition, params) = agency_scope::settings_condition(&agency);
        let sql = format!("SELECT key, value FROM settings WHERE {condition} ORDER BY key COLLATE \"C\"");
        let rows = self.query(&sql, params.into_iter().map(p).collect()).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Removes everything of one agency, its audit log too, in one transaction.
    pub async fn agency_delete(&self, agency: String) -> Result<agency_scope::Removed, DbError> {
        self.transaction(move |tx| {
            Box::pin(async move {
                let documents: Vec<String> = tx
                    .query("SELECT doc_id FROM documents WHERE agency_id = $1", &[&agency])
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let mut removed = agency_scope::Removed::new();
                let run = |sql: String, params: Vec<String>| async move {
                    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                    Ok::<u64, DbError>(tx.execute(sql.as_str(), &refs).await?)
                };
                let mut statements = agency_scope::deletion(&agency, &documents);
                let last = statements.pop().expect("the agency row goes last");
                for (sql, params) in statements {
                    let table = agency_scope::table_of(&sql);
                    *removed.entry(table).or_default() += run(sql, params).await?;
                }
                // The append-only triggers are lifted for this transaction only.
                tx.batch_execute("ALTER TABLE audit_log DISABLE TRIGGER USER").await?;
                let audit = run(agency_scope::DELETE_AUDIT.to_string(), vec![agency.clone()]).await?;
                removed.insert("audit_log".into(), audit);
                tx.batch_execute("ALTER TABLE audit_log ENABLE TRIGGER USER").await?;
                let table = agency_scope::table_of(&last.0);
                *removed.entry(table).or_default() += run(last.0, last.1).await?;
                Ok(removed)
            })
        })
        .await
    }

    /// Reads every table in one `REPEATABLE READ` transaction (a consistent snapshot while
    /// servers write), sending the rows in batches.
    pub(crate) async fn read_tables(&self, send: tokio::sync::mpsc::Sender<copy::Batch>) -> Result<(), DbError> {
        use futures::StreamExt as _;
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let mut batcher = copy::Batcher::default();
        for &table in copy::TABLES {
            let statement = tx.prepare(&format!("SELECT * FROM {table}")).await?;
            let columns: Vec<String> = statement.columns().iter().map(|c| c.name().to_string()).collect();
            batcher.table(table, columns);
            let rows = tx.query_raw(&statement, std::iter::empty::<i64>()).await?;
            let mut rows = std::pin::pin!(rows);
            while let Some(row) = rows.next().await {
                batcher.row(values_of(&row?)?);
                // Batches go out as they fill, so a large table never sits in memory whole.
                for batch in batcher.ready() {
                    send.send(batch).await.map_err(|_| copy::stopped())?;
                }
            }
        }
        batcher.end();
        for batch in batcher.ready() {
            send.send(batch).await.map_err(|_| copy::stopped())?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes the batches `receive` gives into this database in one transaction, committed only
    /// once the source says it has sent everything; refused when the database holds data.
    pub(crate) async fn write_tables(
        &self,
        mut receive: tokio::sync::mpsc::Receiver<copy::Batch>,
    ) -> Result<copy::Counts, DbError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        for table in copy::DATA_TABLES {
            let held: bool = tx.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[]).await?.get(0);
            if held {
                return Err(backend(format!(
                    "{} already holds data ({table}): a copy goes only into an empty database",
                    self.shown
                )));
            }
        }
        tx.batch_execute("DELETE FROM settings").await?;
        let mut counts = copy::Counts::new();
        let mut insert: Option<(String, tokio_postgres::Statement)> = None;
        loop {
            match receive.recv().await {
                None => return Err(backend("the source stopped before sending everything: nothing was written")),
                Some(copy::Batch::End) => break,
                Some(copy::Batch::Table { name, columns }) => {
                    let marks = (1..=columns.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                    let sql = format!("INSERT INTO {name} ({}) VALUES ({marks})", columns.join(", "));
                    insert = Some((name.to_string(), tx.prepare(&sql).await?));
                    counts.insert(name.to_string(), 0);
                }
                Some(copy::Batch::Rows(rows)) => {
                    let Some((table, statement)) = &insert else {
                        return Err(backend("rows came before their table"));
                    };
                    for row in &rows {
                        let params: Vec<&(dyn ToSql + Sync)> = row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                        tx.execute(statement, &params).await?;
                    }
                    *counts.entry(table.clone()).or_default() += rows.len() as u64;
                }
            }
        }
        // Ids given from now on follow the copied ones.
        for table in ["users", "audit_log"] {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ),
                &[],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(counts)
    }
}

/// A row's values as both backends hold them.
fn values_of(row: &tokio_postgres::Row) -> Result<Vec<copy::Value>, DbError> {
    use tokio_postgres::types::Type;
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let value = match *column.type_() {
            Type::BOOL => row.get::<_, Option<bool>>(i).map(|b| copy::Value::Int(i64::from(b))),
            Type::INT8 => row.get::<_, Option<i64>>(i).map(copy::Value::Int),
            Type::INT4 => row.get::<_, Option<i32>>(i).map(|n| copy::Value::Int(i64::from(n))),
            Type::TEXT | Type::VARCHAR => row.get::<_, Option<String>>(i).map(copy::Value::Text),
            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map(copy::Value::Bytes),
            ref other => {
                return Err(backend(format!("column {} has a type Prongsai never writes: {other}", column.name())));
            }
        };
        values.push(value.unwrap_or(copy::Value::Null));
    }
    Ok(values)
}

impl ToSql for copy::Value {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::{IsNull, Type};
        match (self, ty) {
            (copy::Value::Null, _) => Ok(IsNull::Yes),
            (copy::Value::Int(n), &Type::BOOL) => (*n != 0).to_sql(ty, out),
            (copy::Value::Int(n), &Type::INT4) => i32::try_from(*n)?.to_sql(ty, out),
            (copy::Value::Int(n), _) => n.to_sql(ty, out),
            (copy::Value::Text(t), _) => t.to_sql(ty, out),
            (copy::Value::Bytes(b), _) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        use tokio_postgres::types::Type;
        matches!(*ty, Type::BOOL | Type::INT4 | Type::INT8 | Type::TEXT | Type::VARCHAR | Type::BYTEA)
    }

    tokio_postgres::types::to_sql_checked!();
}

/// Runs `work` to its end whatever happens to the caller.
async fn spawned<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, DbError>> + Send + 'static,
) -> Result<T, DbError> {
    tokio::spawn(work).await.map_err(|e| backend(format!("a database task failed: {e}")))?
}

fn p<T: ToSql + Send + Sync + 'static>(value: T) -> Box<dyn ToSql + Send + Sync> {
    Box::new(value)
}

const USER_COLUMNS: &str = "id, agency_id, username, display_name, position, division, roles, password_hash, \
     disabled, created_at, totp_secret IS NOT NULL";

fn user_from_row(r: &tokio_postgres::Row) -> UserRow {
    UserRow {
        id: r.get(0),
        agency_id: r.get(1),
        username: r.get(2),
        display_name: r.get(3),
        position: r.get(4),
        division: r.get(5),
        roles: roles_from_text(r.get::<_, &str>(6)),
        password_hash: r.get(7),
        disabled: r.get(8),
        created_at: r.get(9),
        second_factor: r.get(10),
    }
}

const SESSION_COLUMNS: &str =
    "token_hash, user_id, peer_id, actor_id, device, created_at, expires_at, revoked, read_only";

fn session_from_row(r: &tokio_postgres::Row) -> SessionRow {
    SessionRow {
        token_hash: r.get(0),
        user_id: r.get(1),
        peer_id: r.get(2),
        actor_id: r.get(3),
        device: r.get(4),
        created_at: r.get(5),
        expires_at: r.get(6),
        revoked: r.get(7),
        read_only: r.get(8),
    }
}

const DOCUMENT_COLUMNS: &str = "d.doc_id, d.agency_id, d.year, d.kind, d.division, COALESCE(y.closed, false)
     FROM documents d LEFT JOIN years y ON y.agency_id = d.agency_id AND y.year = d.year";

fn document_from_row(r: &tokio_postgres::Row) -> DocumentRow {
    DocumentRow {
        doc_id: r.get(0),
        agency_id: r.get(1),
        year: r.get(2),
        kind: DocKind::parse(r.get::<_, &str>(3)).unwrap_or(DocKind::Directory),
        division: r.get(4),
        closed: r.get(5),
    }
}

fn year_from_row(r: &tokio_postgres::Row) -> YearRow {
    YearRow {
        agency_id: r.get(0),
        year: r.get(1),
        closed: r.get(2),
        reason: r.get(3),
        changed_at: r.get(4),
        changed_by: r.get(5),
        continues: r.get(6),
        ita_result: r.get(7),
    }
}

fn agency_from_row(r: &tokio_postgres::Row) -> AgencyRow {
    AgencyRow { id: r.get(0), name: r.get(1), created_at: r.get(2) }
}

const INSERT_DOCUMENT: &str =
    "INSERT INTO documents (doc_id, agency_id, year, kind, division) VALUES ($1, $2, $3, $4, $5)";

/// Listens on [`ACCESS_CHANNEL`] on a connection of its own, moving `moved` once when listening
/// starts and once per announcement, until the connection fails or nobody watches.
async fn listen(config: &tokio_postgres::Config, moved: &tokio::sync::watch::Sender<u64>) -> Result<(), DbError> {
    use futures::StreamExt;
    let (client, mut connection) = config.connect(NoTls).await?;
    let (heard, mut announcements) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if matches!(message, tokio_postgres::AsyncMessage::Notification(_)) && heard.send(()).is_err() {
                return;
            }
        }
    });
    let listening = client.batch_execute(&format!("LISTEN {ACCESS_CHANNEL}")).await;
    if let Err(error) = listening {
        driver.abort();
        return Err(error.into());
    }
    moved.send_modify(|n| *n += 1);
    loop {
        tokio::select! {
            heard = announcements.recv() => match heard {
                Some(()) => moved.send_modify(|n| *n += 1),
                None => break,
            },
            () = moved.closed() => break,
        }
    }
    driver.abort();
    Err(backend("the listening connection ended"))
}

const SET_SETTING: &str =
    "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value";

impl Database for Postgres {
    async fn chunk_load(&self, key: String) -> Result<Option<Vec<u8>>, DbError> {
        Ok(self.query_opt("SELECT data FROM chunks WHERE key = $1", vec![p(key)]).await?.map(|r| r.get(0)))
    }

    async fn chunk_load_prefix(&self, prefix: String) -> Result<HashMap<String, Vec<u8>>, DbError> {
        let end = format!("{prefix}\u{10FFFF}");
        let rows =
            self.query("SELECT key, data FROM chunks WHERE key >= $1 AND key < $2", vec![p(prefix), p(end)]).await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn chunk_put(&self, key: String, data: Vec<u8>, fence: Option<Lease>) -> Result<(), DbError> {
        match fence {
            None => {
                self.exec(
                    "INSERT INTO chunks (key, data) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data",
                    vec![p(key), p(data)],
                )
                .await?;
            }
            Some(lease) => {
                // The lease row is locked (shared) until the write commits: a node taking the
                // agency over waits for it, and then loads what it wrote.
                const SQL: &str = concat!(
                    "WITH held AS (SELECT 1 FROM agency_leases WHERE agency_id = $3 AND token = $4 AND expires_at > ",
                    "(extract(epoch from clock_timestamp()) * 1000)::BIGINT FOR SHARE), ",
                    "put AS (INSERT INTO chunks (key, data) SELECT $1, $2 FROM held ",
                    "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data RETURNING 1) ",
                    "SELECT EXISTS (SELECT 1 FROM held)"
                );
                self.fenced(SQL, vec![p(key), p(data), p(lease.agency_id.clone()), p(lease.token)], &lease).await?;
            }
        }
        Ok(())
    }

    async fn chunk_delete(&self, key: String, fence: Option<Lease>) -> Result<(), DbError> {
        match fence {
            None => {
                self.exec("DELETE FROM chunks WHERE key = $1", vec![p(key)]).await?;
            }
            Some(lease) => {
                const SQL: &str = concat!(
                    "WITH held AS (SELECT 1 FROM agency_leases WHERE agency_id = $2 AND token = $3 AND expires_at > ",
                    "(extract(epoch from clock_timestamp()) * 1000)::BIGINT FOR SHARE), ",
                    "gone AS (DELETE FROM chunks WHERE key = $1 AND EXISTS (SELECT 1 FROM held) RETURNING 1) ",
                    "SELECT EXISTS (SELECT 1 FROM held)"
                );
                self.fenced(SQL, vec![p(key), p(lease.agency_id.clone()), p(lease.token)], &lease).await?;
            }
        }
        Ok(())
    }

    async fn lease_acquire(
        &self,
        agency_id: String,
        node: Node,
        ttl_ms: i64,
        take_over: bool,
    ) -> Result<Result<Lease, Node>, DbError> {
        const SQL: &str = concat!(
            "INSERT INTO agency_leases AS l (agency_id, node, address, token, expires_at) ",
            "VALUES ($1, $2, $5, 1, (extract(epoch from clock_timestamp()) * 1000)::BIGINT + $3) ",
            "ON CONFLICT (agency_id) DO UPDATE SET node = EXCLUDED.node, address = EXCLUDED.address, ",
            "token = l.token + 1, expires_at = EXCLUDED.expires_at ",
            "WHERE $4 OR l.expires_at <= (extract(epoch from clock_timestamp()) * 1000)::BIGINT OR l.node = EXCLUDED.node ",
            "RETURNING token"
        );
        let pool = self.pool.clone();
        spawned(async move {
            let client = pool.get().await?;
            let statement = client.prepare_cached(SQL).await?;
            let params: [&(dyn ToSql + Sync); 5] = [&agency_id, &node.name, &ttl_ms, &take_over, &node.address];
            if let Some(row) = client.query_opt(&statement, &params).await? {
                return Ok(Ok(Lease { agency_id, node: node.name, token: row.get(0) }));
            }
            let holder = client
                .query_opt("SELECT node, address FROM agency_leases WHERE agency_id = $1", &[&agency_id])
                .await?
                .map_or_else(Node::default, |r| Node { name: r.get(0), address: r.get(1) });
            Ok(Err(holder))
        })
        .await
    }

    async fn lease_renew(&self, lease: Lease, ttl_ms: i64) -> Result<bool, DbError> {
        let changed = self
            .exec(
                "UPDATE agency_leases SET expires_at = (extract(epoch from clock_timestamp()) * 1000)::BIGINT + $3
                 WHERE agency_id = $1 AND token = $2",
                vec![p(lease.agency_id), p(lease.token), p(ttl_ms)],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn lease_release(&self, lease: Lease) -> Result<(), DbError> {
        self.exec(
            "UPDATE agency_leases SET expires_at = 0 WHERE agency_id = $1 AND token = $2",
            vec![p(lease.agency_id), p(lease.token)],
        )
        .await?;
        Ok(())
    }

    async fn lease_holder(&self, agency_id: String) -> Result<Option<Node>, DbError> {
        let pool = self.pool.clone();
        spawned(async move {
            let client = pool.get().await?;
            let statement = client
                .prepare_cached(
                    "SELECT node, address FROM agency_leases WHERE agency_id = $1
                     AND expires_at > (extract(epoch from clock_timestamp()) * 1000)::BIGINT",
                )
                .await?;
            let row = client.query_opt(&statement, &[&agency_id]).await?;
            Ok(row.map(|r| Node { name: r.get(0), address: r.get(1) }))
        })
        .await
    }

    async fn login_guess_begin(
        &self,
        keys: [String; 2],
        limits: [i64; 2],
        window_ms: i64,
    ) -> Result<Result<Option<Vec<i64>>, i64>, DbError> {
        const NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::BIGINT";
        let pool = self.pool.clone();
        spawned(async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            // One guess at a time per key, on every node: counted and recorded under the locks.
            let mut ordered = keys.clone();
            ordered.sort();
            for key in &ordered {
                tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[key]).await?;
            }
            tx.execute(&format!("DELETE FROM login_guesses WHERE started_at <= {NOW} - $1"), &[&window_ms]).await?;
            let counted = tx
                .query(
                    &format!(
                        "SELECT key, count(*), min(started_at) + $2 - {NOW} FROM login_guesses
                         WHERE key = ANY($1) GROUP BY key"
                    ),
                    &[&keys.to_vec(), &window_ms],
                )
                .await?;
            for row in counted {
                let (key, count, wait): (String, i64, i64) = (row.get(0), row.get(1), row.get(2));
                let limit = keys.iter().position(|k| *k == key).map_or(i64::MAX, |i| limits[i]);
                if count >= limit {
                    return Ok(Err(wait.max(1000)));
                }
            }
            let mut ids = Vec::with_capacity(2);
            for key in &keys {
                let sql = format!("INSERT INTO login_guesses (key, started_at) VALUES ($1, {NOW}) RETURNING id");
                ids.push(tx.query_one(&sql, &[key]).await?.get(0));
            }
            tx.commit().await?;
            Ok(Ok(Some(ids)))
        })
        .await
    }

    async fn login_guess_succeeded(&self, account_key: String, ids: Vec<i64>) -> Result<(), DbError> {
        self.exec("DELETE FROM login_guesses WHERE key = $1 OR id = ANY($2)", vec![p(account_key), p(ids)]).await?;
        Ok(())
    }

    async fn announce_access_changed(&self) -> Result<(), DbError> {
        self.exec("SELECT pg_notify($1, '')", vec![p(ACCESS_CHANNEL.to_string())]).await?;
        Ok(())
    }

    async fn access_announcements(&self) -> Result<Option<tokio::sync::watch::Receiver<u64>>, DbError> {
        let (moved, announcements) = tokio::sync::watch::channel(0u64);
        let (config, shown) = (self.config.clone(), self.shown.clone());
        tokio::spawn(async move {
            while !moved.is_closed() {
                if let Err(error) = listen(&config, &moved).await {
                    tracing::warn!(database = %shown, %error, "listening for access changes failed; again in a second");
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
        Ok(Some(announcements))
    }

    async fn cluster_secret(&self) -> Result<Option<Vec<u8>>, DbError> {
        let made: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
        let pool = self.pool.clone();
        spawned(async move {
            let client = pool.get().await?;
            // The first node to ask makes it; every later one reads that one.
            client
                .execute("INSERT INTO cluster_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", &[&made])
                .await?;
            Ok(Some(client.query_one("SELECT secret FROM cluster_secret WHERE id = 1", &[]).await?.get(0)))
        })
        .await
    }

    async fn agency_create(&self, agency: AgencyRow) -> Result<(), DbError> {
        self.exec(
            "INSERT INTO agencies (id, name, created_at) VALUES ($1, $2, $3)",
            vec![p(agency.id), p(agency.name), p(agency.created_at)],
        )
        .await?;
        Ok(())
    }

    async fn agency(&self, id: String) -> Result<Option<AgencyRow>, DbError> {
        Ok(self
            .query_opt("SELECT id, name, created_at FROM agencies WHERE id = $1", vec![p(id)])
            .await?
            .map(|r| agency_from_row(&r)))
    }

    async fn agencies(&self) -> Result<Vec<AgencyRow>, DbError> {
        let rows = self.query("SELECT id, name, created_at FROM agencies ORDER BY id COLLATE \"C\"", vec![]).await?;
        Ok(rows.iter().map(agency_from_row).collect())
    }

    async fn user_create(&self, user: NewUser) -> Result<UserRow, DbError> {
        let id = self
            .insert_returning_id(
                "INSERT INTO users (agency_id, username, display_name, position, division, roles, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                vec![
                    p(user.agency_id.clone()),
                    p(user.username.clone()),
                    p(user.display_name.clone()),
                    p(user.position.clone()),
                    p(user.division.clone()),
                    p(roles_to_text(&user.roles)),
                    p(user.password_hash.clone()),
                    p(user.created_at),
                ],
            )
            .await?;
        Ok(user.stored(id))
    }

    async fn user_by_username(&self, username: String) -> Result<Option<UserRow>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(self.query_opt(&sql, vec![p(username)]).await?.map(|r| user_from_row(&r)))
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<UserRow>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(self.query_opt(&sql, vec![p(id)]).await?.map(|r| user_from_row(&r)))
    }

    async fn users_of_agency(&self, agency_id: String) -> Result<Vec<UserRow>, DbError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE agency_id = $1 ORDER BY username COLLATE \"C\"");
        Ok(self.query(&sql, vec![p(agency_id)]).await?.iter().map(user_from_row).collect())
    }

    async fn user_update(&self, id: i64, update: UserUpdate) -> Result<(), DbError> {
        self.transaction(move |tx| {
            Box::pin(async move {
                if let Some(v) = update.display_name {
                    tx.execute("UPDATE users SET display_name = $1 WHERE id = $2", &[&v, &id]).await?;
                }
                if let Some(v) = update.position {
                    tx.execute("UPDATE users SET position = $1 WHERE id = $2", &[&v, &id]).await?;
                }
                if let Some(v) = update.division {
                    tx.execute("UPDATE users SET division = $1 WHERE id = $2", &[&v, &id]).await?;
                }
                if let Some(v) = update.roles {
                    tx.execute("UPDATE users SET roles = $1 WHERE id = $2", &[&roles_to_text(&v), &id]).await?;
                }
                if let Some(v) = update.disabled {
                    tx.execute("UPDATE users SET disabled = $1 WHERE id = $2", &[&v, &id]).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn user_set_password(&self, id: i64, password_hash: String) -> Result<(), DbError> {
        self.exec("UPDATE users SET password_hash = $1 WHERE id = $2", vec![p(password_hash), p(id)]).await?;
        Ok(())
    }

    async fn user_totp(&self, user_id: i64) -> Result<TotpRow, DbError> {
        let row = self
            .query_opt(
                "SELECT totp_secret, totp_pending, totp_last_step,
                   (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL)
                 FROM users WHERE id = $1",
                vec![p(user_id)],
            )
            .await?;
        Ok(row
            .map(|r| TotpRow {
                secret: r.get(0),
                pending: r.get(1),
                last_step: r.get::<_, Option<i64>>(2).and_then(|s| u64::try_from(s).ok()),
                recovery_codes_left: usize::try_from(r.get::<_, i64>(3)).unwrap_or(0),
            })
            .unwrap_or_default())
    }

    async fn user_totp_pending(&self, user_id: i64, secret: Option<Vec<u8>>) -> Result<(), DbError> {
        self.exec("UPDATE users SET totp_pending = $2 WHERE id = $1", vec![p(user_id), p(secret)]).await?;
        Ok(())
    }

    async fn user_totp_enable(
        &self,
        user_id: i64,
        step: u64,
        recovery_code_hashes: Vec<String>,
    ) -> Result<bool, DbError> {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        self.transaction(move |tx| {
            Box::pin(async move {
                let changed = tx
                    .execute(
                        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2
                         WHERE id = $1 AND totp_pending IS NOT NULL",
                        &[&user_id, &step],
                    )
                    .await?;
                if changed == 0 {
                    return Ok(false);
                }
                tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id]).await?;
                for hash in &recovery_code_hashes {
                    tx.execute("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)", &[&user_id, hash])
                        .await?;
                }
                Ok(true)
            })
        })
        .await
    }

    async fn user_totp_use_step(&self, user_id: i64, step: u64) -> Result<bool, DbError> {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let changed = self
            .exec(
                "UPDATE users SET totp_last_step = $2
                 WHERE id = $1 AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < $2)",
                vec![p(user_id), p(step)],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn user_recovery_code_use(&self, user_id: i64, code_hash: String) -> Result<bool, DbError> {
        let changed = self
            .exec(
                "UPDATE recovery_codes SET used_at = extract(epoch from now())::BIGINT
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                vec![p(user_id), p(code_hash)],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn user_totp_clear(&self, user_id: i64) -> Result<(), DbError> {
        self.transaction(move |tx| {
            Box::pin(async move {
                tx.execute(
                    "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1",
                    &[&user_id],
                )
                .await?;
                tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id]).await?;
                Ok(())
            })
        })
        .await
    }

    async fn session_create(&self, s: SessionRow) -> Result<(), DbError> {
        self.exec(
            "INSERT INTO sessions (token_hash, user_id, peer_id, actor_id, device, created_at, expires_at, revoked, read_only)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                p(s.token_hash),
                p(s.user_id),
                p(s.peer_id),
                p(s.actor_id),
                p(s.device),
                p(s.created_at),
                p(s.expires_at),
                p(s.revoked),
                p(s.read_only),
            ],
        )
        .await?;
        Ok(())
    }

    async fn session_by_token_hash(&self, token_hash: String) -> Result<Option<SessionRow>, DbError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1");
        Ok(self.query_opt(&sql, vec![p(token_hash)]).await?.map(|r| session_from_row(&r)))
    }

    async fn session_by_peer(&self, peer_id: String) -> Result<Option<SessionRow>, DbError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE peer_id = $1");
        Ok(self.query_opt(&sql, vec![p(peer_id)]).await?.map(|r| session_from_row(&r)))
    }

    async fn session_by_actor(&self, actor_id: String) -> Result<Option<SessionRow>, DbError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE actor_id = $1");
        Ok(self.query_opt(&sql, vec![p(actor_id)]).await?.map(|r| session_from_row(&r)))
    }

    async fn sessions_of_user(&self, user_id: i64) -> Result<Vec<SessionRow>, DbError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at, peer_id COLLATE \"C\""
        );
        Ok(self.query(&sql, vec![p(user_id)]).await?.iter().map(session_from_row).collect())
    }

    async fn session_revoke(&self, token_hash: String) -> Result<(), DbError> {
        self.exec("UPDATE sessions SET revoked = true WHERE token_hash = $1", vec![p(token_hash)]).await?;
        Ok(())
    }

    async fn sessions_revoke_user(&self, user_id: i64) -> Result<Vec<String>, DbError> {
        self.transaction(move |tx| {
            Box::pin(async move {
                let rows = tx
                    .query("SELECT peer_id FROM sessions WHERE user_id = $1 AND NOT revoked FOR UPDATE", &[&user_id])
                    .await?;
                tx.execute("UPDATE sessions SET revoked = true WHERE user_id = $1", &[&user_id]).await?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            })
        })
        .await
    }

    async fn document_register(&self, row: DocumentRow) -> Result<(), DbError> {
        self.documents_register(vec![row]).await
    }

    async fn documents_register(&self, rows: Vec<DocumentRow>) -> Result<(), DbError> {
        self.transaction(move |tx| {
            Box::pin(async move {
                for row in &rows {
                    tx.execute(
                        INSERT_DOCUMENT,
                        &[&row.doc_id, &row.agency_id, &row.year, &row.kind.as_str(), &row.division],
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn document(&self, doc_id: String) -> Result<Option<DocumentRow>, DbError> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} WHERE d.doc_id = $1");
        Ok(self.query_opt(&sql, vec![p(doc_id)]).await?.map(|r| document_from_row(&r)))
    }

    async fn documents_of(&self, agency_id: String, year: i64) -> Result<Vec<DocumentRow>, DbError> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} WHERE d.agency_id = $1 AND d.year = $2
             ORDER BY d.kind COLLATE \"C\", d.division COLLATE \"C\" NULLS FIRST"
        );
        Ok(self.query(&sql, vec![p(agency_id), p(year)]).await?.iter().map(document_from_row).collect())
    }

    async fn years_of(&self, agency_id: String) -> Result<Vec<i64>, DbError> {
        let rows = self
            .query("SELECT DISTINCT year FROM documents WHERE agency_id = $1 ORDER BY year", vec![p(agency_id)])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn year_rows(&self, agency_id: String) -> Result<Vec<YearRow>, DbError> {
        let rows = self
            .query(
                "SELECT agency_id, year, closed, reason, changed_at, changed_by, continues, ita_result
                 FROM years WHERE agency_id = $1 ORDER BY year",
                vec![p(agency_id)],
            )
            .await?;
        Ok(rows.iter().map(year_from_row).collect())
    }

    async fn year_put(&self, row: YearRow) -> Result<(), DbError> {
        self.exec(
            "INSERT INTO years (agency_id, year, closed, reason, changed_at, changed_by, continues, ita_result)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (agency_id, year) DO UPDATE SET closed = EXCLUDED.closed, reason = EXCLUDED.reason,
               changed_at = EXCLUDED.changed_at, changed_by = EXCLUDED.changed_by,
               continues = EXCLUDED.continues, ita_result = EXCLUDED.ita_result",
            vec![
                p(row.agency_id),
                p(row.year),
                p(row.closed),
                p(row.reason),
                p(row.changed_at),
                p(row.changed_by),
                p(row.continues),
                p(row.ita_result),
            ],
        )
        .await?;
        Ok(())
    }

    async fn agency_profile(&self, agency_id: String) -> Result<Option<String>, DbError> {
        Ok(self
            .query_opt("SELECT profile FROM agencies WHERE id = $1", vec![p(agency_id)])
            .await?
            .and_then(|r| r.get::<_, Option<String>>(0)))
    }

    async fn agency_set_profile(&self, agency_id: String, json: String) -> Result<(), DbError> {
        let changed =
            self.exec("UPDATE agencies SET profile = $2 WHERE id = $1", vec![p(agency_id.clone()), p(json)]).await?;
        if changed == 0 {
            return Err(DbError::Backend(format!("no agency {agency_id}")));
        }
        Ok(())
    }

    async fn blob_put(&self, agency_id: String, sha256: String, blob: BlobRow) -> Result<(), DbError> {
        self.exec(
            "INSERT INTO blobs (agency_id, sha256, media_type, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            vec![p(agency_id), p(sha256), p(blob.media_type), p(blob.data)],
        )
        .await?;
        Ok(())
    }

    async fn blob_get(&self, agency_id: String, sha256: String) -> Result<Option<BlobRow>, DbError> {
        Ok(self
            .query_opt(
                "SELECT media_type, data FROM blobs WHERE agency_id = $1 AND sha256 = $2",
                vec![p(agency_id), p(sha256)],
            )
            .await?
            .map(|r| BlobRow { media_type: r.get(0), data: r.get(1) }))
    }

    async fn blob_usage(&self, agency_id: String) -> Result<u64, DbError> {
        // octet_length of a bytea reads its header, not its content.
        let bytes: i64 = self
            .query_opt(
                "SELECT COALESCE(SUM(octet_length(data)), 0)::BIGINT FROM blobs WHERE agency_id = $1",
                vec![p(agency_id)],
            )
            .await?
            .map_or(0, |r| r.get(0));
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    async fn blob_exists(&self, agency_id: String, sha256: String) -> Result<bool, DbError> {
        Ok(self
            .query_opt("SELECT 1 FROM blobs WHERE agency_id = $1 AND sha256 = $2", vec![p(agency_id), p(sha256)])
            .await?
            .is_some())
    }

    async fn audit_append(&self, agency_id: String, entry: AuditEntry) -> Result<i64, DbError> {
        self.insert_returning_id(
            "INSERT INTO audit_log (agency_id, at, actor, session, action, target, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            vec![
                p(agency_id),
                p(entry.at),
                p(entry.actor),
                p(entry.session),
                p(audit_action_to_text(entry.action)),
                p(entry.target),
                p(entry.detail.to_string()),
            ],
        )
        .await
    }

    async fn audit_list(
        &self,
        agency_id: String,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, DbError> {
        let rows = self
            .query(
                "SELECT id, at, actor, session, action, target, detail FROM audit_log
                 WHERE agency_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
                vec![p(agency_id), p(before.unwrap_or(i64::MAX)), p(i64::try_from(limit).unwrap_or(i64::MAX))],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: r.get(1),
                actor: r.get(2),
                session: r.get(3),
                action: audit_action_from_text(r.get(4)),
                target: r.get(5),
                detail: serde_json::from_str(r.get::<_, &str>(6)).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    async fn setting(&self, key: String) -> Result<Option<String>, DbError> {
        Ok(self.query_opt("SELECT value FROM settings WHERE key = $1", vec![p(key)]).await?.map(|r| r.get(0)))
    }

    async fn set_setting(&self, key: String, value: String) -> Result<(), DbError> {
        self.exec(SET_SETTING, vec![p(key), p(value)]).await?;
        Ok(())
    }

    /// Under an advisory lock of the key (a row lock would not cover a setting not written yet).
    async fn setting_update(&self, key: String, change: SettingChange) -> Result<String, DbError> {
        let pool = self.pool.clone();
        spawned(async move {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock(hashtext('setting:' || $1))", &[&key]).await?;
            let now = tx.query_opt("SELECT value FROM settings WHERE key = $1", &[&key]).await?.map(|r| r.get(0));
            let value = change(now);
            tx.execute(SET_SETTING, &[&key, &value]).await?;
            tx.commit().await?;
            Ok(value)
        })
        .await
    }
}
