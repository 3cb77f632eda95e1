//! Every environment variable the SDK reads, with good and bad values. Bad values are
//! reported once and ignored; values set in code win.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clew::config::*;
use clew::{EnvConfig, Sampler, SpanLimits, Tracer, Value};

fn env(pairs: &[(&str, &str)]) -> EnvConfig {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    EnvConfig::from_lookup(&move |key| map.get(key).cloned())
}

fn tracer_with(pairs: &[(&str, &str)]) -> clew::TracerBuilder {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Tracer::builder().env_lookup(move |key| map.get(key).cloned())
}

fn warned(config: &EnvConfig) -> Vec<&'static str> {
    config.warnings.iter().map(|warning| warning.variable).collect()
}

#[test]
fn an_empty_environment_gives_the_defaults() {
    let config = env(&[]);
    assert!(config.warnings.is_empty());
    assert_eq!(config.disabled, None);
    assert!(config.sampler.is_none());
    assert_eq!(config.limits, SpanLimits::default());
    let tracer = tracer_with(&[]).exporter(clew::NoneExporter).build();
    assert!(tracer.resource().service_name().starts_with("unknown_service"));
    assert_eq!(tracer.sampler().description(), "ParentBased{root:AlwaysOnSampler}");
}

#[test]
fn sdk_disabled_accepts_true_and_false_in_any_case_and_warns_on_anything_else() {
    assert_eq!(env(&[(OTEL_SDK_DISABLED, "TRUE")]).disabled, Some(true));
    assert_eq!(env(&[(OTEL_SDK_DISABLED, "false")]).disabled, Some(false));
    assert_eq!(env(&[(OTEL_SDK_DISABLED, "")]).disabled, None, "empty means unset");
    let bad = env(&[(OTEL_SDK_DISABLED, "yes")]);
    assert_eq!(bad.disabled, Some(false), "an invalid boolean is false, as the spec says");
    assert_eq!(warned(&bad), [OTEL_SDK_DISABLED]);

    let exporter = clew::InMemoryExporter::new();
    let tracer = tracer_with(&[(OTEL_SDK_DISABLED, "true")]).exporter(exporter.clone()).simple_export().build();
    let span = tracer.span("nothing").start();
    assert!(!span.is_recording());
    assert!(!span.context().is_valid(), "a disabled SDK makes no ids");
    drop(span);
    assert!(exporter.is_empty());
    let enabled_in_code =
        tracer_with(&[(OTEL_SDK_DISABLED, "true")]).disabled(false).exporter(exporter.clone()).simple_export().build();
    enabled_in_code.span("something").start().end();
    assert_eq!(exporter.len(), 1, "code wins over the environment");
}

#[test]
fn service_name_and_resource_attributes() {
    let tracer = tracer_with(&[
        (OTEL_RESOURCE_ATTRIBUTES, "service.name=from-attributes,team=payments, region = eu%2Dwest ,note=a%20b"),
        (OTEL_SERVICE_NAME, "from-service-name"),
        (ENVIRONMENT, "staging"),
    ])
    .exporter(clew::NoneExporter)
    .build();
    let resource = tracer.resource();
    assert_eq!(resource.service_name(), "from-service-name", "OTEL_SERVICE_NAME wins");
    assert_eq!(resource.get("team"), Some(&Value::from("payments")));
    assert_eq!(resource.get("region"), Some(&Value::from("eu-west")));
    assert_eq!(resource.get("note"), Some(&Value::from("a b")));
    assert_eq!(resource.get("deployment.environment.name"), Some(&Value::from("staging")));
    assert_eq!(resource.get("telemetry.sdk.language"), Some(&Value::from("rust")));

    let from_code = tracer_with(&[(OTEL_SERVICE_NAME, "env"), (ENVIRONMENT, "staging")])
        .service_name("code")
        .service_version("2.0.0")
        .environment("production")
        .resource_attribute("host.name", "web-1")
        .exporter(clew::NoneExporter)
        .build();
    assert_eq!(from_code.resource().service_name(), "code");
    assert_eq!(from_code.resource().get("service.version"), Some(&Value::from("2.0.0")));
    assert_eq!(from_code.resource().get("deployment.environment.name"), Some(&Value::from("production")));
    assert_eq!(from_code.resource().get("host.name"), Some(&Value::from("web-1")));

    let environment_in_attributes =
        env(&[(OTEL_RESOURCE_ATTRIBUTES, "deployment.environment.name=prod"), (ENVIRONMENT, "dev")]);
    let environments: Vec<_> =
        environment_in_attributes.resource.iter().filter(|a| a.key == "deployment.environment.name").collect();
    assert_eq!(environments.len(), 1);
    assert_eq!(environments[0].value, Value::from("prod"), "OTEL_RESOURCE_ATTRIBUTES wins over ENVIRONMENT");
}

#[test]
fn a_bad_resource_attributes_value_is_discarded_whole() {
    for bad in ["team=payments,broken", "=value", "key=%zz", "key=%E2%28"] {
        let config = env(&[(OTEL_RESOURCE_ATTRIBUTES, bad)]);
        assert!(config.resource.is_empty(), "{bad}");
        assert_eq!(warned(&config), [OTEL_RESOURCE_ATTRIBUTES], "{bad}");
    }
}

#[test]
fn every_sampler_name_and_its_argument() {
    let cases = [
        ("always_on", None, "AlwaysOnSampler"),
        ("always_off", None, "AlwaysOffSampler"),
        ("traceidratio", Some("0.25"), "TraceIdRatioBased{0.25}"),
        ("traceidratio", None, "TraceIdRatioBased{1}"),
        ("parentbased_always_on", None, "ParentBased{root:AlwaysOnSampler}"),
        ("parentbased_always_off", None, "ParentBased{root:AlwaysOffSampler}"),
        ("parentbased_traceidratio", Some("0.1"), "ParentBased{root:TraceIdRatioBased{0.1}}"),
        ("ParentBased_TraceIdRatio", Some("0.5"), "ParentBased{root:TraceIdRatioBased{0.5}}"),
    ];
    for (name, argument, expected) in cases {
        let mut pairs = vec![(OTEL_TRACES_SAMPLER, name)];
        pairs.extend(argument.map(|argument| (OTEL_TRACES_SAMPLER_ARG, argument)));
        let config = env(&pairs);
        assert!(config.warnings.is_empty(), "{name}: {:?}", config.warnings);
        assert_eq!(config.sampler.map(|sampler| sampler.description()).as_deref(), Some(expected), "{name}");
    }
    for (name, argument) in [("traceidratio", "1.5"), ("traceidratio", "half"), ("traceidratio", "-0.1")] {
        let config = env(&[(OTEL_TRACES_SAMPLER, name), (OTEL_TRACES_SAMPLER_ARG, argument)]);
        assert_eq!(
            config.sampler.as_ref().map(|s| s.description()).as_deref(),
            Some("TraceIdRatioBased{1}"),
            "{argument}"
        );
        assert_eq!(warned(&config), [OTEL_TRACES_SAMPLER_ARG]);
    }
    for name in ["jaeger_remote", "parentbased_jaeger_remote", "xray", "sometimes"] {
        let config = env(&[(OTEL_TRACES_SAMPLER, name)]);
        assert!(config.sampler.is_none(), "{name} falls back to the default");
        assert_eq!(warned(&config), [OTEL_TRACES_SAMPLER]);
    }
    let code_wins = tracer_with(&[(OTEL_TRACES_SAMPLER, "always_off")])
        .sampler(Sampler::AlwaysOn)
        .exporter(clew::NoneExporter)
        .build();
    assert_eq!(code_wins.sampler().description(), "AlwaysOnSampler");
}

#[test]
fn batch_settings_from_opentelemetry_and_seed_names() {
    let config = env(&[
        (OTEL_BSP_SCHEDULE_DELAY, "250"),
        (OTEL_BSP_EXPORT_TIMEOUT, "1000"),
        (OTEL_BSP_MAX_QUEUE_SIZE, "100"),
        (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, "50"),
        (OTEL_BSP_MAX_CONCURRENT_EXPORTS, "2"),
    ]);
    assert!(config.warnings.is_empty());
    assert_eq!(config.scheduled_delay, Some(Duration::from_millis(250)));
    assert_eq!(config.export_timeout, Some(Duration::from_millis(1000)));
    assert_eq!(config.max_queue_size, Some(100));
    assert_eq!(config.max_export_batch_size, Some(50));
    assert_eq!(config.max_concurrent_exports, Some(2));

    let seed = env(&[
        (TRACE_BATCH_MAX, "100"),
        (TRACE_BATCH_MS, "1000"),
        (TRACE_MAX_INFLIGHT, "3"),
        (TRACE_POST_TIMEOUT_MS, "5000"),
    ]);
    assert!(seed.warnings.is_empty());
    assert_eq!(seed.max_export_batch_size, Some(100));
    assert_eq!(seed.scheduled_delay, Some(Duration::from_millis(1000)));
    assert_eq!(seed.max_concurrent_exports, Some(3));
    assert_eq!(seed.export_timeout, Some(Duration::from_millis(5000)));

    let both = env(&[(OTEL_BSP_SCHEDULE_DELAY, "10"), (TRACE_BATCH_MS, "20")]);
    assert_eq!(both.scheduled_delay, Some(Duration::from_millis(10)), "the OpenTelemetry name wins");
    let bad_otel_good_seed = env(&[(OTEL_BSP_SCHEDULE_DELAY, "soon"), (TRACE_BATCH_MS, "20")]);
    assert_eq!(bad_otel_good_seed.scheduled_delay, Some(Duration::from_millis(20)));
    assert_eq!(warned(&bad_otel_good_seed), [OTEL_BSP_SCHEDULE_DELAY]);
}

#[test]
fn bad_numbers_are_reported_and_replaced_by_defaults() {
    let variables = [
        OTEL_BSP_SCHEDULE_DELAY,
        OTEL_BSP_EXPORT_TIMEOUT,
        OTEL_BSP_MAX_QUEUE_SIZE,
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
        OTEL_BSP_MAX_CONCURRENT_EXPORTS,
        TRACE_BATCH_MAX,
        TRACE_BATCH_MS,
        TRACE_MAX_INFLIGHT,
        TRACE_POST_TIMEOUT_MS,
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT,
        OTEL_ATTRIBUTE_COUNT_LIMIT,
        OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT,
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT,
        OTEL_SPAN_EVENT_COUNT_LIMIT,
        OTEL_SPAN_LINK_COUNT_LIMIT,
        OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT,
        OTEL_LINK_ATTRIBUTE_COUNT_LIMIT,
    ];
    for variable in variables {
        for bad in ["-1", "ten", "1.5", "99999999999999999999999"] {
            let config = env(&[(variable, bad)]);
            assert_eq!(warned(&config), [variable], "{variable}={bad}");
            assert!(config.warnings[0].to_string().contains(bad), "the warning names the value");
            assert_eq!(config.limits, SpanLimits::default(), "{variable}={bad}");
            assert_eq!(config.max_queue_size, None);
            assert_eq!(config.scheduled_delay, None);
        }
    }
    for variable in [OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, TRACE_MAX_INFLIGHT] {
        let config = env(&[(variable, "0")]);
        assert_eq!(warned(&config), [variable], "zero is not a size");
    }
    let spaced = env(&[(OTEL_BSP_MAX_QUEUE_SIZE, "  64 ")]);
    assert_eq!(spaced.max_queue_size, Some(64), "surrounding spaces are ignored");
}

#[test]
fn limits_general_and_span_specific() {
    let general = env(&[(OTEL_ATTRIBUTE_COUNT_LIMIT, "10"), (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, "20")]);
    assert_eq!(general.limits.attribute_count, 10);
    assert_eq!(general.limits.event_attribute_count, 10);
    assert_eq!(general.limits.link_attribute_count, 10);
    assert_eq!(general.limits.value_length, Some(20));
    let specific = env(&[
        (OTEL_ATTRIBUTE_COUNT_LIMIT, "10"),
        (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, "20"),
        (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, "3"),
        (OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, "4"),
        (OTEL_SPAN_EVENT_COUNT_LIMIT, "5"),
        (OTEL_SPAN_LINK_COUNT_LIMIT, "6"),
        (OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT, "7"),
        (OTEL_LINK_ATTRIBUTE_COUNT_LIMIT, "8"),
    ]);
    let expected = SpanLimits::default()
        .with_attribute_count(3)
        .with_value_length(Some(4))
        .with_event_count(5)
        .with_link_count(6)
        .with_event_attribute_count(7)
        .with_link_attribute_count(8);
    assert_eq!(specific.limits, expected);

    let exporter = clew::InMemoryExporter::new();
    let tracer = tracer_with(&[(OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, "1"), (OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, "3")])
        .exporter(exporter.clone())
        .simple_export()
        .build();
    let mut span = tracer.span("limited").start();
    span.set_attribute("first", "abcdef");
    span.set_attribute("second", 2);
    span.end();
    let recorded = &exporter.spans()[0];
    assert_eq!(recorded.attributes, vec![clew::KeyValue::new("first", "abc")]);
    assert_eq!(recorded.dropped_attributes_count, 1);
}

#[test]
fn exporter_names() {
    for (variable, value, expected) in [
        (OTEL_TRACES_EXPORTER, "console", ExporterChoice::Stdout),
        (OTEL_TRACES_EXPORTER, "none", ExporterChoice::None),
        (OTEL_TRACES_EXPORTER, "otlp", ExporterChoice::Otlp),
        (OTEL_TRACES_EXPORTER, "zipkin,console", ExporterChoice::Stdout),
        (TRACE_EXPORTER, "stdout", ExporterChoice::Stdout),
        (TRACE_EXPORTER, "NONE", ExporterChoice::None),
        (TRACE_EXPORTER, "otlp", ExporterChoice::Otlp),
    ] {
        assert_eq!(env(&[(variable, value)]).exporter, Some(expected), "{variable}={value}");
    }
    let both = env(&[(OTEL_TRACES_EXPORTER, "none"), (TRACE_EXPORTER, "stdout")]);
    assert_eq!(both.exporter, Some(ExporterChoice::None));
    let bad = env(&[(TRACE_EXPORTER, "carrier-pigeon")]);
    assert_eq!(bad.exporter, None);
    assert_eq!(warned(&bad), [TRACE_EXPORTER]);

    let none = tracer_with(&[(TRACE_EXPORTER, "none")]).build();
    assert!(!none.is_recording(), "TRACE_EXPORTER=none records nothing");
    let otlp = tracer_with(&[(OTEL_TRACES_EXPORTER, "otlp")]).build();
    assert!(otlp.is_recording(), "falls back to stdout");
    assert!(otlp.config_warnings().iter().any(|warning| warning.reason.contains("clew-otlp")));
    let code_wins = tracer_with(&[(TRACE_EXPORTER, "none")]).exporter(clew::InMemoryExporter::new()).build();
    assert!(code_wins.is_recording());
}

#[test]
fn each_bad_value_is_reported_once() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    clew::diagnostics::set_handler(move |message| sink.lock().unwrap().push(message.to_owned()));
    for _ in 0..3 {
        let tracer = tracer_with(&[(OTEL_BSP_MAX_QUEUE_SIZE, "lots")]).exporter(clew::NoneExporter).build();
        assert_eq!(tracer.config_warnings().len(), 1, "each tracer knows its warnings");
    }
    let reports = reports.lock().unwrap();
    // Other tests of this file run at the same time with other bad values: count only ours.
    let about_lots: Vec<_> = reports
        .iter()
        .filter(|report| report.contains("OTEL_BSP_MAX_QUEUE_SIZE") && report.contains("\"lots\""))
        .collect();
    assert_eq!(about_lots.len(), 1, "{reports:?}");
}

proptest::proptest! {
    #[test]
    fn no_value_of_any_variable_panics(variable in proptest::sample::select(vec![
        OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
        OTEL_TRACES_SAMPLER_ARG, OTEL_TRACES_EXPORTER, OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT,
        OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_MAX_CONCURRENT_EXPORTS,
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, TRACE_EXPORTER, TRACE_BATCH_MAX,
        TRACE_BATCH_MS, TRACE_MAX_INFLIGHT, TRACE_POST_TIMEOUT_MS, ENVIRONMENT,
    ]), value in "\\PC{0,40}") {
        let config = env(&[(variable, value.as_str()), (OTEL_TRACES_SAMPLER, "traceidratio")]);
        for warning in &config.warnings {
            proptest::prop_assert!(!warning.reason.is_empty());
        }
        let tracer = tracer_with(&[(variable, value.as_str())]).exporter(clew::NoneExporter).build();
        let _ = tracer.span("still works").start();
    }
}
