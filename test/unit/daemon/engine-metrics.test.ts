import assert from 'node:assert/strict';
import { sampledTraceId } from '../../../daemon/engine-metrics.js';

describe('daemon/engine-metrics sampledTraceId (exemplar trace ids)', () => {
  it('returns the trace id of a sampled W3C traceparent, and nothing for unsampled or malformed ones', () => {
    assert.equal(sampledTraceId('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(sampledTraceId('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03'), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(sampledTraceId('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'), '');
    assert.equal(sampledTraceId(''), '');
    assert.equal(sampledTraceId('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7'), '');
    assert.equal(sampledTraceId('00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '');
  });
});
