//! Databases: `db.*` attributes of a client span around one database call.
//!
//! The span has kind client and is named after the operation and its target,
//! `{db.operation.name} {db.collection.name}` (such as `SELECT orders`), or after
//! `db.query.summary` when one is known.
//!
//! ```
//! use clew::semconv::db;
//! let call = db::query(db::system::POSTGRESQL, "shop", "SELECT")
//!     .collection("orders")
//!     .query_text("SELECT * FROM orders WHERE id = $1")
//!     .returned_rows(1);
//! assert_eq!(call.get(db::DB_SYSTEM_NAME).and_then(clew::Value::as_str), Some("postgresql"));
//! ```

use super::{attribute_set, error, network};
use crate::value::Str;

/// The database management system, from the conventions' list ([`system`]).
pub const DB_SYSTEM_NAME: &str = "db.system.name";
/// The database (or schema, keyspace, index number…) the call works in.
pub const DB_NAMESPACE: &str = "db.namespace";
/// The operation: `SELECT`, `findAndModify`, `HMSET`…
pub const DB_OPERATION_NAME: &str = "db.operation.name";
/// The query text, with parameters as placeholders.
pub const DB_QUERY_TEXT: &str = "db.query.text";
/// A short, low-cardinality summary of the query: `SELECT orders`.
pub const DB_QUERY_SUMMARY: &str = "db.query.summary";
/// The table, collection or other container the call works on.
pub const DB_COLLECTION_NAME: &str = "db.collection.name";
/// The status code the database returned, as text (`08P01`, `ORA-17002`…).
pub const DB_RESPONSE_STATUS_CODE: &str = "db.response.status_code";
/// How many rows the call returned (integer).
pub const DB_RESPONSE_RETURNED_ROWS: &str = "db.response.returned_rows";
/// How many operations a batch call carried (integer, 2 or more).
pub const DB_OPERATION_BATCH_SIZE: &str = "db.operation.batch.size";
/// The name of a stored procedure the call runs.
pub const DB_STORED_PROCEDURE_NAME: &str = "db.stored_procedure.name";

/// Superseded by [`DB_SYSTEM_NAME`]; older back ends still read it.
pub const DB_SYSTEM_LEGACY: &str = "db.system";
/// Superseded by [`DB_QUERY_TEXT`]; older back ends still read it.
pub const DB_STATEMENT_LEGACY: &str = "db.statement";
/// Superseded by [`DB_NAMESPACE`]; older back ends still read it.
pub const DB_NAME_LEGACY: &str = "db.name";

/// Values of [`DB_SYSTEM_NAME`] for common systems.
pub mod system {
    /// PostgreSQL.
    pub const POSTGRESQL: &str = "postgresql";
    /// MySQL.
    pub const MYSQL: &str = "mysql";
    /// MariaDB.
    pub const MARIADB: &str = "mariadb";
    /// SQLite.
    pub const SQLITE: &str = "sqlite";
    /// Microsoft SQL Server.
    pub const MICROSOFT_SQL_SERVER: &str = "microsoft.sql_server";
    /// Redis.
    pub const REDIS: &str = "redis";
    /// MongoDB.
    pub const MONGODB: &str = "mongodb";
    /// ClickHouse.
    pub const CLICKHOUSE: &str = "clickhouse";
    /// Apache Cassandra.
    pub const CASSANDRA: &str = "cassandra";
    /// Elasticsearch.
    pub const ELASTICSEARCH: &str = "elasticsearch";
    /// Anything not in the conventions' list.
    pub const OTHER_SQL: &str = "other_sql";
}

attribute_set! {
    /// The attributes of a database client span; see the [module](self) docs.
    DbAttributes
}

/// The attributes of one database call: the system, the namespace and the operation.
///
/// ```
/// let call = clew::semconv::db::query("redis", "0", "HMSET");
/// assert_eq!(call.as_slice().len(), 3);
/// ```
pub fn query(system: impl Into<Str>, namespace: impl Into<Str>, operation: impl Into<Str>) -> DbAttributes {
    DbAttributes::default()
        .set(DB_SYSTEM_NAME, system.into())
        .set(DB_NAMESPACE, namespace.into())
        .set(DB_OPERATION_NAME, operation.into())
}

impl DbAttributes {
    /// `db.collection.name`.
    pub fn collection(self, collection: impl Into<Str>) -> DbAttributes {
        self.set(DB_COLLECTION_NAME, collection.into())
    }

    /// `db.query.text`. Keep literal values out of it (use placeholders).
    pub fn query_text(self, text: impl Into<Str>) -> DbAttributes {
        self.set(DB_QUERY_TEXT, text.into())
    }

    /// `db.query.summary`.
    pub fn query_summary(self, summary: impl Into<Str>) -> DbAttributes {
        self.set(DB_QUERY_SUMMARY, summary.into())
    }

    /// `db.response.status_code`.
    pub fn status_code(self, code: impl Into<Str>) -> DbAttributes {
        self.set(DB_RESPONSE_STATUS_CODE, code.into())
    }

    /// `db.response.returned_rows`.
    pub fn returned_rows(self, rows: u64) -> DbAttributes {
        self.set(DB_RESPONSE_RETURNED_ROWS, rows)
    }

    /// `db.operation.batch.size`.
    pub fn batch_size(self, operations: u64) -> DbAttributes {
        self.set(DB_OPERATION_BATCH_SIZE, operations)
    }

    /// `db.stored_procedure.name`.
    pub fn stored_procedure(self, name: impl Into<Str>) -> DbAttributes {
        self.set(DB_STORED_PROCEDURE_NAME, name.into())
    }

    /// `server.address`.
    pub fn server_address(self, address: impl Into<Str>) -> DbAttributes {
        self.set(network::SERVER_ADDRESS, address.into())
    }

    /// `server.port`.
    pub fn server_port(self, port: u16) -> DbAttributes {
        self.set(network::SERVER_PORT, port)
    }

    /// `error.type`.
    pub fn error_type(self, error_type: impl Into<Str>) -> DbAttributes {
        self.set(error::ERROR_TYPE, error_type.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn a_query_has_the_stable_keys_in_order_with_typed_values() {
        let call = query(system::MYSQL, "shop", "INSERT")
            .collection("orders")
            .query_text("INSERT INTO orders VALUES (?, ?)")
            .query_summary("INSERT orders")
            .status_code("1062")
            .returned_rows(0)
            .batch_size(2)
            .stored_procedure("p")
            .server_address("db")
            .server_port(3306)
            .error_type("1062");
        let keys: Vec<&str> = call.as_slice().iter().map(|attribute| attribute.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "db.system.name",
                "db.namespace",
                "db.operation.name",
                "db.collection.name",
                "db.query.text",
                "db.query.summary",
                "db.response.status_code",
                "db.response.returned_rows",
                "db.operation.batch.size",
                "db.stored_procedure.name",
                "server.address",
                "server.port",
                "error.type",
            ]
        );
        assert_eq!(call.get(DB_RESPONSE_STATUS_CODE), Some(&Value::from("1062")));
        assert_eq!(call.get(DB_RESPONSE_RETURNED_ROWS), Some(&Value::I64(0)));
        assert_eq!(call.get(DB_OPERATION_BATCH_SIZE), Some(&Value::I64(2)));
        assert_eq!(call.get("server.port"), Some(&Value::I64(3306)));
    }
}
