//! The kinds of value `clew serve`'s settings take, each read the same way from a flag, a
//! `CLEW_*` variable or the TOML file: a listening address, a duration (clew's one grammar,
//! `clew_server::duration`), a size in bytes, a whole number with a lower bound, a zstd
//! level and a switch. A TOML file may give any of them as a string, and numbers and
//! switches also as TOML integers and booleans.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use clew_server::duration::{format_duration, parse_duration};
use serde::de::{self, Deserializer, Visitor};

/// Implements `Deserialize` through `FromStr`, from a TOML string, integer or boolean.
macro_rules! deserialize_from_text {
    ($type:ty, $expected:literal) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$type, D::Error> {
                deserializer.deserialize_any(TextVisitor::<$type>::new($expected))
            }
        }
    };
}

struct TextVisitor<T> {
    expected: &'static str,
    value: std::marker::PhantomData<T>,
}

impl<T> TextVisitor<T> {
    fn new(expected: &'static str) -> TextVisitor<T> {
        TextVisitor { expected, value: std::marker::PhantomData }
    }
}

impl<T: FromStr<Err = String>> Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.expected)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<T, E> {
        self.visit_str(&number.to_string())
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<T, E> {
        self.visit_str(&number.to_string())
    }

    fn visit_bool<E: de::Error>(self, flag: bool) -> Result<T, E> {
        self.visit_str(if flag { "true" } else { "false" })
    }
}

/// A listening address: `127.0.0.1:4318`, `[::1]:4318`, or `:4318` and `4318` for every
/// interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListenAddr(pub(crate) SocketAddr);

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<ListenAddr, String> {
        let text = text.trim();
        if let Ok(addr) = text.parse() {
            return Ok(ListenAddr(addr));
        }
        let port = text.strip_prefix(':').unwrap_or(text);
        port.parse::<u16>()
            .map(|port| ListenAddr(SocketAddr::from(([0, 0, 0, 0], port))))
            .map_err(|_| format!("{text:?} is not an address like 127.0.0.1:4318, :4318 or 4318"))
    }
}

deserialize_from_text!(ListenAddr, "an address like \"127.0.0.1:4318\" or \":4318\"");

/// A duration in clew's grammar: `7d`, `12h`, `1h30m`, `1.5s`, `250ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HumanDuration(pub(crate) Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<HumanDuration, String> {
        parse_duration(text.trim()).map(HumanDuration)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

deserialize_from_text!(HumanDuration, "a duration like \"7d\", \"12h\" or \"250ms\"");

/// A size in bytes: `1048576`, `512KiB`, `16MiB`, `1GiB` (KB, MB and GB are the same
/// powers of two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSize(pub(crate) u64);

const BYTE_UNITS: [(&str, u64); 4] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)];

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<ByteSize, String> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit() && c != '_').unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let Ok(Count(number)) = number.parse::<Count<0>>() else {
            return Err(format!("{text:?} is not a size like 16MiB or 1048576"));
        };
        let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1 << 10,
            "m" | "mb" | "mib" => 1 << 20,
            "g" | "gb" | "gib" => 1 << 30,
            _ => return Err(format!("{text:?} has an unknown unit (use B, KiB, MiB or GiB)")),
        };
        number.checked_mul(scale).map(ByteSize).ok_or_else(|| format!("{text:?} is too large"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, scale) in BYTE_UNITS {
            if self.0 >= scale && self.0 % scale == 0 {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}B", self.0)
    }
}

deserialize_from_text!(ByteSize, "a size like \"16MiB\" or 1048576");

/// A whole number of at least `MIN`, with `_` allowed between digits (`1_000_000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Count<const MIN: u64>(pub(crate) u64);

impl<const MIN: u64> FromStr for Count<MIN> {
    type Err = String;

    fn from_str(text: &str) -> Result<Count<MIN>, String> {
        let text = text.trim();
        let digits: String = text.chars().filter(|c| *c != '_').collect();
        let number = digits.parse::<u64>().map_err(|_| format!("{text:?} is not a whole number"))?;
        if number < MIN {
            return Err(format!("must be at least {MIN}"));
        }
        Ok(Count(number))
    }
}

impl<'de, const MIN: u64> serde::Deserialize<'de> for Count<MIN> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Count<MIN>, D::Error> {
        deserializer.deserialize_any(TextVisitor::<Count<MIN>>::new("a whole number"))
    }
}

/// A zstd compression level, 1 to 22.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ZstdLevel(pub(crate) i32);

impl FromStr for ZstdLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<ZstdLevel, String> {
        match text.trim().parse::<i32>() {
            Ok(level) if (1..=22).contains(&level) => Ok(ZstdLevel(level)),
            _ => Err(format!("{text:?} is not a zstd level from 1 to 22")),
        }
    }
}

deserialize_from_text!(ZstdLevel, "a zstd level from 1 to 22");

/// On or off: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Switch(pub(crate) bool);

impl FromStr for Switch {
    type Err = String;

    fn from_str(text: &str) -> Result<Switch, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Switch(true)),
            "false" | "0" | "no" | "off" => Ok(Switch(false)),
            _ => Err(format!("{text:?} is not true or false")),
        }
    }
}

deserialize_from_text!(Switch, "true or false");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_reads_its_forms_and_refuses_the_rest() {
        assert_eq!(":4318".parse(), Ok(ListenAddr(SocketAddr::from(([0, 0, 0, 0], 4318)))));
        assert_eq!("[::1]:4".parse(), Ok(ListenAddr("[::1]:4".parse().unwrap())));
        assert!("localhost:port".parse::<ListenAddr>().is_err());
        assert_eq!("16MiB".parse(), Ok(ByteSize(16 << 20)));
        assert_eq!("4k".parse(), Ok(ByteSize(4096)));
        assert_eq!("1_024".parse(), Ok(ByteSize(1024)));
        for bad in ["MiB", "1TB", "99999999999999999999GiB", "-1"] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad}");
        }
        assert_eq!(ByteSize(512 << 20).to_string(), "512MiB");
        assert_eq!(ByteSize(1000).to_string(), "1000B");
        assert_eq!("1_000".parse(), Ok(Count::<2>(1000)));
        assert_eq!("1".parse::<Count<2>>(), Err("must be at least 2".to_owned()));
        assert!("3".parse::<ZstdLevel>().is_ok() && "23".parse::<ZstdLevel>().is_err());
        assert_eq!("yes".parse(), Ok(Switch(true)));
        assert!("maybe".parse::<Switch>().is_err());
        assert_eq!("1h30m".parse(), Ok(HumanDuration(Duration::from_secs(5400))));
        assert_eq!(HumanDuration(Duration::from_secs(604_800)).to_string(), "7d");
    }
}
