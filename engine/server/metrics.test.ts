import { describe, expect, it } from 'vitest';
import { Der } from '../wire/errors.js';
import { escapeLabelValue } from '../telemetry.js';
import { EngineMetrics } from './metrics.js';

describe('metrics', () => {
  it('render: requests, errors, cumulative latency buckets -> exposition lines', () => {
    const metrics = new EngineMetrics();
    metrics.recordRequest({ opcode: 'obj_fetch', seconds: 0.0002, bytesIn: 10, bytesOut: 20 });
    metrics.recordRequest({ opcode: 'obj_fetch', seconds: 0.02, bytesIn: 5, bytesOut: 7, der: Der.NONEXIST });
    const text = metrics.render();
    expect(text).toContain('tsdaos_rpc_requests_total{opcode="obj_fetch"} 2');
    expect(text).toContain(`tsdaos_rpc_errors_total{opcode="obj_fetch",der="${Der.NONEXIST}"} 1`);
    expect(text).toContain('tsdaos_rpc_latency_seconds_bucket{opcode="obj_fetch",le="0.00025"} 1');
    expect(text).toContain('tsdaos_rpc_latency_seconds_bucket{opcode="obj_fetch",le="0.025"} 2');
    expect(text).toContain('tsdaos_rpc_latency_seconds_count{opcode="obj_fetch"} 2');
    expect(text).toContain('tsdaos_rpc_bytes_in_total{opcode="obj_fetch"} 15');
    expect(text).toContain('tsdaos_rpc_bytes_out_total{opcode="obj_fetch"} 27');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('batches: recorded sizes -> histogram and batchesTotal', () => {
    const metrics = new EngineMetrics();
    metrics.recordBatch(1);
    metrics.recordBatch(12);
    expect(metrics.batchesTotal()).toBe(2);
    const text = metrics.render();
    expect(text).toContain('tsdaos_batch_size_bucket{le="1"} 1');
    expect(text).toContain('tsdaos_batch_size_bucket{le="16"} 2');
    expect(text).toContain('tsdaos_batch_size_sum 13');
  });

  it('collectors: gauge samples -> labelled lines with escaped values', () => {
    const metrics = new EngineMetrics();
    metrics.addCollector({ name: 'tsdaos_vos_used_bytes', help: 'h', collect: () => [{ labels: { pool: 'p"1', target: '0' }, value: 42 }] });
    expect(metrics.render()).toContain('tsdaos_vos_used_bytes{pool="p\\"1",target="0"} 42');
    expect(escapeLabelValue('a\\b\nc')).toBe('a\\\\b\\nc');
  });
});
