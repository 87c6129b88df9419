import { describe, expect, it } from 'vitest';
import { DfuseMetrics, IO_SIZE_BUCKETS_BYTES } from './metrics.js';

describe('DfuseMetrics', () => {
  it('I/O size buckets: DAOS\'s 16, [0, 256 B) doubling up to [4 MiB, +Inf)', () => {
    expect(IO_SIZE_BUCKETS_BYTES.length + 1).toBe(16);
    expect([IO_SIZE_BUCKETS_BYTES[0], IO_SIZE_BUCKETS_BYTES.at(-1)]).toEqual([256, 4 << 20]);
  });

  it('render: requests by op, errors by op and errno name, latency, read/write sizes, gauges', () => {
    const metrics = new DfuseMetrics();
    metrics.answered('lookup', 0.0003, 0);
    metrics.answered('lookup', 0.002, 2);
    metrics.answered('read', 0.001, 0);
    metrics.read(4096);
    metrics.read(1 << 20);
    metrics.wrote(5 << 20);
    metrics.addCollector({ name: 'tsdaos_dfuse_nodes', help: 'h', collect: () => [{ labels: {}, value: 3 }] });
    const text = metrics.render();
    expect(text).toContain('tsdaos_dfuse_requests_total{op="lookup"} 2');
    expect(text).toContain('tsdaos_dfuse_errors_total{op="lookup",errno="ENOENT"} 1');
    expect(text).not.toContain('tsdaos_dfuse_errors_total{op="read"');
    expect(text).toContain('tsdaos_dfuse_request_seconds_bucket{op="lookup",le="0.0005"} 1');
    expect(text).toContain('tsdaos_dfuse_request_seconds_count{op="lookup"} 2');
    expect(text).toContain('tsdaos_dfuse_read_bytes_bucket{le="4096"} 1');
    expect(text).toContain('tsdaos_dfuse_read_bytes_bucket{le="1048576"} 2');
    expect(text).toContain(`tsdaos_dfuse_read_bytes_sum ${4096 + (1 << 20)}`);
    expect(text).toContain('tsdaos_dfuse_write_bytes_bucket{le="4194304"} 0');
    expect(text).toContain('tsdaos_dfuse_write_bytes_bucket{le="+Inf"} 1');
    expect(text).toContain('# TYPE tsdaos_dfuse_nodes gauge\ntsdaos_dfuse_nodes 3');
    expect(text).toMatch(/tsdaos_process_uptime_seconds \d/);
  });
});
