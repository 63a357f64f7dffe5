//! The database schema's numbered versions, the same numbers on every backend. Each backend has
//! its own form of each migration (`sqlite.rs`, `postgres/NNNN_*.sql`); the table
//! `schema_migrations` records which were applied. A migration, once released, never changes: a
//! later change of the schema is the next number.
//!
//! A database made before the numbers existed (any release up to 37b3371 and the development
//! builds after it) has no `schema_migrations` table: it is at most version 1, whose SQLite form
//! is safe to run again over it (every table `IF NOT EXISTS`, every added column checked first).

/// One numbered change of the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
}

/// Every migration this release knows, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "baseline: chunks, agencies, users, sessions, documents, blobs, second factor, audit log, years, settings",
    },
    Migration { version: 2, name: "agency leases: the server process that serves each agency, and its fencing token" },
    Migration {
        version: 3,
        name: "node-to-node link: the address of the node serving each agency, and the key nodes sign with",
    },
    Migration { version: 4, name: "password guesses, counted across every node sharing the database" },
];

/// The version this release brings a database to.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The migrations to apply to a database at `applied` (`None`: it has no record of any), or why
/// this release must not touch it.
pub fn pending(applied: Option<i64>, what: &str) -> Result<Vec<Migration>, String> {
    let at = applied.unwrap_or(0);
    if at > latest() {
        return Err(format!(
            "{what} has schema version {at}; this release of Prongsai knows versions up to {}: it was written by a \
             newer release (run that release, or restore a backup made before the upgrade)",
            latest()
        ));
    }
    Ok(MIGRATIONS.iter().filter(|m| m.version > at).copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_one_by_one_from_one() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, i64::try_from(i).expect("few") + 1, "{migration:?}");
        }
    }

    #[test]
    fn a_database_gets_what_it_lacks_and_a_newer_one_is_refused() {
        assert_eq!(pending(None, "x").expect("a new or unnumbered database").len(), MIGRATIONS.len());
        assert!(pending(Some(latest()), "x").expect("up to date").is_empty());
        let newer = pending(Some(latest() + 1), "/srv/prongsai.sqlite3").expect_err("refused");
        assert!(newer.contains("/srv/prongsai.sqlite3") && newer.contains("newer release"), "{newer}");
    }
}
