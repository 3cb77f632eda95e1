//! Source code: where the work a span describes is written.
//!
//! `code.namespace`, `code.filepath`, `code.lineno` and `code.function` are superseded:
//! the conventions now put the fully-qualified name in `code.function.name` (for Rust,
//! `crate::module::function`) and use the names below.
//!
//! ```
//! use clew::semconv::code;
//! let location = clew::attrs![code::CODE_FILE_PATH => file!(), code::CODE_LINE_NUMBER => line!()];
//! assert_eq!(location[0].key, "code.file.path");
//! ```

/// The fully-qualified function name, without arguments: `shop::orders::create`.
pub const CODE_FUNCTION_NAME: &str = "code.function.name";
/// The source file, as precisely as available.
pub const CODE_FILE_PATH: &str = "code.file.path";
/// The line in that file (integer).
pub const CODE_LINE_NUMBER: &str = "code.line.number";
/// The column on that line (integer).
pub const CODE_COLUMN_NUMBER: &str = "code.column.number";
/// A stack trace as text.
pub const CODE_STACKTRACE: &str = "code.stacktrace";

/// Superseded by [`CODE_FILE_PATH`]; older back ends still read it.
pub const CODE_FILEPATH_LEGACY: &str = "code.filepath";
/// Superseded by [`CODE_LINE_NUMBER`]; older back ends still read it.
pub const CODE_LINENO_LEGACY: &str = "code.lineno";
/// Superseded: its value belongs at the front of [`CODE_FUNCTION_NAME`].
pub const CODE_NAMESPACE_LEGACY: &str = "code.namespace";
