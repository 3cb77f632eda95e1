//! W3C Baggage: the `baggage` header read and written as the specification and its
//! reference tests (w3c/baggage `test/test_baggage.py`) describe, within its limits.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use clew::propagation::{Baggage, BaggageEntry, BaggagePropagator, BaggageProperty, PropagationContext, Propagator};

fn property(entry: &BaggageEntry, index: usize) -> (&str, Option<&str>) {
    let property = &entry.properties()[index];
    (property.key(), property.value())
}

#[test]
fn simple_and_multiple_members_are_read_with_their_properties() {
    let baggage = Baggage::parse("SomeKey=SomeValue");
    assert_eq!(baggage.len(), 1);
    assert_eq!(baggage.get("SomeKey"), Some("SomeValue"));
    assert!(baggage.entry("SomeKey").unwrap().properties().is_empty());

    let baggage = Baggage::parse("SomeKey=SomeValue;SomeProp,SomeKey2=SomeValue2;ValueProp=PropVal");
    assert_eq!(baggage.len(), 2);
    assert_eq!(property(baggage.entry("SomeKey").unwrap(), 0), ("SomeProp", None));
    assert_eq!(baggage.get("SomeKey2"), Some("SomeValue2"));
    assert_eq!(property(baggage.entry("SomeKey2").unwrap(), 0), ("ValueProp", Some("PropVal")));
}

#[test]
fn whitespace_around_keys_values_and_properties_is_ignored() {
    let baggage = Baggage::parse(
        "SomeKey \t = \t SomeValue \t ; \t SomeProp \t , \t SomeKey2 \t = \t SomeValue2 \t ; \t ValueProp \t = \t PropVal",
    );
    let keys: Vec<&str> = baggage.iter().map(BaggageEntry::key).collect();
    assert_eq!(keys, ["SomeKey", "SomeKey2"]);
    assert_eq!(baggage.get("SomeKey"), Some("SomeValue"));
    assert_eq!(property(baggage.entry("SomeKey").unwrap(), 0), ("SomeProp", None));
    assert_eq!(property(baggage.entry("SomeKey2").unwrap(), 0), ("ValueProp", Some("PropVal")));
}

#[test]
fn values_may_contain_equal_signs() {
    assert_eq!(Baggage::parse("SomeKey=SomeValue=equals").get("SomeKey"), Some("SomeValue=equals"));
}

#[test]
fn values_and_property_values_are_percent_decoded_and_encoded() {
    let encoded = "%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29";
    let decoded = "\t \"';=asdf!@#$%^&*()";
    let baggage = Baggage::parse(&format!("SomeKey = {encoded} ;SomePropKey={encoded}"));
    let entry = baggage.entry("SomeKey").unwrap();
    assert_eq!(entry.value(), decoded);
    assert_eq!(property(entry, 0), ("SomePropKey", Some(decoded)));
    assert_eq!(baggage.to_string(), format!("SomeKey={encoded};SomePropKey={encoded}"));
    assert_eq!(Baggage::parse("userId=Am%C3%A9lie").get("userId"), Some("Amélie"));
    assert_eq!(Baggage::parse("bad=%FF%FE").get("bad"), Some("\u{fffd}\u{fffd}"), "not UTF-8: replacement characters");
}

#[test]
fn a_property_without_a_value_is_not_decoded() {
    let baggage = Baggage::parse("SomeKey=SomeValue;ValueProp%20%09%20%3D%20%09%20PropVal");
    assert_eq!(property(baggage.entry("SomeKey").unwrap(), 0), ("ValueProp%20%09%20%3D%20%09%20PropVal", None));
}

#[test]
fn repeated_property_names_are_all_kept() {
    let baggage = Baggage::parse("SomeKey=SomeValue;SomeProp;SomeProp=PropValue;SomeProp=AnotherPropValue");
    let entry = baggage.entry("SomeKey").unwrap();
    assert_eq!(entry.properties().len(), 3);
    assert_eq!(property(entry, 2), ("SomeProp", Some("AnotherPropValue")));
}

#[test]
fn members_that_break_the_grammar_are_skipped_and_the_rest_kept() {
    let baggage = Baggage::parse(
        "good=1,no-equals,=no-key,bad key=2,quote=\"x\",space=a b,back=a\\b,prop=1;bad prop,,trailing=3,",
    );
    let keys: Vec<&str> = baggage.iter().map(BaggageEntry::key).collect();
    assert_eq!(keys, ["good", "trailing"]);
    assert_eq!(Baggage::parse("é=1,k=é").len(), 0, "keys are tokens and values ASCII octets");
    assert_eq!(Baggage::parse("empty=").get("empty"), Some(""));
}

#[test]
fn a_repeated_key_keeps_its_last_value_at_its_first_place() {
    let baggage = Baggage::parse("a=1,b=2,a=3");
    assert_eq!(baggage.to_string(), "a=3,b=2");
}

#[test]
fn reading_keeps_at_most_180_members() {
    let header: Vec<String> = (0..200).map(|index| format!("k{index}=v")).collect();
    let baggage = Baggage::parse(&header.join(","));
    assert_eq!(baggage.len(), 180);
    assert_eq!(baggage.iter().last().unwrap().key(), "k179");
}

#[test]
fn reading_drops_members_past_8192_bytes_whole() {
    let long = format!("a={}", "0123456789".repeat(819));
    assert_eq!(long.len(), 8192);
    let baggage = Baggage::parse(&long);
    assert_eq!(baggage.get("a").map(str::len), Some(8190), "exactly 8192 bytes is kept");
    let baggage = Baggage::parse(&format!("{long},b=1"));
    assert_eq!(baggage.len(), 1);
    assert_eq!(baggage.get("b"), None, "the member past the limit is dropped whole");
    let baggage = Baggage::parse(&format!("{long}0,b=1"));
    assert_eq!(baggage.get("a"), None);
    assert_eq!(baggage.get("b"), Some("1"), "a member that fits after one that did not is kept");
}

#[test]
fn writing_keeps_within_the_limits_and_never_writes_part_of_a_member() {
    let mut baggage = Baggage::new();
    for index in 0..200 {
        baggage.insert(format!("key{index}"), "value");
    }
    let header = baggage.to_string();
    assert_eq!(header.split(',').count(), 180);

    let mut baggage = Baggage::new();
    baggage.insert("a", "0123456789".repeat(819));
    assert_eq!(baggage.to_string().len(), 8192);
    baggage.insert("b", "x");
    assert_eq!(baggage.to_string().len(), 8192, "b does not fit");
    let mut big = Baggage::new();
    big.insert("huge", " ".repeat(3000)); // 9000 bytes once encoded
    big.insert("small", "1");
    assert_eq!(big.to_string(), "small=1");
}

#[test]
fn entries_are_built_in_code_and_keys_must_be_tokens() {
    let mut baggage = Baggage::new();
    assert!(baggage.insert("userId", "alice"));
    assert!(!baggage.insert("user id", "alice"));
    assert!(BaggageEntry::new("", "x").is_none());
    assert!(BaggageProperty::new("bad;key", None).is_none());
    let entry = BaggageEntry::new("serverNode", "DF 28")
        .unwrap()
        .with_property(BaggageProperty::new("region", Some("eu west".to_owned())).unwrap());
    baggage.insert_entry(entry);
    assert_eq!(baggage.to_string(), "userId=alice,serverNode=DF%2028;region=eu%20west");
    assert_eq!(baggage.remove("userId").unwrap().value(), "alice");
    assert_eq!(baggage.len(), 1);
}

#[cfg(feature = "http")]
#[test]
fn repeated_baggage_headers_are_combined() {
    let mut carrier = http::HeaderMap::new();
    carrier.append("baggage", http::HeaderValue::from_static("userId =   alice"));
    carrier.append("baggage", http::HeaderValue::from_static("serverNode = DF%2028, isProduction = false"));
    let context = BaggagePropagator.extract(&carrier);
    assert_eq!(context.baggage().to_string(), "userId=alice,serverNode=DF%2028,isProduction=false");
    assert!(context.span_context().is_none());
}

#[test]
fn the_propagator_writes_nothing_for_empty_baggage() {
    let mut carrier: HashMap<String, String> = HashMap::new();
    BaggagePropagator.inject(&PropagationContext::new(), &mut carrier);
    assert!(carrier.is_empty());
    let mut baggage = Baggage::new();
    baggage.insert("isProduction", "false");
    BaggagePropagator.inject(&PropagationContext::new().with_baggage(baggage), &mut carrier);
    assert_eq!(carrier["baggage"], "isProduction=false");
}
