import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { parseDaemonConfig } from '../../../daemon/config.js';
import { parseKeyValueList, resolveTracing } from '../../../daemon/tracing-env.js';
import { daemonConfigFromCli } from '../../../bin/commands/daemon.js';

const cfg = (tracing: Record<string, unknown> = {}) => parseDaemonConfig({ tracing }, {}).tracing;
const refused = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
};

describe('daemon tracing settings: tracing: section, OTEL_* environment, --trace', () => {
  it('off by default, and then not one option differs from the documented defaults', () => {
    const t = resolveTracing(cfg(), {});
    assert.equal(t.enabled, false);
    assert.equal(t.options.endpoint, 'http://127.0.0.1:4318/v1/traces');
    assert.equal(t.options.serviceName, 'bot4');
    assert.equal(t.options.simServiceName, 'bot4-sim');
    assert.equal(t.sampler, 'parentbased_traceidratio');
    assert.equal(t.options.samplingRatio, 0.01);
    assert.match(t.options.resourceAttributes['service.version']!, /^\d+\.\d+\.\d+/);
  });

  it('what turns it on and off, in order: file, --trace, endpoint variables, OTEL_TRACES_EXPORTER, OTEL_SDK_DISABLED', () => {
    assert.equal(resolveTracing(cfg({ enabled: true }), {}).enabled, true);
    assert.equal(resolveTracing(cfg(), {}, true).reason, '--trace');
    assert.equal(resolveTracing(cfg(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).enabled, true);
    assert.equal(resolveTracing(cfg(), { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).enabled, true);
    assert.equal(resolveTracing(cfg(), { OTEL_TRACES_EXPORTER: 'otlp' }).enabled, true);
    assert.equal(resolveTracing(cfg({ enabled: true }), { OTEL_TRACES_EXPORTER: 'none' }).enabled, false);
    const off = resolveTracing(cfg({ enabled: true }), { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1' }, true);
    assert.deepEqual([off.enabled, off.reason], [false, 'OTEL_SDK_DISABLED=true']);
    assert.equal(resolveTracing(cfg(), { OTEL_SDK_DISABLED: 'false' }, true).enabled, true, 'only "true" disables');
    // --trace on the command line sets tracing.enabled over the file
    assert.equal(daemonConfigFromCli({ trace: 'true' } as Record<string, string>, {}).tracingSetup.enabled, true);
    assert.equal(daemonConfigFromCli({}, {}).tracingSetup.enabled, false);
  });

  it('the environment wins over the file, variable by variable, with the SDK meanings', () => {
    const file = cfg({ endpoint: 'http://file:4318/', serviceName: 'from-file', sampler: 'always_off', samplerArg: 0.5, resourceAttributes: { team: 'desk', 'deployment.environment': 'file' } });
    assert.equal(resolveTracing(file, {}).options.endpoint, 'http://file:4318/v1/traces', 'base + /v1/traces, one slash');
    assert.equal(resolveTracing(file, {}).options.samplingRatio, 0);
    const t = resolveTracing(file, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318',
      OTEL_SERVICE_NAME: 'svc',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.name=ignored,host.name=a%20b',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20x',
    });
    assert.equal(t.options.endpoint, 'http://env:4318/v1/traces');
    assert.equal(t.options.serviceName, 'svc', 'OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES');
    assert.equal(t.sampler, 'traceidratio');
    assert.equal(t.options.samplingRatio, 0.25);
    assert.deepEqual({ ...t.options.resourceAttributes, 'service.version': 'v' }, { 'service.version': 'v', team: 'desk', 'deployment.environment': 'prod', 'host.name': 'a b' });
    assert.deepEqual(t.options.headers, { authorization: 'Bearer x' });
    assert.equal(resolveTracing(file, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:2/custom' }).options.endpoint, 'http://b:2/custom', 'the traces endpoint is used as is');
    assert.equal(resolveTracing(file, { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).options.serviceName, 'from-attrs');
    assert.equal(resolveTracing(file, { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }).options.samplingRatio, 1);
  });

  it('refuses what it cannot honour, naming the variable or field, what was expected and what arrived', () => {
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_TRACES_SAMPLER: 'jaeger_remote' })).message, 'OTEL_TRACES_SAMPLER: expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio, got "jaeger_remote"');
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_TRACES_SAMPLER_ARG: '1.5' })).message, 'OTEL_TRACES_SAMPLER_ARG: expected a ratio from 0 to 1, got "1.5"');
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_TRACES_SAMPLER_ARG: 'half' })).field, 'OTEL_TRACES_SAMPLER_ARG');
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).message, 'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "collector:4318"');
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).field, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_TRACES_EXPORTER: 'zipkin' })).message, 'OTEL_TRACES_EXPORTER: expected "otlp" or "none" (bot4 exports OTLP/HTTP protobuf only), got "zipkin"');
    assert.equal(refused(() => resolveTracing(cfg(), { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).message, 'OTEL_EXPORTER_OTLP_PROTOCOL: expected "http/protobuf" (the only protocol bot4 exports), got "grpc"');
    assert.equal(refused(() => parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', 'a=1,novalue')).message, 'OTEL_RESOURCE_ATTRIBUTES: expected comma-separated key=value pairs, got "novalue"');
    assert.equal(refused(() => parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', 'a=%E0%A4%A')).field, 'OTEL_RESOURCE_ATTRIBUTES');
    // the file is checked by the config schema
    assert.match(refused(() => cfg({ samplerArg: 2 })).message, /^tracing\.samplerArg: expected a value <= 1, got 2$/);
    assert.match(refused(() => cfg({ sampler: 'sometimes' })).message, /^tracing\.sampler: expected one of .*, got "sometimes"$/);
    assert.match(refused(() => cfg({ endpoint: 'ftp://x' })).message, /^tracing\.endpoint: /);
    assert.match(refused(() => cfg({ colour: 1 })).message, /^tracing: expected no unknown keys \(colour\)/);
    // the daemon refuses to start on them (checked when the config is loaded)
    assert.equal(refused(() => parseDaemonConfig({}, { OTEL_TRACES_SAMPLER: 'xray' })).field, 'OTEL_TRACES_SAMPLER');
  });
});
