//! What a request body takes in memory once decoded, estimated from its bytes before it is
//! decoded, so that the decoding budget ([`crate::budget`]) is charged for decoded data and
//! not for the body: a 2-byte empty span on the wire is a few hundred bytes of structs.
//!
//! Each receiver describes its messages (which fields hold which message, what one of each
//! costs decoded and converted to the store's model); [`protobuf`] walks the wire format
//! and [`json`] the JSON text with that description, allocating nothing. A body the walk
//! cannot read is estimated as far as it goes: the decoder then refuses it, having
//! allocated at most that much.

/// A protobuf message type: what one costs in memory, and which fields are messages.
#[derive(Debug)]
pub(crate) struct ProtoKind {
    /// Bytes one such message takes decoded, beyond its strings.
    pub(crate) cost: usize,
    /// The fields (by number) that hold a message, and its kind; every other
    /// length-delimited field is a string or bytes.
    pub(crate) messages: &'static [(u32, &'static ProtoKind)],
}

/// Messages nest at most this deep (prost's own limit).
const MAX_DEPTH: u32 = 100;

/// A string or bytes field costs its length twice (decoded, then converted) and this.
const STRING_COST: usize = 32;

/// The decoded size of a protobuf `body` of message `kind`, an upper estimate: the body
/// itself, each message at its kind's cost, each string or bytes field at twice its length.
pub(crate) fn protobuf(body: &[u8], kind: &ProtoKind) -> usize {
    let mut total = body.len();
    // An error only ends the walk: what was counted is what the decoder allocates before
    // it refuses the body.
    let _ = walk(body, kind, 0, &mut total);
    total
}

fn walk(mut bytes: &[u8], kind: &ProtoKind, depth: u32, total: &mut usize) -> Result<(), ()> {
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        let field = u32::try_from(key >> 3).map_err(drop)?;
        match key & 7 {
            0 => drop(varint(&mut bytes)?),
            1 => bytes = bytes.get(8..).ok_or(())?,
            5 => bytes = bytes.get(4..).ok_or(())?,
            2 => {
                let length = usize::try_from(varint(&mut bytes)?).map_err(drop)?;
                let value = bytes.get(..length).ok_or(())?;
                bytes = &bytes[length..];
                match kind.messages.iter().find(|(number, _)| *number == field) {
                    Some((_, child)) => {
                        *total = total.saturating_add(child.cost);
                        if depth >= MAX_DEPTH {
                            return Err(());
                        }
                        walk(value, child, depth + 1, total)?;
                    }
                    None => *total = total.saturating_add(2 * length + STRING_COST),
                }
            }
            _ => return Err(()),
        }
    }
    Ok(())
}

fn varint(bytes: &mut &[u8]) -> Result<u64, ()> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or(())?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(())
}

/// What JSON objects cost decoded, by the member name they are the value of (or, inside an
/// array, the array's member name; `""` at the top).
#[derive(Debug)]
pub(crate) struct JsonCosts {
    pub(crate) object: fn(&[u8]) -> usize,
    /// The objects read as maps: each of their members costs `entry`, and its name as a
    /// string. The members of other objects name fields, and cost nothing.
    pub(crate) maps: &'static [&'static [u8]],
    pub(crate) entry: usize,
}

/// The decoded size of a JSON `body`, an upper estimate: the body itself, each object at
/// its cost, each string value (and map key) at twice its length.
pub(crate) fn json(body: &[u8], costs: &JsonCosts) -> usize {
    /// An open object or array: the member name it is the value of, and for an object
    /// the name of the member being read.
    struct Open<'a> {
        object: bool,
        name: &'a [u8],
        member: &'a [u8],
    }
    let mut total = body.len();
    let mut open: Vec<Open<'_>> = Vec::new();
    // Whether the next string in the innermost object is a member name.
    let mut name_next = false;
    let mut index = 0;
    while index < body.len() {
        match body[index] {
            b'"' => {
                let start = index + 1;
                let mut end = start;
                while end < body.len() && body[end] != b'"' {
                    end += if body[end] == b'\\' { 2 } else { 1 };
                }
                let text = body.get(start..end).unwrap_or_default();
                match open.last_mut() {
                    Some(innermost) if innermost.object && name_next => {
                        innermost.member = text;
                        if costs.maps.contains(&innermost.name) {
                            total = total.saturating_add(costs.entry + 2 * text.len() + STRING_COST);
                        }
                    }
                    _ => total = total.saturating_add(2 * text.len() + STRING_COST),
                }
                index = end + 1;
                continue;
            }
            byte @ (b'{' | b'[') => {
                let name = match open.last() {
                    Some(innermost) if innermost.object => innermost.member,
                    Some(innermost) => innermost.name,
                    None => b"",
                };
                let object = byte == b'{';
                if object {
                    total = total.saturating_add((costs.object)(name));
                }
                // The decoder refuses deeper nesting; what is deeper costs what it costs.
                if open.len() < 256 {
                    open.push(Open { object, name, member: b"" });
                }
                name_next = object;
            }
            b'}' | b']' => {
                open.pop();
                name_next = false;
            }
            b',' => name_next = open.last().is_some_and(|innermost| innermost.object),
            b':' => name_next = false,
            _ => {}
        }
        index += 1;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    static LEAF: ProtoKind = ProtoKind { cost: 100, messages: &[] };
    static ROOT: ProtoKind = ProtoKind { cost: 0, messages: &[(1, &LEAF), (2, &ROOT)] };

    #[test]
    fn protobuf_messages_cost_their_kind_and_strings_twice_their_length() {
        // field 1 (LEAF) holding field 3 (a 2-byte string); field 3 at the top (a string).
        let body = [0x0a, 0x04, 0x1a, 0x02, b'h', b'i', 0x1a, 0x01, b'x'];
        assert_eq!(protobuf(&body, &ROOT), body.len() + 100 + (4 + STRING_COST) + (2 + STRING_COST));
    }

    #[test]
    fn protobuf_empty_messages_cost_more_than_their_bytes() {
        let body: Vec<u8> = std::iter::repeat_n([0x0a, 0x00], 1000).flatten().collect();
        assert_eq!(protobuf(&body, &ROOT), 2000 + 1000 * 100);
    }

    #[test]
    fn protobuf_walk_stops_at_what_it_cannot_read_and_at_the_depth_limit() {
        // One leaf, then a length past the end.
        assert_eq!(protobuf(&[0x0a, 0x00, 0x0a, 0x05, 0x00], &ROOT), 5 + 100);
        // Nested ROOTs beyond the depth limit end the walk instead of recursing on.
        let mut body = Vec::new();
        for _ in 0..200 {
            let mut outer = vec![0x12];
            let mut length = body.len();
            while length >= 0x80 {
                outer.push((length as u8 & 0x7f) | 0x80);
                length >>= 7;
            }
            outer.push(length as u8);
            outer.extend_from_slice(&body);
            body = outer;
        }
        assert_eq!(protobuf(&body, &ROOT), body.len());
        // Groups and unknown wire types end it too.
        assert_eq!(protobuf(&[0x0b, 0x0a, 0x00], &ROOT), 3);
    }

    const COSTS: JsonCosts = JsonCosts {
        object: |name| match name {
            b"" => 1000,
            b"spans" => 100,
            _ => 10,
        },
        maps: &[b"tags"],
        entry: 7,
    };

    #[test]
    fn json_objects_cost_by_the_member_they_are_in() {
        let body = br#"{"spans":[{"name":"ab"},{"tags":{"k":"v"}}],"x":"\"q"}"#;
        // top 1000, two spans 100 each, one object under "tags" 10 with one entry "k";
        // strings "ab", "v", "\"q".
        let strings = (4 + STRING_COST) + (2 + STRING_COST) + (6 + STRING_COST);
        let entry = 7 + 2 + STRING_COST;
        assert_eq!(json(body, &COSTS), body.len() + 1000 + 200 + 10 + entry + strings);
    }

    #[test]
    fn json_estimates_anything_without_failing() {
        for body in [&b""[..], b"}}]]", b"\"unterminated", b"[{\"a\":[{}{}", b"\\"] {
            assert!(json(body, &COSTS) >= body.len());
        }
        let deep = "[".repeat(10_000);
        assert_eq!(json(deep.as_bytes(), &COSTS), deep.len());
    }
}
