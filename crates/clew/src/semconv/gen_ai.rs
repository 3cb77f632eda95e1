//! Generative AI: `gen_ai.*` attributes of a client span around one model call.
//!
//! The span has kind client and is named `{gen_ai.operation.name} {gen_ai.request.model}`
//! (`chat gpt-4o`). The provider is `gen_ai.provider.name`, which replaced `gen_ai.system`
//! in release 1.37 of the conventions.
//!
//! ```
//! use clew::semconv::gen_ai;
//! let call = gen_ai::chat(gen_ai::provider::OPENAI, "gpt-4o")
//!     .temperature(0.2)
//!     .max_tokens(256)
//!     .response_model("gpt-4o-2024-08-06")
//!     .input_tokens(120)
//!     .output_tokens(48)
//!     .finish_reasons(["stop"]);
//! assert_eq!(call.get(gen_ai::GEN_AI_USAGE_OUTPUT_TOKENS).and_then(clew::Value::as_i64), Some(48));
//! ```

use super::{attribute_set, error, network};
use crate::value::Str;

/// The operation: one of [`mod@operation`]'s values.
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// The provider, from [`provider`] or the provider's own lower-case name.
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// The model asked for.
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// The model that answered.
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
/// The response's id.
pub const GEN_AI_RESPONSE_ID: &str = "gen_ai.response.id";
/// Why each choice stopped (string array): `stop`, `length`, `tool_calls`…
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// Tokens in the prompt (integer).
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// Tokens in the answer (integer).
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// The sampling temperature asked for (double).
pub const GEN_AI_REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// The most tokens the answer may have (integer).
pub const GEN_AI_REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// The top-p sampling setting (double).
pub const GEN_AI_REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// Whether the answer was asked for as a stream (boolean).
pub const GEN_AI_REQUEST_STREAM: &str = "gen_ai.request.stream";
/// The conversation (session, thread) the call belongs to.
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";

/// Superseded by [`GEN_AI_PROVIDER_NAME`]; older back ends still read it.
pub const GEN_AI_SYSTEM_LEGACY: &str = "gen_ai.system";

/// Values of [`GEN_AI_OPERATION_NAME`].
pub mod operation {
    /// A chat completion.
    pub const CHAT: &str = "chat";
    /// A plain text completion.
    pub const TEXT_COMPLETION: &str = "text_completion";
    /// Multimodal content generation.
    pub const GENERATE_CONTENT: &str = "generate_content";
    /// Embeddings.
    pub const EMBEDDINGS: &str = "embeddings";
    /// A tool call run by the application.
    pub const EXECUTE_TOOL: &str = "execute_tool";
    /// An agent invocation.
    pub const INVOKE_AGENT: &str = "invoke_agent";
}

/// Values of [`GEN_AI_PROVIDER_NAME`] for common providers.
pub mod provider {
    /// OpenAI.
    pub const OPENAI: &str = "openai";
    /// Anthropic.
    pub const ANTHROPIC: &str = "anthropic";
    /// Google Gemini (AI Studio).
    pub const GCP_GEMINI: &str = "gcp.gemini";
    /// Google Vertex AI.
    pub const GCP_VERTEX_AI: &str = "gcp.vertex_ai";
    /// AWS Bedrock.
    pub const AWS_BEDROCK: &str = "aws.bedrock";
    /// Azure AI Inference.
    pub const AZURE_AI_INFERENCE: &str = "azure.ai.inference";
    /// Azure OpenAI.
    pub const AZURE_AI_OPENAI: &str = "azure.ai.openai";
    /// Mistral AI.
    pub const MISTRAL_AI: &str = "mistral_ai";
    /// Groq.
    pub const GROQ: &str = "groq";
}

attribute_set! {
    /// The attributes of a generative AI client span; see the [module](self) docs.
    GenAiAttributes
}

/// The attributes of any model call: the operation, the provider and the model.
///
/// ```
/// use clew::semconv::gen_ai;
/// let call = gen_ai::operation(gen_ai::operation::TEXT_COMPLETION, "mistral_ai", "mistral-small");
/// assert_eq!(call.as_slice().len(), 3);
/// ```
pub fn operation(operation: &'static str, provider: impl Into<Str>, model: impl Into<Str>) -> GenAiAttributes {
    GenAiAttributes::default()
        .set(GEN_AI_OPERATION_NAME, operation)
        .set(GEN_AI_PROVIDER_NAME, provider.into())
        .set(GEN_AI_REQUEST_MODEL, model.into())
}

/// A chat completion.
///
/// ```
/// let call = clew::semconv::gen_ai::chat("anthropic", "claude-sonnet");
/// assert_eq!(call.get("gen_ai.operation.name").and_then(clew::Value::as_str), Some("chat"));
/// ```
pub fn chat(provider: impl Into<Str>, model: impl Into<Str>) -> GenAiAttributes {
    operation(operation::CHAT, provider, model)
}

/// An embeddings call.
///
/// ```
/// let call = clew::semconv::gen_ai::embeddings("openai", "text-embedding-3-small").input_tokens(9);
/// assert_eq!(call.as_slice().len(), 4);
/// ```
pub fn embeddings(provider: impl Into<Str>, model: impl Into<Str>) -> GenAiAttributes {
    operation(operation::EMBEDDINGS, provider, model)
}

impl GenAiAttributes {
    /// `gen_ai.usage.input_tokens`.
    pub fn input_tokens(self, tokens: u64) -> GenAiAttributes {
        self.set(GEN_AI_USAGE_INPUT_TOKENS, tokens)
    }

    /// `gen_ai.usage.output_tokens`.
    pub fn output_tokens(self, tokens: u64) -> GenAiAttributes {
        self.set(GEN_AI_USAGE_OUTPUT_TOKENS, tokens)
    }

    /// `gen_ai.request.temperature`.
    pub fn temperature(self, temperature: f64) -> GenAiAttributes {
        self.set(GEN_AI_REQUEST_TEMPERATURE, temperature)
    }

    /// `gen_ai.request.max_tokens`.
    pub fn max_tokens(self, tokens: u64) -> GenAiAttributes {
        self.set(GEN_AI_REQUEST_MAX_TOKENS, tokens)
    }

    /// `gen_ai.request.top_p`.
    pub fn top_p(self, top_p: f64) -> GenAiAttributes {
        self.set(GEN_AI_REQUEST_TOP_P, top_p)
    }

    /// `gen_ai.request.stream`.
    pub fn stream(self, stream: bool) -> GenAiAttributes {
        self.set(GEN_AI_REQUEST_STREAM, stream)
    }

    /// `gen_ai.response.model`.
    pub fn response_model(self, model: impl Into<Str>) -> GenAiAttributes {
        self.set(GEN_AI_RESPONSE_MODEL, model.into())
    }

    /// `gen_ai.response.id`.
    pub fn response_id(self, id: impl Into<Str>) -> GenAiAttributes {
        self.set(GEN_AI_RESPONSE_ID, id.into())
    }

    /// `gen_ai.response.finish_reasons`.
    pub fn finish_reasons<R: Into<Str>>(self, reasons: impl IntoIterator<Item = R>) -> GenAiAttributes {
        let reasons: Vec<Str> = reasons.into_iter().map(Into::into).collect();
        self.set(GEN_AI_RESPONSE_FINISH_REASONS, reasons)
    }

    /// `gen_ai.conversation.id`.
    pub fn conversation_id(self, id: impl Into<Str>) -> GenAiAttributes {
        self.set(GEN_AI_CONVERSATION_ID, id.into())
    }

    /// `server.address`.
    pub fn server_address(self, address: impl Into<Str>) -> GenAiAttributes {
        self.set(network::SERVER_ADDRESS, address.into())
    }

    /// `error.type`.
    pub fn error_type(self, error_type: impl Into<Str>) -> GenAiAttributes {
        self.set(error::ERROR_TYPE, error_type.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn a_chat_call_has_every_key_with_its_type() {
        let call = chat(provider::GCP_GEMINI, "gemini-2.0-flash")
            .temperature(0.7)
            .max_tokens(1024)
            .top_p(0.9)
            .stream(true)
            .response_model("gemini-2.0-flash-001")
            .response_id("r-1")
            .input_tokens(10)
            .output_tokens(20)
            .finish_reasons(vec!["stop".to_owned(), "length".to_owned()])
            .conversation_id("conv-3")
            .server_address("generativelanguage.googleapis.com")
            .error_type("rate_limited");
        assert_eq!(call.get(GEN_AI_OPERATION_NAME), Some(&Value::from("chat")));
        assert_eq!(call.get(GEN_AI_PROVIDER_NAME), Some(&Value::from("gcp.gemini")));
        assert_eq!(call.get(GEN_AI_REQUEST_MODEL), Some(&Value::from("gemini-2.0-flash")));
        assert_eq!(call.get(GEN_AI_REQUEST_TEMPERATURE), Some(&Value::F64(0.7)));
        assert_eq!(call.get(GEN_AI_REQUEST_MAX_TOKENS), Some(&Value::I64(1024)));
        assert_eq!(call.get(GEN_AI_REQUEST_TOP_P), Some(&Value::F64(0.9)));
        assert_eq!(call.get(GEN_AI_REQUEST_STREAM), Some(&Value::Bool(true)));
        assert_eq!(call.get(GEN_AI_RESPONSE_MODEL), Some(&Value::from("gemini-2.0-flash-001")));
        assert_eq!(call.get(GEN_AI_RESPONSE_ID), Some(&Value::from("r-1")));
        assert_eq!(call.get(GEN_AI_USAGE_INPUT_TOKENS), Some(&Value::I64(10)));
        assert_eq!(call.get(GEN_AI_USAGE_OUTPUT_TOKENS), Some(&Value::I64(20)));
        assert_eq!(call.get(GEN_AI_RESPONSE_FINISH_REASONS), Some(&Value::from(vec!["stop", "length"])));
        assert_eq!(call.get(GEN_AI_CONVERSATION_ID), Some(&Value::from("conv-3")));
        assert!(call.get(GEN_AI_SYSTEM_LEGACY).is_none());
    }
}
