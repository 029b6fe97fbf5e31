import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { correlationMatrix, setSimdEnabled } from '../../../native/correlation.js';
import { nativeAnnounced, nativeSimdInfo } from '../../../native/loader.js';
import { nativeInfo } from '../../../native/native-info.js';

/** What this CPU should run, from /proc/cpuinfo (Linux) — independent of the addon's own detection. */
function cpuSimd(): 'avx2' | 'neon' | 'unknown' | 'none' {
  if (process.arch === 'arm64') return 'neon';
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'unknown';
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
  return flags.includes('avx2') && flags.includes('fma') ? 'avx2' : 'none';
}

describe('nativeInfo', () => {
  const nativeOff = process.env.BOT4_NATIVE === '0';
  const simdOff = process.env.BOT4_SIMD === '0';

  it('reports the addon as loaded unless BOT4_NATIVE=0 (fails when the build is missing)', () => {
    const info = nativeInfo();
    if (nativeOff) {
      assert.deepEqual({ loaded: info.loaded, simd: info.simd }, { loaded: false, simd: 'ts' });
      assert.match(info.reason ?? '', /BOT4_NATIVE=0/);
    } else {
      assert.equal(info.loaded, true, `native addon expected but not loaded: ${info.reason}`);
      assert.ok(['avx2', 'neon', 'scalar'].includes(info.simd));
      assert.equal(typeof info.reason, 'string');
    }
  });

  it('dispatches to the SIMD path this CPU supports (scalar under BOT4_SIMD=0)', function () {
    if (nativeOff) this.skip();
    const cpu = cpuSimd();
    const info = nativeInfo();
    if (simdOff) {
      assert.deepEqual(info, { loaded: true, simd: 'scalar', reason: 'BOT4_SIMD=0 forces the scalar C path' });
      assert.equal(nativeSimdInfo()?.forcedOff, true);
    } else if (cpu === 'avx2' || cpu === 'neon') {
      assert.deepEqual(info, {
        loaded: true,
        simd: cpu,
        reason: cpu === 'avx2' ? 'CPU supports AVX2+FMA' : 'NEON is always present on arm64',
      });
    } else if (cpu === 'none') {
      assert.equal(info.simd, 'scalar');
      assert.match(info.reason ?? '', /lacks AVX2/);
    }
    if (cpu !== 'unknown') assert.equal(nativeSimdInfo()?.available, cpu === 'none' ? 'none' : cpu);
  });

  it('reports a runtime switch to the scalar path and why', function () {
    if (nativeOff) this.skip();
    const before = nativeInfo();
    try {
      assert.equal(setSimdEnabled(false), 'scalar');
      const info = nativeInfo();
      assert.equal(info.simd, 'scalar');
      if (!simdOff && before.simd !== 'scalar') assert.equal(info.reason, 'setSimd(false) selected the scalar C path');
    } finally {
      setSimdEnabled(!simdOff);
    }
    assert.deepEqual(nativeInfo(), before);
  });

  it('the loader has announced the active path once correlation was used', () => {
    correlationMatrix(new Float64Array([1, 2, 3, 4, 2, 1]), 2, 3);
    assert.equal(nativeAnnounced(), true);
  });
});
