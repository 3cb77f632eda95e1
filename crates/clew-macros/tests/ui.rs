//! The macro accepts every shape of function it documents and rejects mistakes with
//! errors that point at the mistake: compiled by trybuild, errors compared with the
//! committed `.stderr` files (regenerate them with `TRYBUILD=overwrite`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
