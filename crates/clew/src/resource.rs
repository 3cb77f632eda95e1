//! The resource: what produced the telemetry (service name, version, environment, SDK).

use crate::value::{KeyValue, Str, Value};

/// `service.name`.
pub const SERVICE_NAME: &str = "service.name";
/// `service.version`.
pub const SERVICE_VERSION: &str = "service.version";
/// `deployment.environment.name` (the current OpenTelemetry key).
pub const DEPLOYMENT_ENVIRONMENT: &str = "deployment.environment.name";
/// `telemetry.sdk.name`.
pub const TELEMETRY_SDK_NAME: &str = "telemetry.sdk.name";
/// `telemetry.sdk.language`.
pub const TELEMETRY_SDK_LANGUAGE: &str = "telemetry.sdk.language";
/// `telemetry.sdk.version`.
pub const TELEMETRY_SDK_VERSION: &str = "telemetry.sdk.version";

/// The attributes that describe the producer of a tracer's spans.
///
/// ```
/// let tracer = clew::Tracer::builder()
///     .service_name("checkout")
///     .service_version("1.4.2")
///     .environment("production")
///     .exporter(clew::NoneExporter)
///     .build();
/// let resource = tracer.resource();
/// assert_eq!(resource.service_name(), "checkout");
/// assert_eq!(resource.get("telemetry.sdk.name").unwrap().as_str(), Some("clew"));
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Resource {
    attributes: Vec<KeyValue>,
    /// Where `service.name` is in `attributes`: the store asks for it for every span.
    service_name: Option<usize>,
}

impl Resource {
    /// A resource with these attributes (a later duplicate key wins).
    pub fn new(attributes: impl IntoIterator<Item = KeyValue>) -> Resource {
        let mut resource = Resource::default();
        for attribute in attributes {
            resource.set(attribute);
        }
        resource
    }

    /// Sets one attribute, replacing an earlier value of its key.
    pub fn set(&mut self, attribute: KeyValue) {
        match self.attributes.iter_mut().find(|existing| existing.key == attribute.key) {
            Some(existing) => existing.value = attribute.value,
            None => {
                if attribute.key == SERVICE_NAME {
                    self.service_name = Some(self.attributes.len());
                }
                self.attributes.push(attribute);
            }
        }
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        crate::data::find_attribute(&self.attributes, key)
    }

    /// All attributes.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    /// `service.name`, or `unknown_service` if unset.
    pub fn service_name(&self) -> &str {
        self.service_name
            .and_then(|index| self.attributes.get(index))
            .and_then(|attribute| attribute.value.as_str())
            .unwrap_or("unknown_service")
    }

    /// The default `service.name` of the OpenTelemetry specification:
    /// `unknown_service:` followed by the executable's name.
    pub fn default_service_name() -> Str {
        let executable = std::env::current_exe()
            .ok()
            .and_then(|path| path.file_name().map(|name| name.to_string_lossy().into_owned()));
        match executable {
            Some(name) => Str::from(format!("unknown_service:{name}")),
            None => Str::from_static("unknown_service"),
        }
    }

    pub(crate) fn sdk_attributes() -> [KeyValue; 3] {
        [
            KeyValue::new(TELEMETRY_SDK_NAME, "clew"),
            KeyValue::new(TELEMETRY_SDK_LANGUAGE, "rust"),
            KeyValue::new(TELEMETRY_SDK_VERSION, env!("CARGO_PKG_VERSION")),
        ]
    }
}
