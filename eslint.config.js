import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', 'bench/out/**', 'dist/**', '.bot4/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', clearImmediate: 'readonly',
        queueMicrotask: 'readonly', SharedArrayBuffer: 'readonly', Atomics: 'readonly', URL: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', structuredClone: 'readonly',
        AbortController: 'readonly', fetch: 'readonly', global: 'readonly', globalThis: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Dependencies point one way (docs/architecture in the README): bin → daemon → gateway, daemon →
  // actors → common/native, cluster → actors; the simulator is a venue and never imports the engine; chaos drives both.
  {
    files: ['actors/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [oneWay('actors/', ['gateway', 'daemon', 'simulators', 'chaos', 'bench', 'bin', 'cluster'])] }] },
  },
  {
    files: ['simulators/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [oneWay('simulators/', ['actors', 'chaos', 'daemon', 'gateway', 'bench', 'bin', 'cluster'])] }] },
  },
  {
    files: ['gateway/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [oneWay('gateway/', ['actors', 'daemon', 'simulators', 'chaos', 'bench', 'bin', 'cluster'])] }] },
  },
  {
    files: ['common/**/*.ts', 'native/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [oneWay('common/ and native/', ['actors', 'gateway', 'daemon', 'simulators', 'chaos', 'bench', 'bin', 'cluster'])] }] },
  },
  // cluster/ (NATS: remote actors, replicated log, lease) builds on actors/ and common/; actors/ only
  // knows the RemotePort interface it implements (actors/runtime/remote.ts).
  {
    files: ['cluster/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [oneWay('cluster/', ['gateway', 'daemon', 'simulators', 'chaos', 'bench', 'bin'])] }] },
  },
  {
    files: ['bin/**/*.ts', 'daemon/**/*.ts', 'chaos/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [oneWay('bin/, daemon/ and chaos/', ['bench'])] }] },
  },
);

/** A `no-restricted-imports` pattern refusing relative imports that reach any of `folders` at the repo root. */
function oneWay(from, folders) {
  return {
    regex: `^(\\.\\./)+(${folders.join('|')})/`,
    message: `${from} must not import ${folders.join('/, ')}/ (one-way dependencies; see the architecture map in README.md)`,
  };
}
