//! Messaging: `messaging.*` attributes of producer and consumer spans.
//!
//! A span is named `{operation name} {destination}` (`send orders`, `process orders`) with
//! kind producer for `create`/`send`, consumer for `process`, and client for `receive` and
//! `settle`.
//!
//! ```
//! use clew::semconv::messaging;
//! let sent = messaging::send("kafka", "orders").message_id("m-17").operation_name("publish");
//! assert_eq!(sent.get(messaging::MESSAGING_OPERATION_TYPE).and_then(clew::Value::as_str), Some("send"));
//! ```

use super::{attribute_set, error, network};
use crate::value::Str;

/// The messaging system: `kafka`, `rabbitmq`, `aws_sqs`, `gcp_pubsub`…
pub const MESSAGING_SYSTEM: &str = "messaging.system";
/// The queue or topic.
pub const MESSAGING_DESTINATION_NAME: &str = "messaging.destination.name";
/// The kind of operation: one of [`mod@operation`]'s values.
pub const MESSAGING_OPERATION_TYPE: &str = "messaging.operation.type";
/// The system's own name for the operation: `publish`, `ack`, `poll`…
pub const MESSAGING_OPERATION_NAME: &str = "messaging.operation.name";
/// The message's id, as the system assigns it.
pub const MESSAGING_MESSAGE_ID: &str = "messaging.message.id";
/// The conversation (correlation) id the message belongs to.
pub const MESSAGING_MESSAGE_CONVERSATION_ID: &str = "messaging.message.conversation_id";
/// The size of the message body in bytes (integer).
pub const MESSAGING_MESSAGE_BODY_SIZE: &str = "messaging.message.body.size";
/// How many messages a batch operation carries (integer).
pub const MESSAGING_BATCH_MESSAGE_COUNT: &str = "messaging.batch.message_count";
/// The consumer group that receives the message.
pub const MESSAGING_CONSUMER_GROUP_NAME: &str = "messaging.consumer.group.name";
/// The id of the client that sends or receives.
pub const MESSAGING_CLIENT_ID: &str = "messaging.client.id";

/// Values of [`MESSAGING_OPERATION_TYPE`].
pub mod operation {
    /// A message is created, to be sent later (possibly in a batch).
    pub const CREATE: &str = "create";
    /// One or more messages are handed to the system.
    pub const SEND: &str = "send";
    /// One or more messages are asked for (pull).
    pub const RECEIVE: &str = "receive";
    /// One or more messages are handled by the consumer.
    pub const PROCESS: &str = "process";
    /// Messages are settled: acknowledged, rejected, deferred.
    pub const SETTLE: &str = "settle";
}

attribute_set! {
    /// The attributes of a messaging span; see the [module](self) docs.
    MessagingAttributes
}

/// The attributes of any messaging operation.
///
/// ```
/// use clew::semconv::messaging;
/// let settled = messaging::operation("rabbitmq", messaging::operation::SETTLE, "jobs");
/// assert_eq!(settled.as_slice().len(), 3);
/// ```
pub fn operation(
    system: impl Into<Str>,
    operation_type: &'static str,
    destination: impl Into<Str>,
) -> MessagingAttributes {
    MessagingAttributes::default()
        .set(MESSAGING_SYSTEM, system.into())
        .set(MESSAGING_OPERATION_TYPE, operation_type)
        .set(MESSAGING_DESTINATION_NAME, destination.into())
}

/// A send (publish) to `destination`: a producer span.
///
/// ```
/// let sent = clew::semconv::messaging::send("aws_sqs", "invoices").batch_message_count(10);
/// assert_eq!(sent.as_slice().len(), 4);
/// ```
pub fn send(system: impl Into<Str>, destination: impl Into<Str>) -> MessagingAttributes {
    operation(system, operation::SEND, destination)
}

/// A receive (pull) from `destination`: a client span.
///
/// ```
/// let received = clew::semconv::messaging::receive("gcp_pubsub", "events");
/// assert_eq!(received.get("messaging.operation.type").and_then(clew::Value::as_str), Some("receive"));
/// ```
pub fn receive(system: impl Into<Str>, destination: impl Into<Str>) -> MessagingAttributes {
    operation(system, operation::RECEIVE, destination)
}

/// The handling of messages from `destination`: a consumer span.
///
/// ```
/// let handled = clew::semconv::messaging::process("kafka", "orders").consumer_group("billing");
/// assert_eq!(handled.as_slice().len(), 4);
/// ```
pub fn process(system: impl Into<Str>, destination: impl Into<Str>) -> MessagingAttributes {
    operation(system, operation::PROCESS, destination)
}

impl MessagingAttributes {
    /// `messaging.operation.name`.
    pub fn operation_name(self, name: impl Into<Str>) -> MessagingAttributes {
        self.set(MESSAGING_OPERATION_NAME, name.into())
    }

    /// `messaging.message.id`.
    pub fn message_id(self, id: impl Into<Str>) -> MessagingAttributes {
        self.set(MESSAGING_MESSAGE_ID, id.into())
    }

    /// `messaging.message.conversation_id`.
    pub fn conversation_id(self, id: impl Into<Str>) -> MessagingAttributes {
        self.set(MESSAGING_MESSAGE_CONVERSATION_ID, id.into())
    }

    /// `messaging.message.body.size`.
    pub fn body_size(self, bytes: u64) -> MessagingAttributes {
        self.set(MESSAGING_MESSAGE_BODY_SIZE, bytes)
    }

    /// `messaging.batch.message_count`.
    pub fn batch_message_count(self, count: u64) -> MessagingAttributes {
        self.set(MESSAGING_BATCH_MESSAGE_COUNT, count)
    }

    /// `messaging.consumer.group.name`.
    pub fn consumer_group(self, group: impl Into<Str>) -> MessagingAttributes {
        self.set(MESSAGING_CONSUMER_GROUP_NAME, group.into())
    }

    /// `messaging.client.id`.
    pub fn client_id(self, id: impl Into<Str>) -> MessagingAttributes {
        self.set(MESSAGING_CLIENT_ID, id.into())
    }

    /// `server.address`.
    pub fn server_address(self, address: impl Into<Str>) -> MessagingAttributes {
        self.set(network::SERVER_ADDRESS, address.into())
    }

    /// `error.type`.
    pub fn error_type(self, error_type: impl Into<Str>) -> MessagingAttributes {
        self.set(error::ERROR_TYPE, error_type.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn each_operation_writes_its_type_and_the_details() {
        for (attributes, expected) in [
            (send("kafka", "t"), "send"),
            (receive("kafka", "t"), "receive"),
            (process("kafka", "t"), "process"),
            (operation("kafka", operation::CREATE, "t"), "create"),
        ] {
            assert_eq!(attributes.get(MESSAGING_OPERATION_TYPE), Some(&Value::from(expected)));
            assert_eq!(attributes.get(MESSAGING_SYSTEM), Some(&Value::from("kafka")));
            assert_eq!(attributes.get(MESSAGING_DESTINATION_NAME), Some(&Value::from("t")));
        }
        let details = send("rabbitmq", "jobs")
            .message_id("1")
            .conversation_id("c")
            .body_size(512)
            .batch_message_count(3)
            .client_id("w-1")
            .server_address("mq")
            .error_type("timeout");
        assert_eq!(details.get(MESSAGING_MESSAGE_ID), Some(&Value::from("1")));
        assert_eq!(details.get(MESSAGING_MESSAGE_CONVERSATION_ID), Some(&Value::from("c")));
        assert_eq!(details.get(MESSAGING_MESSAGE_BODY_SIZE), Some(&Value::I64(512)));
        assert_eq!(details.get(MESSAGING_BATCH_MESSAGE_COUNT), Some(&Value::I64(3)));
        assert_eq!(details.get(MESSAGING_CLIENT_ID), Some(&Value::from("w-1")));
        assert_eq!(details.get("server.address"), Some(&Value::from("mq")));
        assert_eq!(details.get("error.type"), Some(&Value::from("timeout")));
    }
}
